"""Images made by any tool, read for `gantool evaluate`: a folder of image files or a .npy array.

Both become one uint8 array (N, H, W, C), never resized, so what is measured is what the tool made.
Files are decoded by Pillow; arrays are read by numpy without pickle. Images whose three channels are
equal everywhere (grey saved as RGB, as many tools do) are measured as 1-channel. Anything unusable is
refused in one line that names the file and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gantool.errors import GantoolError

if TYPE_CHECKING:
    from PIL import Image

REFUSED_MODES = {"F": "floating-point", "I": "32-bit", "I;16": "16-bit", "I;16L": "16-bit", "I;16B": "16-bit",
                 "I;16N": "16-bit"}
ARRAY_FIX = ("save uint8 pixels (0-255) shaped N x H x W x C, e.g. numpy.save(path, ((x + 1) * 127.5).round()"
             ".clip(0, 255).astype(numpy.uint8), allow_pickle=False) for images x in [-1, 1]")


def choose(count: int, limit: int, seed: int) -> np.ndarray:
    """Which of `count` images to measure: all, or a seeded random `limit` of them in their original order."""
    if count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, limit, replace=False))


def grey_if_equal(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) images whose channels are equal everywhere become (N, H, W, 1)."""
    if images.shape[-1] == 3 and (images[..., :1] == images[..., 1:]).all():
        return np.ascontiguousarray(images[..., :1])
    return images


def image_files(folder: Path) -> list[Path]:
    """Every file under `folder` in sorted order, hidden files and folders skipped."""
    found = []
    for where, dirs, names in os.walk(folder):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        found += [Path(where) / name for name in sorted(names) if not name.startswith(".")]
    return found


def _open(path: Path) -> Image.Image:
    """The image's header, or one line saying why it cannot be used."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        raise GantoolError(f"{path} is not an image Pillow can read; give a folder holding only images") from None
    except Image.DecompressionBombError:
        raise GantoolError(f"{path} has more pixels than Pillow allows (a decompression bomb?); remove it") from None
    except OSError as exc:
        raise GantoolError(f"cannot read {path}: {exc.strerror or exc}; check the file and its permissions") from None
    if image.mode in REFUSED_MODES:
        image.close()
        raise GantoolError(f"{path} has {REFUSED_MODES[image.mode]} pixels ({image.mode}); save 8-bit grey or RGB "
                           "images")
    return image


def read_folder(folder: Path, limit: int, seed: int) -> tuple[np.ndarray, int]:
    """(uint8 images (n, H, W, C) of at most `limit` files, how many files were found); all must share a size."""
    files = image_files(folder)
    if not files:
        raise GantoolError(f"{folder} holds no files and is not a run (no generator.safetensors); give a run, a "
                           "folder of images or a .npy array")
    sizes = {}
    for path in files:
        with _open(path) as image:
            sizes[path] = image.size
    first = files[0]
    other = next((path for path in files if sizes[path] != sizes[first]), None)
    if other is not None:
        raise GantoolError(f"images in {folder} differ in size: {first} is {'x'.join(map(str, sizes[first]))}, "
                           f"{other} is {'x'.join(map(str, sizes[other]))}; gantool measures images as they are, "
                           "so give a folder of one size")
    width, height = sizes[first]
    picked = choose(len(files), limit, seed)
    images = np.empty((len(picked), height, width, 3), dtype=np.uint8)
    for row, index in enumerate(picked):
        with _open(files[index]) as image:
            try:
                images[row] = np.asarray(image.convert("RGB"))
            except OSError as exc:  # Pillow reads pixels only now: truncated or damaged data
                first_line = (str(exc).strip().splitlines() or ["damaged"])[0]
                raise GantoolError(f"{files[index]} does not decode ({first_line}); replace or remove it") from None
    return grey_if_equal(images), len(files)


def read_array(path: Path, limit: int, seed: int) -> tuple[np.ndarray, int]:
    """(uint8 images (n, H, W, C) of at most `limit` rows, how many the array holds) from a .npy file."""
    if not path.is_file():
        raise GantoolError(f"{path} {'is not a file' if path.exists() else 'does not exist'}; give a .npy array of "
                           "images")
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        first_line = (str(exc).strip().splitlines() or ["unreadable"])[0]
        raise GantoolError(f"{path} is not a .npy array numpy can read without pickle ({first_line}); "
                           f"{ARRAY_FIX}") from None
    if not isinstance(array, np.ndarray):
        raise GantoolError(f"{path} is not a single .npy array; {ARRAY_FIX}")
    if array.dtype != np.uint8:
        raise GantoolError(f"{path} holds {array.dtype} values, not uint8 pixels; {ARRAY_FIX}")
    shape = array.shape
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[3] not in (1, 3) or 0 in array.shape[1:]:
        channels_first = array.ndim == 4 and array.shape[1] in (1, 3)
        hint = "; it looks channels-first: save array.transpose(0, 2, 3, 1)" if channels_first else ""
        raise GantoolError(f"{path} has shape {shape}, not N x H x W x C with C = 1 or 3 (or N x H x W){hint}; "
                           f"{ARRAY_FIX}")
    if len(array) == 0:
        raise GantoolError(f"{path} holds no images; {ARRAY_FIX}")
    return grey_if_equal(np.ascontiguousarray(array[choose(len(array), limit, seed)])), len(array)


def stored_shape(source: Path) -> tuple[int, int, int]:
    """(C, H, W) of the images as stored, from the array's header or the first file's, before any pixel is read
    (so grey images saved as RGB count 3 channels); (0, 0, 0) when it cannot tell (the reader then says why)."""
    from PIL import Image

    try:
        if source.suffix.lower() == ".npy":
            shape = np.load(source, mmap_mode="r", allow_pickle=False).shape
            if len(shape) in (3, 4):
                return (shape[3] if len(shape) == 4 else 1), shape[1], shape[2]
            return (0, 0, 0)
        files = image_files(source)
        with Image.open(files[0]) as image:
            return 1 if image.mode in ("1", "L") else 3, image.height, image.width
    except (OSError, ValueError, IndexError, Image.DecompressionBombError):
        return (0, 0, 0)
