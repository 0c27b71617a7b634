"""The `wgan` architecture: a DCGAN-shaped generator and a critic with layer norm instead of batch norm."""

from __future__ import annotations

import torch
from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from torch import nn

SIZES = (28, 8, 16, 32, 64, 128, 256)


def _plan(spec: DataSpec) -> tuple[int, int]:
    """(side of the coarsest feature map, number of 2x steps between it and the image)."""
    if spec.height != spec.width or spec.height not in SIZES:
        raise GantoolError(f"wgan cannot build {spec.height}x{spec.width} images; it builds square sizes "
                           f"{', '.join(map(str, sorted(SIZES)))}: set data.image_size to one of them")
    return (7, 2) if spec.height == 28 else (4, spec.height.bit_length() - 3)


def _init(module: nn.Module) -> None:
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            nn.init.zeros_(layer.bias)


class WGANGenerator(nn.Module):
    """Noise (N, latent_dim) -> images (N, C, H, W) in [-1, 1]."""

    def __init__(self, spec: DataSpec, *, latent_dim: int = 128, depth: int = 64) -> None:
        super().__init__()
        start, steps = _plan(spec)
        self.latent_dim, self.num_classes = latent_dim, 0
        width = depth * 2 ** (steps - 1)
        layers: list[nn.Module] = [
            nn.Linear(latent_dim, width * start * start),
            nn.Unflatten(1, (width, start, start)),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(steps - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1), nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, spec.channels, 4, 2, 1), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        _init(self)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(z)


def _norm(kind: str, channels: int) -> nn.Module:
    """Per-sample normalisation: layer norm (over C, H, W), instance norm, or none."""
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind == "instance":
        return nn.GroupNorm(channels, channels)
    return nn.Identity()


class WGANCritic(nn.Module):
    """Images (N, C, H, W) -> raw scores (N,); no batch norm, so each score depends on its own image only."""

    def __init__(self, spec: DataSpec, *, depth: int = 64, norm: str = "layer") -> None:
        super().__init__()
        start, steps = _plan(spec)
        self.num_classes = 0
        layers: list[nn.Module] = [nn.Conv2d(spec.channels, depth, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        width = depth
        for _ in range(steps - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1), _norm(norm, width * 2), nn.LeakyReLU(0.2, True)]
            width *= 2
        layers += [nn.Flatten(), nn.Linear(width * start * start, 1)]
        self.main = nn.Sequential(*layers)
        _init(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(x).flatten()
