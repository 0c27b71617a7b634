"""Fully connected generator and discriminator on flattened images: they build for any DataSpec."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gantool.interfaces import DataSpec
from gantool_builtins.nets.init import spectrally_normalise


def pixels(spec: DataSpec) -> int:
    """Values in one flattened image."""
    return spec.channels * spec.height * spec.width


def generator_stack(inputs: int, hidden: Sequence[int], outputs: int) -> nn.Sequential:
    """Linear layers through the `hidden` widths, each with batch norm and LeakyReLU(0.2), then tanh."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(inputs, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.2, True)]
        inputs = width
    layers += [nn.Linear(inputs, outputs), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator_stack(inputs: int, hidden: Sequence[int], dropout: float = 0.0) -> nn.Sequential:
    """Linear layers through the `hidden` widths with LeakyReLU(0.2) (and dropout), then one logit."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(inputs, width), nn.LeakyReLU(0.2, True)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        inputs = width
    layers.append(nn.Linear(inputs, 1))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """Noise (N, latent_dim) -> images (N, C, H, W) in [-1, 1] through fully connected layers."""

    def __init__(self, spec: DataSpec, *, latent_dim: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, 0
        self.shape = (spec.channels, spec.height, spec.width)
        self.main = generator_stack(latent_dim, hidden, pixels(spec))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(z.flatten(1)).view(len(z), *self.shape)


class MLPDiscriminator(nn.Module):
    """Images (N, C, H, W), flattened -> logits (N,)."""

    def __init__(self, spec: DataSpec, *, hidden: Sequence[int], spectral_norm: bool = False) -> None:
        super().__init__()
        self.num_classes = 0
        self.main = discriminator_stack(pixels(spec), hidden)
        if spectral_norm:
            spectrally_normalise(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(x.flatten(1)).flatten()
