"""Promise 2: N steps, stop, resume for N more equals 2N uninterrupted steps, tensor for tensor on the CPU;
a checkpoint that does not fit the data adapts with a warning, and a tampered one fails before the first step."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from gantool.storage.checkpoint import load_tensors, save_tensors
from gantool.storage.rundir import latest_checkpoint
from tests.conftest import run_subprocess

# Batches of 1,000 from 5,000 digits: 5 steps per epoch, so the stop lands mid-epoch and the resumed part
# crosses into the next epoch (a new order drawn from the seed and the epoch) and the learning-rate decay.
RUN = ["--set", "gen.depth=4", "--set", "disc.depth=4", "--set", "data.image_size=8", "--batch-size", "1000",
       "--device", "cpu", "--checkpoint-every", "3", "--sample-every", "3", "--log-every", "1", "--seed", "7",
       "--ema", "0.9", "--lr-decay-epochs", "1", "--d-steps", "2", "--quiet"]


def test_resumed_run_equals_uninterrupted_run(cli, tmp_path):
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert cli("train", "--out", str(whole), *RUN, "--max-steps", "6").code == 0
    assert cli("train", "--out", str(split), *RUN, "--max-steps", "3").code == 0
    _, stopped = load_tensors(latest_checkpoint(split))
    assert (stopped["step"], stopped["epoch"], stopped["position"]) == (3, 0, 3)
    result = cli("train", "--resume", str(split), "--max-steps", "6", "--quiet")
    assert result.code == 0, result.err

    expected, expected_state = load_tensors(latest_checkpoint(whole))
    got, got_state = load_tensors(latest_checkpoint(split))
    assert (got_state["step"], got_state["epoch"], got_state["position"]) == (6, 1, 1)
    assert sorted(got) == sorted(expected)
    for kind in ("g.", "d.", "ema.", "opt_g.", "opt_d.", "rng.torch", "rng.noise", "rng.python", "rng.numpy"):
        assert any(name.startswith(kind) for name in got), f"the checkpoint lacks {kind}*"
    different = [name for name in expected if not torch.equal(expected[name], got[name])]
    assert not different, f"resumed run differs in {different[:5]}"
    assert got_state["sched_g"] != stopped["sched_g"], "the decay at epoch 1 happened after the resume"
    for key in ("opt_g", "opt_d", "sched_g", "sched_d", "step", "epoch", "position"):
        assert got_state[key] == expected_state[key], key
    for grid in ("step-0000006.png", "final.png"):
        assert (split / "samples" / grid).read_bytes() == (whole / "samples" / grid).read_bytes(), grid
    assert (split / "generator.safetensors").read_bytes() == (whole / "generator.safetensors").read_bytes()


# -- a checkpoint that does not fit the data, or has been tampered with, fails or adapts before the first step ------
SMALL = ["--set", "gen.depth=4", "--set", "disc.depth=4", "--set", "data.image_size=8", "--device", "cpu",
         "--log-every", "1", "--quiet"]


def rewrite_checkpoint(run_dir: Path, change: Callable[[dict[str, torch.Tensor], dict[str, Any]], None]) -> None:
    """Load the newest checkpoint, let `change` edit its tensors and state, and save it in place."""
    checkpoint = latest_checkpoint(run_dir)
    tensors, state = load_tensors(checkpoint)
    change(tensors, state)
    save_tensors(checkpoint, tensors, state)


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory) -> Path:
    """Two steps of five in epoch 0, then stopped: the run each test below copies and resumes."""
    run_dir = tmp_path_factory.mktemp("stopped") / "run"
    result = run_subprocess("train", "--out", str(run_dir), *SMALL, "--batch-size", "1000", "--max-steps", "2")
    assert result.returncode == 0, result.stderr
    (run_dir / "generator.safetensors").unlink()
    return run_dir


def adam_group(state: dict[str, Any], name: str) -> list[list[Any]]:
    """The (key, value) pairs of an optimizer's first parameter group in a checkpoint's JSON skeleton."""
    groups = dict((key, value) for key, value in state[name]["__dict__"])["param_groups"]
    return groups["__list__"][0]["__dict__"]


def saved_files(run_dir: Path) -> list[tuple[str, int]]:
    """Every file of a run and its modification time, but the lock, which holds the PID of the latest process."""
    return sorted((path.name, path.stat().st_mtime_ns) for path in run_dir.rglob("*") if path.name != ".lock")


def moment_of_wrong_shape(tensors, state):
    tensors["opt_g.0.0.1"] = torch.zeros(3)


def learning_rate_as_text(tensors, state):
    next(pair for pair in adam_group(state, "opt_d") if pair[0] == "lr")[1] = "0.0002"


def numpy_position_out_of_range(tensors, state):
    tensors["rng.numpy.extra"] = torch.tensor([1e6, 0, 0], dtype=torch.float64)


def step_as_text(tensors, state):
    state["step"] = "2"


@pytest.mark.parametrize(("change", "named"), [
    (moment_of_wrong_shape, "opt_g state (exp_avg"), (learning_rate_as_text, "opt_d state (lr = '0.0002')"),
    (numpy_position_out_of_range, "random state (NumPy"), (step_as_text, "training position (step = '2')")])
def test_a_hostile_checkpoint_fails_in_one_line_before_the_first_step(cli, stopped_run, tmp_path, change, named):
    run_dir = tmp_path / "run"
    shutil.copytree(stopped_run, run_dir)
    rewrite_checkpoint(run_dir, change)
    before = saved_files(run_dir)
    result = cli("train", "--resume", str(run_dir), "--max-steps", "4")
    assert result.code == 2, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and f"holds a damaged {named}" in lines[0], result.err
    assert "remove it to resume from the checkpoint before it" in lines[0]
    assert saved_files(run_dir) == before, "nothing was written"


def test_a_saved_position_past_the_end_of_the_epoch_goes_on_with_the_next_epoch(stopped_run, tmp_path):
    """Once the resume spun forever, deaf to SIGINT and SIGTERM, on an epoch with no batch left."""
    run_dir = tmp_path / "run"
    shutil.copytree(stopped_run, run_dir)
    rewrite_checkpoint(run_dir, lambda tensors, state: state.update(position=10**6))
    result = run_subprocess("train", "--resume", str(run_dir), "--max-steps", "4", timeout=180)
    assert result.returncode == 0, result.stderr
    assert "stopped at batch 1000000 of epoch 0, but an epoch of this data has 5 batches" in result.stderr
    _, state = load_tensors(latest_checkpoint(run_dir))
    assert (state["step"], state["epoch"], state["position"]) == (4, 1, 2)


def test_resuming_after_half_the_images_were_deleted_finishes_the_run(tmp_path):
    """The real case: an image-folder run stopped at batch 3 of 4, resumed once an epoch has 2 batches."""
    root = tmp_path / "images"
    root.mkdir()
    for index in range(32):
        Image.new("L", (8, 8), index * 8).save(root / f"{index:02d}.png")
    run_dir = tmp_path / "run"
    data = ["--dataset", "image-folder", "--set", f"data.root={root}", "--set", "data.channels=1"]
    result = run_subprocess("train", "--out", str(run_dir), *data, *SMALL, "--batch-size", "8", "--max-steps", "3")
    assert result.returncode == 0, result.stderr
    for path in sorted(root.iterdir())[16:]:
        path.unlink()
    result = run_subprocess("train", "--resume", str(run_dir), "--max-steps", "5", timeout=180)
    assert result.returncode == 0, result.stderr
    assert "an epoch of this data has 2 batches (the data changed since): going on with epoch 1" in result.stderr
    _, state = load_tensors(latest_checkpoint(run_dir))
    assert (state["step"], state["epoch"], state["position"]) == (5, 2, 0)


def test_an_epoch_that_comes_up_short_ends_the_run_in_one_line_instead_of_spinning(cli, tmp_path, monkeypatch):
    """Whatever the cause, an epoch must end or training stops: a loop that never reaches a batch never reaches
    the check for Ctrl-C either."""
    from gantool.training.batches import BatchSource

    real_batches, calls = BatchSource.batches, []

    def none_after_epoch_0(self, epoch, start=0):
        calls.append(epoch)
        assert len(calls) < 50, "the training loop spins on an epoch without batches"
        return real_batches(self, epoch, start) if epoch == 0 else iter(())

    monkeypatch.setattr(BatchSource, "batches", none_after_epoch_0)
    result = cli("train", "--out", str(tmp_path / "run"), *SMALL, "--batch-size", "1000", "--max-steps", "7")
    assert result.code == 2, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "epoch 1 of the data ended at batch 0 of 5" in lines[0], result.err
