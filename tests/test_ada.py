"""The ada augmentation: its pipeline keeps the augmentation contract, its probability p follows D's confidence on
real images, is logged, and continues exactly across --resume."""

from __future__ import annotations

import json

import pytest
import torch
from gantool_builtins.augmentations import ada

from gantool.interfaces import DataSpec
from gantool.storage.checkpoint import load_tensors
from gantool.storage.rundir import latest_checkpoint
from gantool.testing import check_augmentation

OPERATIONS = ["xflip", "rotate90", "translation", "brightness", "contrast", "saturation", "cutout"]
TINY = ["--gen", "resnet", "--set", "gen.width=4", "--set", "disc.width=4", "--batch-size", "8", "--log-every", "1",
        "--device", "cpu", "--seed", "3", "--quiet"]


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("spec", [DataSpec(1, 28, 28), DataSpec(3, 32, 32), DataSpec(3, 16, 24)], ids=str)
def test_each_operation_keeps_the_augmentation_contract(operation, spec):
    check_augmentation(ada, {"ops": [operation], "initial_p": 1.0, "max_p": 1.0}, spec=spec)


def test_each_operation_applies_to_about_a_p_share_of_the_images():
    torch.manual_seed(0)
    images = torch.rand(400, 1, 8, 8) * 2 - 1
    changed = (ada(ops=["brightness"], initial_p=0.3)(images) != images).flatten(1).any(1).float().mean()
    assert 0.22 < float(changed) < 0.38
    assert torch.equal(ada(ops=OPERATIONS)(images), images)  # p starts at 0: nothing changes


def test_p_rises_while_d_is_sure_of_the_reals_and_falls_otherwise():
    augmentation = ada(speed=320, interval=1, max_p=1.0)  # each update of 32 images moves p by 0.1
    for step in range(5):
        augmentation.observe(torch.full((32,), 3.0))  # every real judged real: r_t = 1 > 0.6
        assert augmentation.p == pytest.approx(0.1 * (step + 1))
    assert augmentation.metrics() == {"aug_p": pytest.approx(0.5), "aug_rt": 1.0}
    for _ in range(2):
        augmentation.observe(torch.tensor([2.0] * 16 + [-2.0] * 16))  # r_t = 0 < 0.6
    assert augmentation.p == pytest.approx(0.3)
    for _ in range(10):
        augmentation.observe(-torch.ones(32))
    assert augmentation.p == 0.0  # never below 0


def test_p_moves_once_per_interval_and_stops_at_max_p():
    augmentation = ada(speed=64, interval=4, max_p=0.8)
    for _ in range(3):
        augmentation.observe(torch.ones(8))
    assert augmentation.p == 0.0
    augmentation.observe(torch.ones(8))
    assert augmentation.p == pytest.approx(0.5)  # 4 steps x 8 images / 64
    for _ in range(8):
        augmentation.observe(torch.ones(8))
    assert augmentation.p == 0.8


def test_state_round_trips_mid_interval():
    augmentation, copy = ada(speed=100, interval=3), ada(speed=100, interval=3)
    augmentation.observe(torch.ones(10))
    copy.load_state(json.loads(json.dumps(augmentation.state())))
    for each in (augmentation, copy):
        each.observe(torch.ones(10))
        each.observe(torch.tensor([1.0] * 5 + [-1.0] * 5))
    # r_t = 20/30 over the whole interval: above 0.6 only if the batch seen before the copy is counted
    assert copy.state() == augmentation.state() and copy.p == pytest.approx(0.3)


@pytest.mark.parametrize(("sets", "message"), [
    (["aug.target=1.5"], "aug.target='1.5' is out of range"),
    (["aug.ops=xflip,spin"], "aug.ops='xflip,spin' is not valid"),
    (["aug.speed=0"], "aug.speed='0' is out of range"),
    (["aug.initial_p=0.9"], "aug.initial_p=0.9 is above aug.max_p=0.8"),
    (["aug.ops="], "ada needs at least one operation in aug.ops"),
])
def test_bad_options_are_one_line(cli, tmp_path, sets, message):
    arguments = [part for value in sets for part in ("--set", value)]
    result = cli("train", "--augment", "ada", "--out", str(tmp_path / "run"), *TINY, "--max-steps", "2", *arguments)
    assert result.code == 2
    assert message in one_line(result.err)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("loss", ["rpgan", "bce"])
def test_resnet_trains_with_ada_and_logs_p(cli, tmp_path, loss):
    run = tmp_path / "run"
    result = cli("train", "--loss", loss, "--augment", "ada", "--out", str(run), *TINY, "--max-steps", "5",
                 "--set", "aug.initial_p=0.5", "--set", "aug.speed=80", "--set", "aug.interval=1")
    assert result.code == 0, result.err
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [record["step"] for record in records] == [1, 2, 3, 4, 5]
    values = [record["aug_p"] for record in records]
    assert all(0.0 <= value <= 0.8 for value in values)
    assert len(set(values)) > 1  # each step of 8 images moves p by 0.1, up or down


def test_p_continues_exactly_after_resume(cli, tmp_path):
    whole, split = tmp_path / "whole", tmp_path / "split"
    args = [*TINY, "--augment", "ada", "--checkpoint-every", "3", "--set", "aug.initial_p=0.5", "--set",
            "aug.speed=80", "--set", "aug.interval=2"]
    assert cli("train", "--out", str(whole), *args, "--max-steps", "6").code == 0
    assert cli("train", "--out", str(split), *args, "--max-steps", "3").code == 0
    _, stopped = load_tensors(latest_checkpoint(split))
    assert stopped["augment"]["steps"] == 1  # stopped mid-interval: the controller's sums travel too
    result = cli("train", "--resume", str(split), "--max-steps", "6", "--quiet")
    assert result.code == 0, result.err
    expected, expected_state = load_tensors(latest_checkpoint(whole))
    got, got_state = load_tensors(latest_checkpoint(split))
    assert got_state["augment"] == expected_state["augment"]
    assert got_state["augment"]["p"] != 0.5  # p moved during the run
    different = [name for name in expected if not torch.equal(expected[name], got[name])]
    assert not different, f"resumed run differs in {different[:5]}"
    logged = [[json.loads(line)["aug_p"] for line in (run / "metrics.jsonl").read_text().splitlines()]
              for run in (whole, split)]
    assert logged[0] == logged[1]


def test_list_plugins_shows_ada_and_resnet(cli):
    result = cli("list-plugins", "--json")
    assert result.code == 0, result.err
    provides = {p["plugin"]: p for p in json.loads(result.out)}["builtins"]["provides"]
    assert {"augmentation:ada", "generator:resnet", "discriminator:resnet"} <= set(provides)


def test_describe_ada_lists_its_typed_options(cli):
    result = cli("describe", "ada")
    assert result.code == 0, result.err
    for option in ("ops", "target", "speed", "interval", "initial_p", "max_p", "xflip", "rotate90"):
        assert option in result.out
