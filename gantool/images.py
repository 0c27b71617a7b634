"""Image grids: fixed sample noise and PNG writing."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from gantool.errors import GantoolError

if TYPE_CHECKING:
    import torch


def save_grid(images: torch.Tensor, path: Path, *, nrow: int | None = None) -> Path:
    """Write images in [-1, 1] (N, C, H, W) as one PNG grid, square unless `nrow` is given."""
    from torchvision.utils import save_image

    nrow = nrow or max(1, math.ceil(math.sqrt(len(images))))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        save_image(images.detach().float().cpu(), str(path), nrow=nrow, normalize=True, value_range=(-1, 1), padding=2)
    except OSError as exc:
        raise GantoolError(f"cannot write {path}: {exc.strerror or exc}; choose a writable --out") from None
    return path


def grid_labels(num_classes: int, per_class: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """Labels for a conditional grid: one row per class, `per_class` images in each row."""
    import torch

    return torch.arange(num_classes, device=device).repeat_interleave(per_class)
