"""gantool.testing: the built-in parts pass every contract check, and each kind of broken part is caught."""

from __future__ import annotations

import os
import re
import sys
from typing import Annotated

import gantool_builtins.plugin
import pytest
import torch
from gantool_builtins.architectures import dcgan_discriminator, dcgan_generator
from gantool_builtins.datasets import mnist5k
from gantool_builtins.losses import bce
from torch import nn

from gantool.interfaces import DatasetBundle, DataSpec
from gantool.options import Option
from gantool.testing import (
    check_dataset,
    check_discriminator,
    check_generator,
    check_loss,
    check_options,
    check_plugin,
    check_torch_free_import,
)

MNIST = DataSpec(1, 28, 28, num_classes=10)


def test_builtin_plugin_keeps_every_contract():
    # Datasets that need files are checked one by one; mnist5k is bundled, see below.
    registry = check_plugin(gantool_builtins.plugin, specs=[MNIST, DataSpec(3, 64, 64)],
                            options={"dcgan": {"depth": 4, "latent_dim": 8}, "mlp": {"hidden1": 8, "hidden2": 8},
                                     "cgan": {"depth": 4}, "resnet": {"width": 4}}, datasets=False)
    assert "dcgan" in registry.names("generator") and "bce" in registry.names("loss")


def test_options_for_a_part_the_plugin_lacks_are_caught():
    with pytest.raises(AssertionError, match=re.escape("options were given for ['dcgn']")):
        check_plugin(gantool_builtins.plugin, options={"dcgn": {"depth": 4}})


def test_builtin_factories_pass_one_by_one():
    generator = check_generator(dcgan_generator, MNIST, {"depth": 4})
    assert generator.latent_dim == 100
    check_discriminator(dcgan_discriminator, MNIST, {"depth": 4})
    assert check_loss(bce).discriminator_loss is not None
    bundle = check_dataset(mnist5k, {"image_size": 16})
    assert bundle.spec == DataSpec(1, 16, 16, 10)


def test_builtin_hook_module_does_not_import_torch():
    check_torch_free_import("gantool_builtins.plugin")


# -- broken parts, each caught with a message that names the broken rule ---------------------------------


class _Net(nn.Module):
    """A tiny configurable G or D body used to build deliberately broken parts."""

    def __init__(self, spec: DataSpec, out: int, num_classes: int = 0) -> None:
        super().__init__()
        self.spec, self.latent_dim, self.num_classes = spec, 8, num_classes
        self.linear = nn.Linear(8 if out > 1 else spec.channels * spec.height * spec.width, out)


class NoTanhGenerator(_Net):
    def __init__(self, spec):
        super().__init__(spec, spec.channels * spec.height * spec.width)

    def forward(self, z, labels=None):
        return (self.linear(z) * 100).view(len(z), self.spec.channels, self.spec.height, self.spec.width)


class WrongChannelsGenerator(_Net):
    def __init__(self, spec):
        super().__init__(spec, 3 * spec.height * spec.width)

    def forward(self, z, labels=None):
        return torch.tanh(self.linear(z)).view(len(z), 3, self.spec.height, self.spec.width)


class LabelBlindGenerator(_Net):
    def __init__(self, spec):
        super().__init__(spec, spec.channels * spec.height * spec.width, num_classes=spec.num_classes)

    def forward(self, z, labels=None):
        return torch.tanh(self.linear(z)).view(len(z), self.spec.channels, self.spec.height, self.spec.width)


class SigmoidDiscriminator(_Net):
    def __init__(self, spec):
        super().__init__(spec, 1)

    def forward(self, x, labels=None):
        return torch.sigmoid(self.linear(x.flatten(1))).flatten()


class ColumnDiscriminator(_Net):
    def __init__(self, spec):
        super().__init__(spec, 1)

    def forward(self, x, labels=None):
        return self.linear(x.flatten(1))


