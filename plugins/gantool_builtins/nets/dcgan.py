"""DCGAN generator and discriminator for 28x28 and power-of-two image sizes from 8 to 256, in three layouts.

`standard` is Radford et al.'s layout (4x4 kernels, stride 2), starting from 7x7 for 28x28 images; `from-4x4`
starts 28x28 from 4x4 as well, cropping 32 to 28 in G's last layer and reaching 4x4 with a 3x3 convolution in
D (the PyTorch DCGAN-28 tutorials' layout); `tf-slim` is the layout of TF-slim's dcgan.py (G widens from a 1x1
input, ends in a linear transposed convolution and a 1x1 convolution to the image; D halves down to 1x1).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool_builtins.nets.init import batch_norm_2d, initialise, spectrally_normalise

POWER_OF_TWO_SIZES = (8, 16, 32, 64, 128, 256)
SUPPORTED_SIZES = (28, *POWER_OF_TWO_SIZES)
LAYOUTS = ("standard", "from-4x4", "tf-slim")
BIASES = ("none", "all", "unnormalised")


@dataclass(frozen=True)
class Plan:
    """The spatial plan of a layout at one image size: the side of G's first feature map (and of D's logit kernel
    in the standard layouts), the number of stride-2 stages, and whether the last one crops 32 to 28."""

    start: int
    stages: int
    crop: bool = False


def plan(spec: DataSpec, name: str = "dcgan", layout: str = "standard") -> Plan:
    """The Plan of `layout` for the data's image size, refused in one line where the layout cannot build it;
    `name` is the architecture the error message names."""
    sizes = POWER_OF_TWO_SIZES if layout == "tf-slim" else SUPPORTED_SIZES
    if spec.height != spec.width or spec.height not in sizes:
        listed = ", ".join(str(size) for size in sizes)
        which, other = (f"{name} layout={layout}", " (or another layout)") if layout != "standard" else (name, "")
        raise GantoolError(f"{which} cannot build {spec.height}x{spec.width} images; it builds square sizes "
                           f"{listed}: set data.image_size to one of them{other}")
    if spec.height == 28:
        return Plan(4, 3, crop=True) if layout == "from-4x4" else Plan(7, 2)
    return Plan(4, spec.height.bit_length() - 3)


def _has_bias(bias: str, normalised: bool) -> bool:
    """Whether a convolution gets a bias: `all`, `none`, or `unnormalised` (only where no batch norm follows it,
    TF-slim's rule: a bias before batch norm is cancelled by its mean)."""
    return bias == "all" or (bias == "unnormalised" and not normalised)


class DCGANGenerator(nn.Module):
    """Noise (N, latent_dim) -> images (N, C, H, W) in [-1, 1]."""

    def __init__(self, spec: DataSpec, *, latent_dim: int = 100, depth: int = 64, init: str = "normal-0.02",
                 layout: str = "standard", bias: str = "none", norm_scale: bool = True) -> None:
        super().__init__()
        sizes = plan(spec, layout=layout)
        self.latent_dim, self.num_classes = latent_dim, 0
        if layout == "tf-slim":  # TF-slim's widths: depth * 2**stages, then depth * 2 * (stages - 1) ... depth * 2
            widths = [depth * 2 ** sizes.stages] + [depth * 2 * k for k in range(sizes.stages - 1, 0, -1)]
        else:
            widths = [depth * 2 ** k for k in range(sizes.stages - 1, -1, -1)]
        layers: list[nn.Module] = []
        inputs = latent_dim
        for index, width in enumerate(widths):  # the first maps the 1x1 noise to start x start, the rest double it
            kernel, stride, padding = (sizes.start, 1, 0) if index == 0 else (4, 2, 1)
            layers += [nn.ConvTranspose2d(inputs, width, kernel, stride, padding, bias=_has_bias(bias, True)),
                       batch_norm_2d(width, scale=norm_scale), nn.ReLU(True)]
            inputs = width
        if layout == "tf-slim":  # a linear last upsampling to `depth` maps, then a 1x1 convolution to the image
            layers += [nn.ConvTranspose2d(inputs, depth, 4, 2, 1, bias=_has_bias(bias, False)),
                       nn.Conv2d(depth, spec.channels, 1, bias=_has_bias(bias, False))]
        else:
            padding = 3 if sizes.crop else 1
            layers.append(nn.ConvTranspose2d(inputs, spec.channels, 4, 2, padding, bias=_has_bias(bias, False)))
        layers.append(nn.Tanh())
        self.main = nn.Sequential(*layers)
        initialise(self, init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """Images (N, C, H, W) -> logits (N,); with `spectral_norm`, every layer is spectrally normalised and
    batch norm is left out (the SNGAN discriminator's normalisation)."""

    def __init__(self, spec: DataSpec, *, depth: int = 64, spectral_norm: bool = False, init: str = "normal-0.02",
                 layout: str = "standard", bias: str = "none", norm_scale: bool = True,
                 first_norm: bool = False) -> None:
        super().__init__()
        sizes = plan(spec, layout=layout)
        self.num_classes = 0
        convs = sizes.stages + 2 if layout == "tf-slim" else sizes.stages  # tf-slim halves down to 1x1
        layers: list[nn.Module] = []
        inputs, width = spec.channels, depth
        for index in range(convs):
            normalised = not spectral_norm and (index > 0 or first_norm)
            kernel = 3 if sizes.crop and index == convs - 1 else 4  # 7x7 -> 4x4 where 28 is cropped from 32
            layers.append(nn.Conv2d(inputs, width, kernel, 2, 1, bias=_has_bias(bias, normalised)))
            if normalised:
                layers.append(batch_norm_2d(width, scale=norm_scale))
            layers.append(nn.LeakyReLU(0.2, True))
            inputs, width = width, width * 2
        logit_kernel = 1 if layout == "tf-slim" else sizes.start
        layers.append(nn.Conv2d(inputs, 1, logit_kernel, 1, 0, bias=_has_bias(bias, False)))
        self.main = nn.Sequential(*layers)
        initialise(self, init)
        if spectral_norm:
            spectrally_normalise(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(x).flatten()
