"""The layer options of the built-in architectures (docs/tutorials.md's table): every dcgan layout builds the sizes
it promises and keeps the plugin contract, biases and batch-norm scales go where the options say, xavier-uniform
init is Glorot's, and the defaults still build Radford et al.'s DCGAN."""

from __future__ import annotations

import math

import pytest
import torch
from gantool_builtins.architectures import (
    cgan_discriminator,
    cgan_generator,
    dcgan_discriminator,
    dcgan_generator,
    mlp_discriminator,
    mlp_generator,
)
from torch import nn

from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool.testing import check_architecture

CONVS = (nn.Conv2d, nn.ConvTranspose2d)


def radford_dcgan(channels: int, latent: int, depth: int, start: int, stages: int) -> tuple[nn.Module, nn.Module]:
    """The DCGAN of Radford et al. in torch.nn: 4x4 kernels, no biases, batch norm with scale and shift."""
    width = depth * 2 ** (stages - 1)
    g_layers = [nn.ConvTranspose2d(latent, width, start, 1, 0, bias=False), nn.BatchNorm2d(width)]
    for _ in range(stages - 1):
        g_layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2)]
        width //= 2
    g_layers.append(nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False))
    d_layers, width = [nn.Conv2d(channels, depth, 4, 2, 1, bias=False)], depth
    for _ in range(stages - 1):
        d_layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2)]
        width *= 2
    d_layers.append(nn.Conv2d(width, 1, start, 1, 0, bias=False))
    return nn.Sequential(*g_layers), nn.Sequential(*d_layers)


def shapes(module: nn.Module) -> list[tuple[int, ...]]:
    return [tuple(tensor.shape) for tensor in module.state_dict().values()]


@pytest.mark.parametrize(("spec", "start", "stages"), [(DataSpec(1, 28, 28), 7, 2), (DataSpec(3, 64, 64), 4, 4)])
def test_dcgan_defaults_are_radfords_layout(spec, start, stages):
    generator, discriminator = radford_dcgan(spec.channels, 100, 64, start, stages)
    assert shapes(dcgan_generator(spec)) == shapes(generator)
    assert shapes(dcgan_discriminator(spec)) == shapes(discriminator)


@pytest.mark.parametrize(("layout", "size"), [("standard", 8), ("from-4x4", 28), ("from-4x4", 32), ("tf-slim", 8),
                                              ("tf-slim", 32)])
@pytest.mark.parametrize("bias", ["none", "all", "unnormalised"])
def test_every_dcgan_layout_keeps_the_contract(layout, size, bias):
    options = {"depth": 4, "layout": layout, "bias": bias, "norm_scale": bias != "all"}
    check_architecture(dcgan_generator, dcgan_discriminator, DataSpec(3, size, size), options,
                       {**options, "first_norm": bias == "none"})


def test_bias_options_put_biases_where_they_say():
    spec = DataSpec(1, 32, 32)
    for factory in (dcgan_generator, dcgan_discriminator):
        assert all(layer.bias is None for layer in factory(spec, depth=4).modules() if isinstance(layer, CONVS))
        assert all(layer.bias is not None for layer in factory(spec, depth=4, bias="all").modules()
                   if isinstance(layer, CONVS))
        layers = list(factory(spec, depth=4, layout="tf-slim", bias="unnormalised").main)
        for layer, after in zip(layers, [*layers[1:], None], strict=True):
            if isinstance(layer, CONVS):
                assert (layer.bias is None) == isinstance(after, nn.BatchNorm2d), (factory.__name__, layer)
    generator = mlp_generator(DataSpec(1, 28, 28), hidden_bias=False, output_bias=False, output_norm=True)
    assert [layer.bias is None for layer in generator.main if isinstance(layer, nn.Linear)] == [True, True, True]
    assert isinstance(generator.main[-2], nn.Tanh) and isinstance(generator.main[-1], nn.BatchNorm1d)
    discriminator = mlp_discriminator(DataSpec(1, 28, 28), hidden_bias=False)
    assert [layer.bias is None for layer in discriminator.main if isinstance(layer, nn.Linear)] == [True, True, False]


def test_batch_norm_without_scale_learns_only_its_shift():
    generator = dcgan_generator(DataSpec(1, 8, 8), depth=4, norm_scale=False)
    norm = generator.main[1]
    assert [name for name, _ in norm.named_parameters()] == ["bias"]
    generator(torch.randn(4, 100)).square().mean().backward()
    assert norm.bias.grad is not None and norm.bias.grad.abs().sum() > 0
    with torch.no_grad():
        out = norm.train()(torch.randn(8, 4, 3, 3) * 5 + 2)
    assert torch.allclose(out.mean((0, 2, 3)), torch.zeros(4), atol=1e-5)  # normalised, shifted by 0, not rescaled
    assert torch.allclose(out.var((0, 2, 3), unbiased=False), torch.ones(4), atol=1e-3)


@pytest.mark.parametrize(("gen", "disc", "options", "layer"), [
    (dcgan_generator, dcgan_discriminator, {"layout": "tf-slim", "bias": "unnormalised"}, "main.0"),
    (mlp_generator, mlp_discriminator, {}, "main.0"),
    (cgan_generator, cgan_discriminator, {"body": "mlp"}, "main.0")])
def test_xavier_uniform_is_glorots_init_for_every_architecture(gen, disc, options, layer):
    spec = DataSpec(1, 32, 32, 10 if gen is cgan_generator else 0)
    for factory in (gen, disc):
        module = factory(spec, init="xavier-uniform", **options)
        weight = dict(module.named_parameters())[f"{layer}.weight"].detach()
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(weight)
        bound = math.sqrt(6 / (fan_in + fan_out))
        assert float(weight.abs().max()) <= bound
        assert float(weight.std()) == pytest.approx(bound / math.sqrt(3), rel=0.1)
        biases = [param for name, param in module.named_parameters() if name.endswith("bias")]
        assert biases and all(float(bias.detach().abs().max()) == 0 for bias in biases)


def test_tf_slim_layout_refuses_28x28_in_one_line():
    with pytest.raises(GantoolError, match=r"layout=tf-slim cannot build 28x28 .* 8, 16, 32, 64, 128, 256") as error:
        dcgan_generator(DataSpec(1, 28, 28), layout="tf-slim")
    assert "\n" not in str(error.value)
