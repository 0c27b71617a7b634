"""Residual generator and discriminator for square 28, 32 and 64 pixel images, with two kinds of block.

`sngan`: the pre-activation block of SNGAN (Miyato et al., 2018): [norm]-ReLU-conv3x3 twice on the branch; a
block that changes resolution or width resamples inside the branch and takes a 1x1 convolution as its shortcut.
`r3gan`: the block of R3GAN (Huang et al., 2024): a 1x1 convolution widens the stream (inverted bottleneck), a
grouped 3x3 convolution mixes space, a 1x1 convolution narrows it back, LeakyReLU(0.2) between them, no
normalisation; resolution and width change in separate transition layers (bilinear resampling and a 1x1
convolution) between the stages.

Both nets have one stage per resolution below the image's own, `depth` blocks each, `width` channels at the
finest stage (half the image size), doubled at each coarser one. G starts from a linear map of z onto the
coarsest grid (7x7 for 28 pixels, else 4x4) and ends by doubling the grid and one 3x3 convolution to the image;
D starts with one 3x3 convolution on the image and halving, and ends by pooling its coarsest grid into one vector
and a linear logit. No block runs at full resolution, where a block costs most (four times the next stage's
pixels); that keeps a 28x28 step near dcgan's on a CPU. With labels, G reads a learned class embedding beside z
and D adds a projection term (Miyato & Koyama, 2018).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool_builtins.nets.init import initialise, spectrally_normalise

SIZES = (28, 32, 64)
EXPANSION = 2  # r3gan: the branch's inner width, as a multiple of the stream's
GROUP_CHANNELS = 16  # r3gan: channels per group of the 3x3 convolution (fewer when the inner width is smaller)
SLOPE = 0.2  # r3gan's LeakyReLU slope


def plan(spec: DataSpec, width: int) -> tuple[int, list[int]]:
    """(side of the coarsest grid, channels of each stage from coarsest to finest) for the data's images; the
    finest stage is at half the image size."""
    if spec.height != spec.width or spec.height not in SIZES:
        raise GantoolError(f"resnet cannot build {spec.height}x{spec.width} images; it builds square sizes 28, 32 "
                           "and 64: set data.image_size to one of them")
    start = 7 if spec.height == 28 else 4
    stages = int(math.log2(spec.height // start))
    return start, [width * 2 ** (stages - 1 - index) for index in range(stages)]


def _norm(channels: int, norm: str) -> nn.Module:
    return nn.BatchNorm2d(channels) if norm == "batch" else nn.Identity()


def _resample(x: torch.Tensor, direction: int, mode: str) -> torch.Tensor:
    """Double (direction 1) or halve (direction -1) the grid; 0 leaves it."""
    if direction > 0:
        return F.interpolate(x, scale_factor=2.0, mode=mode, **({} if mode == "nearest" else {"align_corners": False}))
    if direction < 0:
        return F.avg_pool2d(x, 2)  # the 2x2 mean is bilinear halving exactly
    return x


class SNGANBlock(nn.Module):
    """Pre-activation residual block; with `direction` it also resamples (nearest up in G, mean-pool down in D)."""

    def __init__(self, channels_in: int, channels_out: int, *, norm: str, direction: int = 0) -> None:
        super().__init__()
        self.direction = direction
        self.norm1, self.norm2 = _norm(channels_in, norm), _norm(channels_out, norm)
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, 1, 1)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, 1, 1)
        changes = channels_in != channels_out or direction != 0
        self.shortcut = nn.Conv2d(channels_in, channels_out, 1) if changes else None

    @property
    def last(self) -> nn.Conv2d:
        """The branch's last layer (fix-up starts it at zero)."""
        return self.conv2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norm1(x))
        if self.direction > 0:
            h = _resample(h, 1, "nearest")
        h = self.conv2(F.relu(self.norm2(self.conv1(h))))
        if self.direction < 0:
            h = _resample(h, -1, "bilinear")
        skip = x
        if self.shortcut is not None:  # cheaper side first: convolve at the coarser grid
            skip = self.shortcut(_resample(x, -1, "bilinear")) if self.direction < 0 else \
                _resample(self.shortcut(x), self.direction, "nearest")
        return skip + h


