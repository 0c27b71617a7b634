"""Writing generated images: PNG grids, folders of PNGs, .npy arrays (no pickle) and animated GIFs."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from gantool.errors import GantoolError
from gantool.images import save_grid, to_uint8
from gantool.storage.checkpoint import OUTPUT_ADVICE, atomic_write_bytes
from gantool.storage.plots import save_gif

if TYPE_CHECKING:
    import numpy as np
    import torch
    from PIL.Image import Image as PILImage


def npy_bytes(array: np.ndarray) -> bytes:
    """An array in .npy format, written with allow_pickle=False."""
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def pil_image(pixels: np.ndarray) -> PILImage:
    """One (H, W, C) uint8 image as a PIL image: grey for one channel, RGB for three."""
    from PIL import Image

    return Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)


def write_images(images: torch.Tensor, labels: torch.Tensor | None, out: Path, format_: str,
                 nrow: int | None = None) -> None:
    """Write images as a grid PNG, a folder of PNGs (class in the name), or a .npy array (labels beside it)."""
    if format_ == "grid":
        save_grid(images, out, nrow=nrow)
        return
    pixels = to_uint8(images)
    try:
        if format_ == "npy":
            atomic_write_bytes(out, npy_bytes(pixels), advice=OUTPUT_ADVICE)
            if labels is not None:
                atomic_write_bytes(out.with_name(out.stem + ".labels.npy"), npy_bytes(labels.cpu().numpy()),
                                   advice=OUTPUT_ADVICE)
            return
        out.mkdir(parents=True, exist_ok=True)
        for index, image in enumerate(pixels):
            suffix = "" if labels is None else f"-class{int(labels[index])}"
            pil_image(image).save(out / f"{index:06d}{suffix}.png")
    except OSError as exc:
        raise GantoolError(f"cannot write {out}: {exc.strerror or exc}; choose a writable --out") from None


def write_gif(images: torch.Tensor, out: Path, *, frame_ms: int, scale: int = 1) -> None:
    """Write images as the frames of an endlessly looping animated GIF, each enlarged `scale` times."""
    frames = [pil_image(pixels) for pixels in to_uint8(images)]
    if scale > 1:
        frames = [frame.resize((frame.width * scale, frame.height * scale), resample=0) for frame in frames]
    save_gif(frames, out, frame_ms, advice=OUTPUT_ADVICE)
