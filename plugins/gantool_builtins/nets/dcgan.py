"""DCGAN generator and discriminator for 28x28 and power-of-two image sizes from 8 to 256."""

from __future__ import annotations

import torch
from torch import nn

from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool_builtins.nets.init import initialise, spectrally_normalise

POWER_OF_TWO_SIZES = (8, 16, 32, 64, 128, 256)
SUPPORTED_SIZES = (28, *POWER_OF_TWO_SIZES)


def plan(spec: DataSpec, name: str = "dcgan") -> tuple[int, int]:
    """(side of the first feature map, number of stride-2 stages) for the data's image size; `name` is
    the architecture the error message names."""
    if spec.height != spec.width or spec.height not in SUPPORTED_SIZES:
        sizes = ", ".join(str(size) for size in SUPPORTED_SIZES)
        raise GantoolError(
            f"{name} cannot build {spec.height}x{spec.width} images; it builds square sizes {sizes}: "
            "set data.image_size to one of them"
        )
    if spec.height == 28:
        return 7, 2
    return 4, spec.height.bit_length() - 3


class DCGANGenerator(nn.Module):
    """Noise (N, latent_dim) -> images (N, C, H, W) in [-1, 1]."""

    def __init__(self, spec: DataSpec, *, latent_dim: int = 100, depth: int = 64, init: str = "normal-0.02") -> None:
        super().__init__()
        start, stages = plan(spec)
        self.latent_dim, self.num_classes = latent_dim, 0
        width = depth * 2 ** (stages - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, width, start, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(stages - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2)]
            layers.append(nn.ReLU(True))
            width //= 2
        layers += [nn.ConvTranspose2d(width, spec.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        initialise(self, init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """Images (N, C, H, W) -> logits (N,); with `spectral_norm`, every layer is spectrally normalised and
    batch norm is left out (the SNGAN discriminator's normalisation)."""

    def __init__(self, spec: DataSpec, *, depth: int = 64, spectral_norm: bool = False,
                 init: str = "normal-0.02") -> None:
        super().__init__()
        start, stages = plan(spec)
        self.num_classes = 0
        layers: list[nn.Module] = [nn.Conv2d(spec.channels, depth, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        width = depth
        for _ in range(stages - 1):
            layers.append(nn.Conv2d(width, width * 2, 4, 2, 1, bias=False))
            if not spectral_norm:
                layers.append(nn.BatchNorm2d(width * 2))
            layers.append(nn.LeakyReLU(0.2, True))
            width *= 2
        layers.append(nn.Conv2d(width, 1, start, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)
        initialise(self, init)
        if spectral_norm:
            spectrally_normalise(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(x).flatten()