class DetachingDiscriminator(_Net):
    def __init__(self, spec):
        super().__init__(spec, 1)

    def forward(self, x, labels=None):
        return self.linear(x.detach().flatten(1)).flatten()


@pytest.mark.parametrize(("check", "part", "message"), [
    (check_generator, NoTanhGenerator, "must lie in [-1, 1]"),
    (check_generator, WrongChannelsGenerator, "expected (N, C, H, W) = (4, 1, 28, 28)"),
    (check_generator, LabelBlindGenerator, "ignores its labels"),
    (check_discriminator, SigmoidDiscriminator, "ends in a sigmoid"),
    (check_discriminator, ColumnDiscriminator, "shape (N,)"),
    (check_discriminator, DetachingDiscriminator, "no gradient flows back to the input"),
])
def test_broken_architectures_are_caught(check, part, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        check(part, MNIST)


class _Loss:
    def discriminator_loss(self, real, fake):
        return {"loss": (fake - real).mean()}

    def generator_loss(self, fake):
        return -fake.mean()


class TensorInsteadOfMapping(_Loss):
    def discriminator_loss(self, real, fake):
        return (fake - real).mean()


class UnreducedGeneratorLoss(_Loss):
    def generator_loss(self, fake):
        return -fake


class WrongSignGeneratorLoss(_Loss):
    def generator_loss(self, fake):
        return fake.mean()


class PenaltyWithoutGraph(_Loss):
    def penalty(self, discriminator, real, fake, labels):
        x = real.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(discriminator(x, labels).sum(), x)
        return (grad.flatten(1).norm(dim=1) - 1).square().mean()


@pytest.mark.parametrize(("loss", "message"), [
    (TensorInsteadOfMapping, "mapping with a 'loss' entry"),
    (UnreducedGeneratorLoss, "must be a scalar tensor"),
    (WrongSignGeneratorLoss, "G's loss must fall"),
    (PenaltyWithoutGraph, "create_graph=True"),
])
def test_broken_losses_are_caught(loss, message):
    check_loss(_Loss)  # the unbroken base passes
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_loss(loss)


def untyped_option(*, depth=8):
    """An option without a type hint."""


def dict_option(*, sizes: dict = {}):  # noqa: B006 - the unsupported type is the point
    """An option of a type --set cannot parse."""


def default_out_of_bounds(*, depth: Annotated[int, Option("width", min=1)] = 0):
    """A default that breaks the option's own bound."""


@pytest.mark.parametrize(("factory", "message"), [
    (untyped_option, "has no type hint"),
    (dict_option, "which --set cannot parse"),
    (default_out_of_bounds, "breaks its own bounds"),
])
def test_broken_options_are_caught(factory, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_options(factory)


def float_pixels_dataset():
    """Pixels left in [0, 255] instead of [-1, 1]."""
    images = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    return DatasetBundle(DataSpec(1, 8, 8), dataset=[(image.float(), 0) for image in images])


def labels_out_of_range_dataset():
    """Labels beyond the spec's class count."""
    images = torch.zeros(4, 1, 8, 8, dtype=torch.uint8)
    return DatasetBundle(DataSpec(1, 8, 8, num_classes=2), images=images, labels=torch.arange(4))


@pytest.mark.parametrize(("factory", "message"), [
    (float_pixels_dataset, "not [-1, 1]"),
    (labels_out_of_range_dataset, "the spec has 2 classes"),
])
def test_broken_datasets_are_caught(factory, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_dataset(factory)


def test_hook_module_importing_torch_is_caught(tmp_path, monkeypatch):
    # A stand-in named torch keeps the test fast; the check only looks at what got imported.
    (tmp_path / "torch.py").write_text("")
    (tmp_path / "eager_plugin.py").write_text("import torch  # at import time: slows every gantool command\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    with pytest.raises(AssertionError, match="imports torch"):
        check_torch_free_import("eager_plugin")
