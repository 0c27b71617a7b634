"""The built-in datasets: mnist5k's classes and splits, the torchvision sets from their files, image folders."""

from __future__ import annotations

import torch

from gantool.options import resolve_options
from gantool.registry import load_registry


def build(name: str, **raw: str):
    """Build a dataset from option strings, as `--set data.KEY=VALUE` would."""
    factory = load_registry().get("dataset", name).factory
    return factory(**resolve_options(factory, raw, "data"))


def test_mnist5k_classes_keep_those_digits_with_their_own_labels():
    bundle = build("mnist5k", classes="0,1,7")
    assert sorted(bundle.labels.unique().tolist()) == [0, 1, 7] and len(bundle) == 1500
    assert bundle.spec.num_classes == 10, "label 7 stays a seven, so a conditional G keeps 10 classes"
    everything = build("mnist5k")
    sevens = everything.images[everything.labels == 7]
    assert torch.equal(bundle.images[bundle.labels == 7], sevens)


def test_mnist5k_splits_hold_out_every_tenth_digit_of_each_class():
    everything, train, heldout = build("mnist5k"), build("mnist5k", split="train"), build("mnist5k", split="heldout")
    assert (len(train), len(heldout)) == (4500, 500)
    assert torch.bincount(heldout.labels).tolist() == [50] * 10
    for digit in range(10):
        images = everything.images[everything.labels == digit]
        assert torch.equal(heldout.images[heldout.labels == digit], images[9::10])
        kept = torch.ones(len(images), dtype=torch.bool)
        kept[9::10] = False
        assert torch.equal(train.images[train.labels == digit], images[kept])


def test_mnist5k_split_and_classes_combine():
    bundle = build("mnist5k", classes="3", split="heldout", image_size="16")
    assert len(bundle) == 50 and set(bundle.labels.tolist()) == {3}
    assert tuple(bundle.images.shape) == (50, 1, 16, 16)


def test_mnist5k_refuses_a_digit_outside_0_to_9_in_one_line(cli, tmp_path):
    result = cli("train", "--set", "data.classes=0,12", "--out", str(tmp_path / "run"), "--quiet")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "data.classes" in result.err and "0 to 9" in result.err
    assert not (tmp_path / "run").exists()
    wrong_split = cli("train", "--set", "data.split=test", "--out", str(tmp_path / "run"), "--quiet")
    assert wrong_split.code == 2 and "all|train|heldout" in wrong_split.err
