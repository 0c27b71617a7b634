"""Differentiable augmentation (Zhao et al., 2020): colour, translation and cutout on image batches.

Every operation is built from additions, multiplications and index gathers, so gradients flow through it
to G; each image in the batch draws its own transform from torch's global random stream (which
checkpoints save), so a resumed run draws the same transforms as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

OPERATIONS = ("color", "translation", "cutout")


def _uniform(images: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """One value per image, shaped to broadcast over (C, H, W)."""
    return torch.rand(len(images), 1, 1, 1, device=images.device, dtype=images.dtype) * (high - low) + low


def color(images: torch.Tensor) -> torch.Tensor:
    """Brightness shift in [-0.5, 0.5], saturation x [0, 2] (colour images only), contrast x [0.5, 1.5]."""
    images = images + _uniform(images, -0.5, 0.5)
    if images.shape[1] > 1:
        grey = images.mean(dim=1, keepdim=True)
        images = (images - grey) * _uniform(images, 0.0, 2.0) + grey
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return (images - mean) * _uniform(images, 0.5, 1.5) + mean


def translation(images: torch.Tensor, ratio: float, fill: float) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size in each direction; uncovered pixels take `fill`."""
    n, _, height, width = images.shape
    reach_y, reach_x = round(height * ratio), round(width * ratio)
    if not reach_y and not reach_x:
        return images
    shift_y = torch.randint(-reach_y, reach_y + 1, (n, 1, 1), device=images.device)
    shift_x = torch.randint(-reach_x, reach_x + 1, (n, 1, 1), device=images.device)
    rows = (torch.arange(height, device=images.device).view(1, height, 1) + shift_y + 1).clamp(0, height + 1)
    cols = (torch.arange(width, device=images.device).view(1, 1, width) + shift_x + 1).clamp(0, width + 1)
    padded = F.pad(images, (1, 1, 1, 1), value=fill).permute(0, 2, 3, 1)  # (N, H+2, W+2, C)
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    return padded[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


def cutout(images: torch.Tensor, ratio: float, fill: float) -> torch.Tensor:
    """Set one square of `ratio` times the image's size, centred anywhere, to `fill` in each image."""
    n, _, height, width = images.shape
    size_y, size_x = round(height * ratio), round(width * ratio)
    if not size_y or not size_x:
        return images
    top = torch.randint(0, height + (1 - size_y % 2), (n, 1, 1), device=images.device) - size_y // 2
    left = torch.randint(0, width + (1 - size_x % 2), (n, 1, 1), device=images.device) - size_x // 2
    rows = torch.arange(height, device=images.device).view(1, height, 1)
    cols = torch.arange(width, device=images.device).view(1, 1, width)
    hole = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
    keep = (~hole).unsqueeze(1).to(images.dtype)
    return images * keep + fill * (1 - keep)


class DiffAugment:
    """The chosen operations in order, each applied to a random `probability` share of the images."""

    def __init__(self, operations: Sequence[str], *, translation: float, cutout: float, fill: float,
                 probability: float) -> None:
        self.operations, self.probability = tuple(operations), probability
        self.translation_ratio, self.cutout_ratio, self.fill = translation, cutout, fill

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        for name in self.operations:
            if name == "color":
                changed = color(images)
            elif name == "translation":
                changed = translation(images, self.translation_ratio, self.fill)
            else:
                changed = cutout(images, self.cutout_ratio, self.fill)
            images = changed if self.probability >= 1 else self._blend(images, changed)
        return images

    def _blend(self, images: torch.Tensor, changed: torch.Tensor) -> torch.Tensor:
        chosen = (torch.rand(len(images), 1, 1, 1, device=images.device) < self.probability).to(images.dtype)
        return changed * chosen + images * (1 - chosen)
