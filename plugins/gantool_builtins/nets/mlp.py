"""Fully connected generator and discriminator on flattened images: they build for any DataSpec."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gantool.interfaces import DataSpec
from gantool_builtins.nets.init import initialise, spectrally_normalise


def pixels(spec: DataSpec) -> int:
    """Values in one flattened image."""
    return spec.channels * spec.height * spec.width


def generator_stack(inputs: int, hidden: Sequence[int], outputs: int, slope: float = 0.2, *, hidden_bias: bool = True,
                    output_bias: bool = True, output_norm: bool = False) -> nn.Sequential:
    """Linear layers through the `hidden` widths, each with batch norm and LeakyReLU(slope), then tanh (and batch
    norm after it with `output_norm`, as Keras MLP tutorials have)."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(inputs, width, bias=hidden_bias), nn.BatchNorm1d(width), nn.LeakyReLU(slope, True)]
        inputs = width
    layers += [nn.Linear(inputs, outputs, bias=output_bias), nn.Tanh()]
    if output_norm:
        layers.append(nn.BatchNorm1d(outputs))
    return nn.Sequential(*layers)


def discriminator_stack(inputs: int, hidden: Sequence[int], dropout: float = 0.0, *, slope: float = 0.2,
                        batch_norm: bool = False, hidden_bias: bool = True, output_bias: bool = True) -> nn.Sequential:
    """Linear layers through the `hidden` widths (with batch norm), LeakyReLU(slope) (and dropout), then one logit."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(inputs, width, bias=hidden_bias), *([nn.BatchNorm1d(width)] if batch_norm else []),
                   nn.LeakyReLU(slope, True)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        inputs = width
    layers.append(nn.Linear(inputs, 1, bias=output_bias))
    return nn.Sequential(*layers)


class Branches(nn.Module):
    """Two inputs, each through its own linear layer (with batch norm) and LeakyReLU(slope), joined side by side:
    the separate noise and label (or image and label) branches of the classic MLP conditional GAN."""

    def __init__(self, first: int, second: int, units: int, *, batch_norm: bool, slope: float) -> None:
        super().__init__()

        def branch(inputs: int) -> nn.Sequential:
            norm = [nn.BatchNorm1d(units)] if batch_norm else []
            return nn.Sequential(nn.Linear(inputs, units), *norm, nn.LeakyReLU(slope, True))

        self.first, self.second = branch(first), branch(second)

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.first(first), self.second(second)], 1)


class MLPGenerator(nn.Module):
    """Noise (N, latent_dim) -> images (N, C, H, W) through fully connected layers: in [-1, 1] unless batch norm
    follows the tanh (`output_norm`)."""

    def __init__(self, spec: DataSpec, *, latent_dim: int, hidden: Sequence[int], slope: float = 0.2,
                 init: str = "pytorch", hidden_bias: bool = True, output_bias: bool = True,
                 output_norm: bool = False) -> None:
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, 0
        self.shape = (spec.channels, spec.height, spec.width)
        self.main = generator_stack(latent_dim, hidden, pixels(spec), slope, hidden_bias=hidden_bias,
                                    output_bias=output_bias, output_norm=output_norm)
        initialise(self, init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(z.flatten(1)).view(len(z), *self.shape)


class MLPDiscriminator(nn.Module):
    """Images (N, C, H, W), flattened -> logits (N,)."""

    def __init__(self, spec: DataSpec, *, hidden: Sequence[int], spectral_norm: bool = False, slope: float = 0.2,
                 batch_norm: bool = False, init: str = "pytorch", hidden_bias: bool = True,
                 output_bias: bool = True) -> None:
        super().__init__()
        self.num_classes = 0
        self.main = discriminator_stack(pixels(spec), hidden, slope=slope, batch_norm=batch_norm,
                                        hidden_bias=hidden_bias, output_bias=output_bias)
        initialise(self, init)
        if spectral_norm:
            spectrally_normalise(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(x.flatten(1)).flatten()
