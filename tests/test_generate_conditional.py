"""Conditional generators: per-class grids, fixed labels, labels beside .npy arrays, label switches and
label accuracy, using a tiny conditional architecture registered in-process."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from gantool import hookimpl


class TinyConditionalGenerator(nn.Module):
    def __init__(self, spec, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim, self.num_classes, self.shape = latent_dim, spec.num_classes, (spec.channels, spec.height,
                                                                                        spec.width)
        self.embed = nn.Embedding(spec.num_classes, latent_dim)
        self.net = nn.Sequential(nn.Linear(2 * latent_dim, int(np.prod(self.shape))), nn.Tanh())

    def forward(self, z, labels=None):
        return self.net(torch.cat([z, self.embed(labels)], 1)).view(len(z), *self.shape)


class TinyConditionalDiscriminator(nn.Module):
    def __init__(self, spec) -> None:
        super().__init__()
        self.num_classes = spec.num_classes
        self.net = nn.Linear(spec.channels * spec.height * spec.width, spec.num_classes)

    def forward(self, x, labels=None):
        return self.net(x.flatten(1)).gather(1, labels.view(-1, 1)).flatten()


def tiny_cond_generator(spec, *, latent_dim: int = 8):
    """A one-layer conditional generator for tests."""
    return TinyConditionalGenerator(spec, latent_dim)


def tiny_cond_discriminator(spec):
    """A linear projection discriminator for tests."""
    return TinyConditionalDiscriminator(spec)


class ConditionalPlugin:
    @hookimpl
    def register_generators(self, register):
        register("tiny-cond", tiny_cond_generator)

    @hookimpl
    def register_discriminators(self, register):
        register("tiny-cond", tiny_cond_discriminator)


PLUGINS = [(ConditionalPlugin(), "test-cond")]


@pytest.fixture
def cond(cli):
    def invoke(*args):
        return cli(*args, extra_plugins=PLUGINS)

    return invoke


@pytest.fixture
def cond_run(cond, tmp_path):
    run = tmp_path / "cond"
    result = cond("train", "--gen", "tiny-cond", "--out", str(run), "--batch-size", "16", "--max-steps", "3", "--quiet")
    assert result.code == 0, result.err
    return run


def test_per_class_draws_one_row_per_class(cond, cond_run, tmp_path):
    grid, array = tmp_path / "grid.png", tmp_path / "digits.npy"
    assert cond("generate", str(cond_run), "--per-class", "--num", "3", "--out", str(grid)).code == 0
    assert Image.open(grid).size == (3 * 30 + 2, 10 * 30 + 2)
    assert cond("generate", str(cond_run), "--per-class", "--num", "2", "--format", "npy", "--out",
                str(array)).code == 0
    labels = np.load(tmp_path / "digits.labels.npy", allow_pickle=False)
    assert labels.tolist() == [c for c in range(10) for _ in range(2)]
    assert np.load(array, allow_pickle=False).shape == (20, 28, 28, 1)


def test_a_fixed_label_names_every_file(cond, cond_run, tmp_path):
    folder = tmp_path / "sevens"
    assert cond("generate", str(cond_run), "--label", "7", "--num", "3", "--format", "files",
                "--out", str(folder)).code == 0
    assert sorted(p.name for p in folder.iterdir()) == [f"{i:06d}-class7.png" for i in range(3)]
    assert cond("generate", str(cond_run), "--label", "10", "--out", str(tmp_path / "x.png")).code == 2


def test_label_b_switches_the_class_halfway(cond, cond_run, tmp_path):
    both, first, second = (tmp_path / f"{name}.png" for name in ("both", "first", "second"))
    common = ["--steps", "4", "--seed-a", "1", "--seed-b", "1", "--mode", "lerp"]
    assert cond("interpolate", str(cond_run), *common, "--label", "2", "--label-b", "5", "--out", str(both)).code == 0
    assert cond("interpolate", str(cond_run), *common, "--label", "2", "--out", str(first)).code == 0
    assert cond("interpolate", str(cond_run), *common, "--label", "5", "--out", str(second)).code == 0
    strip = [np.asarray(Image.open(path))[:, :62] for path in (both, first, second)]
    tail = [np.asarray(Image.open(path))[:, 62:] for path in (both, first, second)]
    assert np.array_equal(strip[0], strip[1]) and np.array_equal(tail[0], tail[2])


def test_evaluate_reports_label_accuracy_for_a_conditional_generator(cond, cond_run):
    result = cond("evaluate", str(cond_run), "--num", "50", "--json")
    assert result.code == 0, result.err
    metrics = json.loads(result.out)["metrics"]
    assert 0.0 <= metrics["label_accuracy"] <= 1.0
    assert sum(metrics["class_histogram"]) == 50
