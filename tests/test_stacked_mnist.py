"""Stacked MNIST: the dataset (1,000 modes, the same bytes on every build, strict train/held-out parts) and the
benchmark's two numbers in `gantool evaluate` (modes covered and KL from uniform)."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest
import torch
from gantool_builtins.data_sources.bundled import load_mnist5k
from gantool_builtins.data_sources.stacked import mode_digits
from gantool_builtins.datasets import stacked_mnist

from gantool.evaluation.api import Measurement, sample_count
from gantool.evaluation.modes import (
    LITERATURE_SAMPLES,
    StackedDigitExtractor,
    kl_from_uniform,
    mode_scores,
    modes_of,
)
from gantool.testing import check_dataset

DEFAULT_SHA256 = "d20e5cd92dba63aaa0644e2657d46ad5bfb2fbde10fd2a0b2a95a95d6f71758f"
"""The default build's pixels. The benchmark's data must not drift: a change here must be deliberate."""


def test_the_default_build_is_the_recorded_bytes_every_time():
    first, second = stacked_mnist(), stacked_mnist()
    assert torch.equal(first.images, second.images) and torch.equal(first.modes, second.modes)
    assert hashlib.sha256(first.images.numpy().tobytes()).hexdigest() == DEFAULT_SHA256
    other_seed = stacked_mnist(seed=1)
    assert torch.equal(other_seed.modes, first.modes) and not torch.equal(other_seed.images, first.images)


def test_it_is_unlabelled_with_every_one_of_1000_modes_equally_often():
    bundle = check_dataset(stacked_mnist, {"size": 3000})
    assert bundle.spec.channels == 3 and (bundle.spec.height, bundle.spec.width) == (28, 28)
    assert bundle.spec.num_classes == 0 and int(bundle.labels.abs().sum()) == 0
    assert len(bundle) == 3000 and bundle.images.dtype == torch.uint8
    assert bundle.modes.unique().numel() == 1000
    assert set(bundle.modes.bincount().tolist()) == {3}
    triples = {tuple(row) for row in mode_digits(bundle.modes).tolist()}
    assert len(triples) == 1000


@pytest.mark.parametrize(("split", "other"), [("train", "heldout"), ("heldout", "train")])
def test_each_channel_is_a_digit_of_its_mode_from_its_own_part(split, other):
    bundle = stacked_mnist(size=1000, split=split)
    own, apart = load_mnist5k(split=split), load_mnist5k(split=other)
    label_of = {image.numpy().tobytes(): int(label) for image, label in zip(own.images[:, 0], own.labels, strict=True)}
    others = {image.numpy().tobytes() for image in apart.images[:, 0]}
    for image, digits in zip(bundle.images, mode_digits(bundle.modes).tolist(), strict=True):
        channels = [channel.numpy().tobytes() for channel in image]
        assert [label_of[channel] for channel in channels] == digits
        assert not others.intersection(channels)
    assert bundle.evaluation_parts.reference == {"split": "heldout"}
    assert bundle.evaluation_parts.floor == {"split": "train"}


def test_kl_from_uniform_is_zero_when_uniform_and_log_1000_for_one_mode():
    assert kl_from_uniform(np.full(1000, 26)) == 0.0
    one = np.zeros(1000, dtype=np.int64)
    one[417] = 26000
    assert kl_from_uniform(one) == pytest.approx(math.log(1000))
    half = np.zeros(1000, dtype=np.int64)
    half[:500] = 2
    assert kl_from_uniform(half) == pytest.approx(math.log(2))


def test_real_stacked_digits_cover_every_mode_and_a_constant_image_one():
    extract = StackedDigitExtractor(torch.device("cpu"))
    real = stacked_mnist(size=3000, split="heldout")
    probs = torch.cat([extract(chunk.float().div(127.5).sub(1))[1] for chunk in real.images.split(1000)]).numpy()
    assert (modes_of(probs) == real.modes.numpy()).mean() > 0.95  # red is the hundreds, as the dataset counts
    scores = mode_scores(probs)
    assert scores["modes_covered"] == 1000 and scores["modes"] == 1000
    assert scores["mode_kl"] < 0.03  # the classifier's rare mistakes on digits it never saw move a few samples
    features, constant_probs = extract(torch.full((50, 3, 28, 28), -1.0))
    assert features.shape == (50, 384)
    constant = mode_scores(constant_probs.numpy())
    assert constant["modes_covered"] == 1
    assert constant["mode_kl"] == pytest.approx(math.log(1000))


def test_the_default_sample_count_is_the_literatures_for_stacked_mnist_only():
    def how(num=None, extractor="auto"):
        return Measurement(num, 0, extractor, None, 3, torch.device("cpu"))

    assert sample_count((3, 28, 28), how()) == LITERATURE_SAMPLES == 26000
    assert sample_count((3, 28, 28), how(extractor="inception")) == 2000
    assert sample_count((1, 28, 28), how()) == sample_count((3, 64, 64), how()) == 2000
    assert sample_count((3, 28, 28), how(num=500)) == 500


def test_evaluate_reports_modes_and_kl_of_a_stacked_array(cli, tmp_path):
    images = stacked_mnist(size=1000, seed=3).images[:300]
    np.save(tmp_path / "stacked.npy", images.permute(0, 2, 3, 1).numpy(), allow_pickle=False)
    small = ("--set", "data.size=1000")
    table = cli("evaluate", str(tmp_path / "stacked.npy"), *small)
    assert table.code == 0, table.err
    assert "Stacked MNIST modes covered" in table.out and "/1,000" in table.out and "mode KL" in table.out
    assert "the literature counts on 26,000 samples" in table.out
    result = cli("evaluate", str(tmp_path / "stacked.npy"), *small, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    metrics, protocol = data["metrics"], data["protocol"]
    assert protocol["samples"] == 300 and data["found"] == 300
    assert "stacked-mnist" in protocol["reference"] and "held-out part" in protocol["reference"]
    assert protocol["extractor"].endswith("per-channel") and "26,000" in protocol["modes"]
    probs = StackedDigitExtractor(torch.device("cpu"))(images.float().div(127.5).sub(1))[1].numpy()
    modes = modes_of(probs)  # the same 300 images, classified channel by channel here
    assert metrics["modes_covered"] == len(np.unique(modes)) and metrics["modes"] == 1000
    assert metrics["mode_kl"] == pytest.approx(kl_from_uniform(np.bincount(modes, minlength=1000)))
    assert "modes_covered" in data["floor"] and "mode_kl" in data["floor"]



def test_a_default_run_is_measured_under_the_strict_protocol():
    from gantool.evaluation.reference import overlap_note, real_parts
    from gantool.registry import load_registry

    registry = load_registry()
    real = real_parts(registry, "stacked-mnist", {"size": 1000})
    assert "held-out part" in real.reference.description and "train part" in real.floor.description
    assert overlap_note(registry, real, "stacked-mnist", {"size": 1000}) is None  # trained on train stacks
    assert "--set data.split=train" in overlap_note(registry, real, "stacked-mnist", {"split": "heldout"})
