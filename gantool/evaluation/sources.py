"""Images made by any tool, read for `gantool evaluate`: a folder of image files or a .npy array.

Both become one uint8 array (N, H, W, C), never resized, so what is measured is what the tool made.
Files are decoded by Pillow; arrays are read by numpy without pickle. Images whose three channels are
equal everywhere (grey saved as RGB, as many tools do) are measured as 1-channel. Anything unusable is
refused in one line that names the file and the fix. Sizes are checked from headers against the limits of
gantool.image_limits before any pixel is decoded or any array allocated, and only regular files are opened.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gantool.errors import GantoolError
from gantool.image_limits import MAX_HELD_BYTES, bomb_warnings_silenced, over_pixel_limit, pixel_limit

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
    chunks = range(0, len(images), 256)  # compared a few at a time: one comparison of all would double the memory
    if images.shape[-1] == 3 and all((images[i:i + 256, ..., :1] == images[i:i + 256, ..., 1:]).all() for i in chunks):
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
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block Image.open forever, a device read on
            raise GantoolError(f"{path} is not a regular file (a pipe, device or socket); give a folder holding only "
                               "image files")
        with bomb_warnings_silenced():
            image = Image.open(path)
    except UnidentifiedImageError:
        raise GantoolError(f"{path} is not an image Pillow can read; give a folder holding only images") from None
    except Image.DecompressionBombError:
        raise GantoolError(f"{path} has more pixels than Pillow allows (a decompression bomb?); remove it") from None
    except OSError as exc:
        raise GantoolError(f"cannot read {path}: {exc.strerror or exc}; check the file and its permissions") from None
    except (GantoolError, MemoryError):
        raise
    except Exception:  # Pillow's header parsers raise ValueError and others on crafted data, as training finds
        raise GantoolError(f"{path} is damaged (its header does not parse); replace or remove it") from None
    if over_pixel_limit(image.width, image.height):
        image.close()
        raise GantoolError(f"{path} claims {image.width}x{image.height} pixels, more than the {pixel_limit():,} an "
                           "image may have (Pillow's decompression-bomb limit, as for training data); remove it")
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
    check_held(folder, (len(picked), height, width, 3))
    images = np.empty((len(picked), height, width, 3), dtype=np.uint8)
    for row, index in enumerate(picked):
        with _open(files[index]) as image:
            try:
                images[row] = np.asarray(image.convert("RGB"))
            except OSError as exc:  # Pillow reads pixels only now: truncated or damaged data
                first_line = (str(exc).strip().splitlines() or ["damaged"])[0]
                raise GantoolError(f"{files[index]} does not decode ({first_line}); replace or remove it") from None
    return grey_if_equal(images), len(files)


def check_held(source: Path, shape: tuple[int, int, int, int]) -> None:
    """Refuse to hold more than MAX_HELD_BYTES of pixels (n, H, W, C), before allocating them."""
    count, per_image = shape[0], math.prod(shape[1:])
    if count * per_image > MAX_HELD_BYTES:
        fits = MAX_HELD_BYTES // per_image
        fix = f"measure fewer with --num {fits} (num={fits})" if fits >= 2 else "give smaller images"
        raise GantoolError(f"{source}: {count} images of {'x'.join(map(str, shape[1:]))} take "
                           f"{count * per_image / 2**30:.1f} GiB, more than the {MAX_HELD_BYTES // 2**20} MiB of "
                           f"pixels evaluate holds at once; {fix}")


def read_array(path: Path, limit: int, seed: int) -> tuple[np.ndarray, int]:
    """(uint8 images (n, H, W, C) of at most `limit` rows, how many the array holds) from a .npy file."""
    if not path.is_file():
        raise GantoolError(f"{path} {'is not a file' if path.exists() else 'does not exist'}; give a .npy array of "
                           "images")
    shape = array_shape(path)
    if len(shape) == 3:
        shape = (*shape, 1)
    if len(shape) != 4 or shape[3] not in (1, 3) or 0 in shape[1:]:
        channels_first = len(shape) == 4 and shape[1] in (1, 3)
        hint = "; it looks channels-first: save array.transpose(0, 2, 3, 1)" if channels_first else ""
        raise GantoolError(f"{path} has shape {array_shape(path)}, not N x H x W x C with C = 1 or 3 (or N x H x W)"
                           f"{hint}; {ARRAY_FIX}")
    if shape[0] == 0:
        raise GantoolError(f"{path} holds no images; {ARRAY_FIX}")
    if over_pixel_limit(shape[2], shape[1]):
        raise GantoolError(f"{path} holds {shape[2]}x{shape[1]} images, more than the {pixel_limit():,} pixels an "
                           "image may have (as for training data); give smaller images")
    check_held(path, (min(shape[0], limit), *shape[1:]))
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False).reshape(shape)
    except (ValueError, OSError, EOFError) as exc:
        first_line = (str(exc).strip().splitlines() or ["unreadable"])[0]
        raise GantoolError(f"{path} is not a .npy array numpy can read without pickle ({first_line}); "
                           f"{ARRAY_FIX}") from None
    return grey_if_equal(np.ascontiguousarray(array[choose(len(array), limit, seed)])), len(array)


def array_shape(path: Path) -> tuple[int, ...]:
    """The shape of a .npy file of uint8 pixels, read from its header alone; a file too short for the data its
    header promises (cut off, or crafted to claim far more) is refused here, before anything is mapped."""
    from numpy.lib import format as npy

    readers = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
    try:
        with path.open("rb") as handle:
            version = npy.read_magic(handle)
            if version not in readers:
                raise ValueError(f"format version {version[0]}.{version[1]} is not read")
            shape, _, dtype = readers[version](handle)
            data_start = handle.tell()
    except (ValueError, OSError, EOFError) as exc:  # EOFError: an empty or cut-off header
        reason = (str(exc).strip().splitlines() or ["the file is empty or cut off"])[0]
        raise GantoolError(f"{path} is not a .npy array numpy can read without pickle ({reason}); {ARRAY_FIX}"
                           ) from None
    if dtype.hasobject:
        raise GantoolError(f"{path} holds Python objects, which numpy reads only by unpickling, and gantool never "
                           f"unpickles; {ARRAY_FIX}")
    if dtype != np.uint8:
        raise GantoolError(f"{path} holds {dtype} values, not uint8 pixels; {ARRAY_FIX}")
    promised, size = data_start + math.prod(shape), path.stat().st_size
    if size < promised:
        raise GantoolError(f"{path} is cut short: its header promises {math.prod(shape):,} bytes of pixels "
                           f"(shape {shape}) but the file holds {size - data_start:,}; save the array again")
    return shape


def stored_shape(source: Path) -> tuple[int, int, int]:
    """(C, H, W) of the images as stored, from the array's header or the first file's, before any pixel is read
    (so grey images saved as RGB count 3 channels); (0, 0, 0) when it cannot tell (the reader then says why)."""
    try:
        if source.suffix.lower() == ".npy":
            shape = array_shape(source)
            if len(shape) in (3, 4):
                return (shape[3] if len(shape) == 4 else 1), shape[1], shape[2]
            return (0, 0, 0)
        files = image_files(source)
        with _open(files[0]) as image:  # only a regular file's header, within the pixel limit
            return 1 if image.mode in ("1", "L") else 3, image.height, image.width
    except (GantoolError, OSError, IndexError):
        return (0, 0, 0)