class R3GANBlock(nn.Module):
    """Inverted bottleneck: 1x1 widen, grouped 3x3, 1x1 narrow, LeakyReLU between; the stream passes unchanged."""

    def __init__(self, channels: int, *, norm: str) -> None:
        super().__init__()
        inner = channels * EXPANSION
        self.widen = nn.Conv2d(channels, inner, 1)
        self.mix = nn.Conv2d(inner, inner, 3, 1, 1, groups=max(1, inner // GROUP_CHANNELS))
        self.narrow = nn.Conv2d(inner, channels, 1)
        self.norm1, self.norm2 = _norm(inner, norm), _norm(inner, norm)

    @property
    def last(self) -> nn.Conv2d:
        """The branch's last layer (fix-up starts it at zero)."""
        return self.narrow

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.norm1(self.widen(x)), SLOPE)
        h = F.leaky_relu(self.norm2(self.mix(h)), SLOPE)
        return x + self.narrow(h)


class Transition(nn.Module):
    """r3gan between stages: bilinear resampling and a 1x1 convolution to the next stage's width, the
    convolution on the coarser grid of the two."""

    def __init__(self, channels_in: int, channels_out: int, direction: int) -> None:
        super().__init__()
        self.direction = direction
        self.conv = nn.Conv2d(channels_in, channels_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.direction > 0:
            return _resample(self.conv(x), 1, "bilinear")
        return self.conv(_resample(x, -1, "bilinear"))


def stages(widths: list[int], *, block: str, depth: int, norm: str, direction: int) -> nn.Sequential:
    """The body: `depth` blocks at each width in order, resampling by `direction` between consecutive ones.

    sngan resamples in its own blocks (the first of each later stage in G, the last of each earlier stage in D);
    r3gan puts a transition layer between stages.
    """
    layers: list[nn.Module] = []
    for index, channels in enumerate(widths):
        following = widths[index + 1] if index + 1 < len(widths) else None
        if block == "r3gan":
            layers += [R3GANBlock(channels, norm=norm) for _ in range(depth)]
            if following is not None:
                layers.append(Transition(channels, following, direction))
            continue
        previous = widths[index - 1] if index else None
        for position in range(depth):
            if direction > 0 and position == 0 and previous is not None:
                layers.append(SNGANBlock(previous, channels, norm=norm, direction=1))
            elif direction < 0 and position == depth - 1 and following is not None:
                layers.append(SNGANBlock(channels, following, norm=norm, direction=-1))
            else:
                layers.append(SNGANBlock(channels, channels, norm=norm))
    return nn.Sequential(*layers)


def _he_normal(layer: nn.Conv2d | nn.Linear, gain: float) -> None:
    nn.init.normal_(layer.weight, 0.0, gain / math.sqrt(layer.weight[0].numel()))
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def fixup(module: nn.Module) -> None:
    """Fix-up style initialisation (Zhang et al., 2019, as R3GAN uses it): variance-preserving normal weights
    (gain 1, or the activation's gain for a layer inside a residual branch that an activation follows), those
    branch layers scaled by L^(-1/(2m-2)) for L branches of m layers, each branch's last layer zero, biases
    zero. Every block then starts as the identity, and the output's variance stays bounded at any depth."""
    blocks = [layer for layer in module.modules() if isinstance(layer, SNGANBlock | R3GANBlock)]
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.Linear):
            _he_normal(layer, 1.0)
    for block in blocks:
        sngan = isinstance(block, SNGANBlock)
        gain = math.sqrt(2.0) if sngan else math.sqrt(2 / (1 + SLOPE**2))
        scale = len(blocks) ** (-1 / (2 * (2 if sngan else 3) - 2))
        inner = [block.conv1] if isinstance(block, SNGANBlock) else [block.widen, block.mix]
        for conv in inner:
            _he_normal(conv, gain * scale)
        nn.init.zeros_(block.last.weight)


def _initialise(module: nn.Module, init: str) -> None:
    if init == "fixup":
        fixup(module)
    else:
        initialise(module, init)


class ResNetGenerator(nn.Module):
    """Noise (N, latent_dim), and labels (N,) when the data has classes -> images (N, C, H, W) in [-1, 1]."""

    def __init__(self, spec: DataSpec, *, latent_dim: int, width: int, depth: int, block: str, norm: str,
                 spectral_norm: bool, init: str) -> None:
        super().__init__()
        self.start, widths = plan(spec, width)
        self.latent_dim, self.num_classes = latent_dim, spec.num_classes
        self.embedding = nn.Embedding(spec.num_classes, latent_dim) if spec.num_classes else None
        inputs = latent_dim * (2 if self.embedding is not None else 1)
        self.basis = nn.Linear(inputs, widths[0] * self.start**2)
        self.body = stages(widths, block=block, depth=depth, norm=norm, direction=1)
        self.head_norm = _norm(widths[-1], norm)
        self.head = nn.Conv2d(widths[-1], spec.channels, 3, 1, 1)
        self.block = block
        _initialise(self, init)
        if self.embedding is not None:
            nn.init.normal_(self.embedding.weight)  # a unit-variance code, like z beside it
        if spectral_norm:
            spectrally_normalise(self)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = z.flatten(1)
        if self.embedding is not None:
            assert labels is not None, "this resnet was built for labelled data: pass labels"
            z = torch.cat([z, self.embedding(labels).to(z.dtype)], 1)
        h = self.basis(z).view(len(z), -1, self.start, self.start)
        h = self.head_norm(self.body(h))
        h = F.relu(h) if self.block == "sngan" else F.leaky_relu(h, SLOPE)
        h = _resample(h, 1, "nearest" if self.block == "sngan" else "bilinear")
        return torch.tanh(self.head(h))


class ResNetDiscriminator(nn.Module):
    """Images (N, C, H, W), and labels when the data has classes -> raw logits (N,)."""

    def __init__(self, spec: DataSpec, *, width: int, depth: int, block: str, norm: str, spectral_norm: bool,
                 init: str) -> None:
        super().__init__()
        start, widths = plan(spec, width)
        widths.reverse()
        self.num_classes, self.block = spec.num_classes, block
        self.stem = nn.Conv2d(spec.channels, widths[0], 3, 1, 1)
        self.body = stages(widths, block=block, depth=depth, norm=norm, direction=-1)
        self.head_norm = _norm(widths[-1], norm)
        # r3gan weighs each position of the coarsest grid per channel (a depthwise convolution over all of it);
        # sngan sums over positions
        self.spatial = nn.Conv2d(widths[-1], widths[-1], start, groups=widths[-1]) if block == "r3gan" else None
        self.logit = nn.Linear(widths[-1], 1)
        self.projection = nn.Embedding(spec.num_classes, widths[-1]) if spec.num_classes else None
        _initialise(self, init)
        if self.projection is not None:
            nn.init.normal_(self.projection.weight, 0.0, 0.02)
        if spectral_norm:
            spectrally_normalise(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.head_norm(self.body(_resample(self.stem(x), -1, "bilinear")))
        h = F.relu(h) if self.block == "sngan" else F.leaky_relu(h, SLOPE)
        features = self.spatial(h).flatten(1) if self.spatial is not None else h.sum((2, 3))
        logits = self.logit(features).flatten()
        if self.projection is not None:
            assert labels is not None, "this resnet was built for labelled data: pass labels"
            logits = logits + (self.projection(labels).to(features.dtype) * features).sum(1)
        return logits
