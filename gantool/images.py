"""Images as gantool passes them around: uint8 pixels to and from [-1, 1], and PNG grids."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from gantool import arguments
from gantool.errors import GantoolError

if TYPE_CHECKING:
    import numpy as np
    import torch
    from PIL.Image import Image as PILImage


def from_uint8(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pixels (0 to 255) as a new float tensor in [-1, 1], the range G makes and D judges."""
    if str(pixels.dtype) != "torch.uint8":
        raise TypeError(f"from_uint8 takes uint8 pixels, not {pixels.dtype}")
    return pixels.float().div_(127.5).sub_(1.0)


def checked_images(images: object) -> torch.Tensor:
    """Images as the Python API's helpers take them: a real tensor (N, C, H, W), none of N, C, H, W zero."""
    import torch

    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.is_complex() or 0 in images.shape:
        raise GantoolError("images must be a tensor shaped (N, C, H, W), such as sample() returns; got "
                           f"{arguments.shown(images)}")
    return images


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Images in [-1, 1] (N, C, H, W) as uint8 pixels (N, H, W, C), rounded."""
    import torch

    pixels = checked_images(images).detach().float().cpu().add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).contiguous().numpy()


def save_grid(images: torch.Tensor, path: Path, *, nrow: int | None = None) -> Path:
    """Write images in [-1, 1] (N, C, H, W) as one PNG grid, square unless `nrow` is given."""
    from torchvision.utils import save_image

    nrow = nrow or max(1, math.ceil(math.sqrt(len(images))))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_image(images.detach().float().cpu(), str(path), nrow=nrow, normalize=True, value_range=(-1, 1), padding=2)
    except OSError as exc:
        raise GantoolError(f"cannot write {path}: {exc.strerror or exc}; choose a writable --out") from None
    return path


def grid_labels(num_classes: int, per_class: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """Labels for a conditional grid: one row per class, `per_class` images in each row."""
    import torch

    return torch.arange(num_classes, device=device).repeat_interleave(per_class)


def to_pil(images: torch.Tensor) -> list[PILImage]:
    """Images in [-1, 1] (N, C, H, W) as PIL images: grey ("L") for one channel, RGB for three."""
    from PIL import Image

    return [Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels) for pixels in to_uint8(images)]


def to_grid(images: torch.Tensor, *, nrow: int | None = None) -> PILImage:
    """Images in [-1, 1] (N, C, H, W) as one PIL image, laid out as `save_grid` writes them."""
    from PIL import Image
    from torchvision.utils import make_grid

    images = checked_images(images)
    if nrow is not None:
        arguments.whole(nrow, "nrow", arguments.GENERATE_NUM)
    nrow = nrow or max(1, math.ceil(math.sqrt(len(images))))
    grid = make_grid(images.detach().float().cpu(), nrow=nrow, normalize=True, value_range=(-1, 1), padding=2)
    return Image.fromarray(grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).byte().numpy())
