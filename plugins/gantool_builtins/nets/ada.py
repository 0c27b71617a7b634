"""Adaptive discriminator augmentation (Karras et al., 2020): each operation of a differentiable pipeline is
applied to each image with probability p, and p follows how sure D is of the real images.

The controller measures r_t = E[sign(D(real))] over the D steps since its last update (logits centred at 0:
positive means "real") and every `interval` steps moves p by sign(r_t - target) x images seen / `speed`, so p
can cross from 0 to 1 in `speed` images. Draws come from torch's global random stream and p and the
controller's sums are saved in checkpoints, so a resumed run augments exactly as an uninterrupted one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from gantool_builtins.nets.diffaugment import cutout

OPERATIONS = ("xflip", "rotate90", "translation", "brightness", "contrast", "saturation", "cutout")
TRANSLATION = 0.125  # largest integer shift, as a share of the image size (ADA's)
BRIGHTNESS_STD = 0.2  # added to all channels, on images in [-1, 1]
CONTRAST_STD = 0.5 * math.log(2)  # log-normal factor around each image's mean
SATURATION_STD = math.log(2)  # log-normal factor of the distance from the grey level (colour images only)
CUTOUT = 0.5  # side of the grey square, as a share of the image size


def _per_image(images: torch.Tensor) -> torch.Tensor:
    return torch.randn(len(images), 1, 1, 1, device=images.device, dtype=images.dtype)


def xflip(images: torch.Tensor) -> torch.Tensor:
    """Mirror left-right half of the images, at random."""
    flip = torch.rand(len(images), 1, 1, 1, device=images.device) < 0.5
    return torch.where(flip, images.flip(3), images)


def rotate90(images: torch.Tensor) -> torch.Tensor:
    """Turn each image by 0, 90, 180 or 270 degrees, at random (0 or 180 for images that are not square)."""
    turns = [images, images.rot90(2, (2, 3))]
    if images.shape[2] == images.shape[3]:
        turns += [images.rot90(1, (2, 3)), images.rot90(3, (2, 3))]
    pick = torch.randint(0, len(turns), (len(images),), device=images.device)
    stacked = torch.stack(turns)  # (turns, N, C, H, W)
    return stacked[pick, torch.arange(len(images), device=images.device)]


def _reflect(index: torch.Tensor, size: int) -> torch.Tensor:
    """Indices outside [0, size) mirrored back in (shifts stay below the size, so one reflection suffices)."""
    index = index.abs()
    return torch.where(index >= size, 2 * (size - 1) - index, index)


def translation(images: torch.Tensor) -> torch.Tensor:
    """Shift each image by a whole number of pixels, up to an eighth of its size each way; the uncovered border
    mirrors the image (so no new edges appear)."""
    n, _, height, width = images.shape
    shifts = []
    for size in (height, width):
        reach = round(size * TRANSLATION)
        shifts.append(torch.randint(-reach, reach + 1, (n, 1, 1), device=images.device))
    rows = _reflect(torch.arange(height, device=images.device).view(1, height, 1) - shifts[0], height)
    cols = _reflect(torch.arange(width, device=images.device).view(1, 1, width) - shifts[1], width)
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    return images.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


def brightness(images: torch.Tensor) -> torch.Tensor:
    return images + _per_image(images) * BRIGHTNESS_STD


def contrast(images: torch.Tensor) -> torch.Tensor:
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return (images - mean) * torch.exp(_per_image(images) * CONTRAST_STD) + mean


def saturation(images: torch.Tensor) -> torch.Tensor:
    if images.shape[1] == 1:
        return images
    grey = images.mean(dim=1, keepdim=True)
    return (images - grey) * torch.exp(_per_image(images) * SATURATION_STD) + grey


TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "xflip": xflip, "rotate90": rotate90, "translation": translation, "brightness": brightness,
    "contrast": contrast, "saturation": saturation, "cutout": lambda images: cutout(images, CUTOUT, 0.0),
}


class ADA:
    """The augmentation pipeline with its probability controller (see the module docstring)."""

    def __init__(self, operations: Sequence[str], *, target: float, speed: int, interval: int, initial: float,
                 maximum: float) -> None:
        self.operations = tuple(operations)
        self.target, self.speed, self.interval, self.maximum = target, speed, interval, maximum
        self.p = min(initial, maximum)
        self.signs: torch.Tensor | float = 0.0  # sum of sign(D(real)) since the last update, on D's device
        self.seen = 0  # real images observed since the last update
        self.steps = 0  # D steps observed since the last update
        self.last_rt = 0.0  # r_t at the last update, for the log

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if self.p <= 0:
            return images
        for name in self.operations:
            chosen = torch.rand(len(images), 1, 1, 1, device=images.device) < self.p
            images = torch.where(chosen, TRANSFORMS[name](images), images)
        return images

    def observe(self, real_logits: torch.Tensor) -> None:
        """Count D's verdicts on a real batch; every `interval` D steps, move p toward the target r_t."""
        self.signs = self.signs + real_logits.detach().float().sign().sum()
        self.seen += len(real_logits)
        self.steps += 1
        if self.steps >= self.interval:
            self._adjust()

    def _adjust(self) -> None:
        signs, seen = _summed_over_ranks(self.signs, self.seen)
        self.last_rt = signs / max(seen, 1)
        step = math.copysign(seen / self.speed, self.last_rt - self.target) if self.last_rt != self.target else 0.0
        self.p = min(max(self.p + step, 0.0), self.maximum)
        self.signs, self.seen, self.steps = 0.0, 0, 0

    def state(self) -> dict[str, Any]:
        signs = self.signs.item() if isinstance(self.signs, torch.Tensor) else self.signs
        return {"p": self.p, "signs": signs, "seen": self.seen, "steps": self.steps, "last_rt": self.last_rt}

    def load_state(self, state: dict[str, Any]) -> None:
        self.p, self.signs = float(state["p"]), float(state["signs"])
        self.seen, self.steps, self.last_rt = int(state["seen"]), int(state["steps"]), float(state["last_rt"])

    def metrics(self) -> dict[str, float]:
        """Logged with each metrics line: the current p and the r_t it was last adjusted from."""
        return {"aug_p": self.p, "aug_rt": self.last_rt}


def _summed_over_ranks(signs: torch.Tensor | float, seen: int) -> tuple[float, int]:
    """The controller's sums over every training process, so all ranks keep one p (and one checkpointed state)."""
    totals = torch.as_tensor(signs, dtype=torch.float64).clone()
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        device = signs.device if isinstance(signs, torch.Tensor) else totals.device
        packed = torch.stack([totals.to(device), torch.tensor(float(seen), dtype=torch.float64, device=device)])
        torch.distributed.all_reduce(packed)
        return float(packed[0]), int(packed[1])
    return float(totals), seen
