"""One image file to a square uint8 array, with one stated rule for every kind of input (docs/datasets.md).

Converted: transparency (flattened onto white), palettes, CMYK, 16-bit greyscale (scaled to 8 bits),
greyscale for 3 channels and colour for 1, animations (first frame), EXIF orientation. Refused with a
reason: empty files, non-images, truncated or damaged data, floating-point pixels, and images over
Pillow's pixel limit (decompression bombs), refused from the header before any pixel is decoded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from gantool.image_limits import over_pixel_limit

WHITE = (255, 255, 255, 255)
SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
TRANSPARENT = ("RGBA", "LA", "PA", "RGBa", "La")


class BadImage(Exception):
    """A file that cannot be used; `reason` is the short problem name counted in the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def open_image(path: Path) -> Image.Image:
    """Open (read the header of) an image; too many pixels, empty and unknown files raise BadImage."""
    try:
        if path.stat().st_size == 0:
            raise BadImage("empty file")
        image = Image.open(path)
    except Image.DecompressionBombError:
        raise BadImage("over the pixel limit (decompression bomb)") from None
    except UnidentifiedImageError:
        raise BadImage("not an image") from None
    except OSError as exc:
        if exc.errno is not None:  # the file system's own error: permissions, a vanished file
            raise BadImage("unreadable") from None
        raise BadImage("truncated" if "truncated" in str(exc) else "damaged") from None
    except (BadImage, MemoryError):
        raise
    except Exception:  # Pillow's header parsers raise ValueError and others on crafted data (a huge text chunk)
        raise BadImage("damaged") from None
    if over_pixel_limit(image.width, image.height):  # the limit evaluate applies too (gantool.image_limits)
        image.close()
        raise BadImage("over the pixel limit (decompression bomb)")
    return image


def decode(path: Path, size: int, channels: int, squash: bool = False) -> tuple[np.ndarray, list[str]]:
    """(uint8 array (channels, size, size), the conversions applied), or BadImage; the image is centre-cropped
    to a square, or with `squash` resized whole (its aspect ratio changes)."""
    notes: list[str] = []
    with open_image(path) as image:
        try:
            if getattr(image, "n_frames", 1) > 1:
                notes.append("animated (first frame used)")
            if image.format == "JPEG":
                image.draft(image.mode, (size, size))  # decode at the smallest scale still >= size: much faster
            image.load()
            converted = to_mode(ImageOps.exif_transpose(image), channels, notes)
            square = (converted.resize((size, size), Image.Resampling.BICUBIC) if squash
                      else ImageOps.fit(converted, (size, size), Image.Resampling.BICUBIC))
        except (BadImage, MemoryError):
            raise
        except Exception as exc:  # Pillow's decoders raise many types on damaged data
            raise BadImage("truncated" if "truncated" in str(exc) else "damaged") from None
    array = np.array(square, dtype=np.uint8).reshape(size, size, channels)  # a writable copy, torch can share it
    return np.ascontiguousarray(array.transpose(2, 0, 1)), notes


def to_mode(image: Image.Image, channels: int, notes: list[str]) -> Image.Image:
    """The image as 8-bit "L" or "RGB", following the stated rules and noting each conversion."""
    mode = image.mode
    grey = mode in ("1", "L", "LA", "La", *SIXTEEN_BIT)
    if mode == "F":
        raise BadImage("floating-point pixels")
    if mode in SIXTEEN_BIT:
        notes.append("16-bit (scaled to 8 bits)")
        pixels = np.clip(np.asarray(image, dtype=np.int64), 0, 65535)
        image, mode = Image.fromarray(((pixels + 128) // 257).astype(np.uint8)), "L"
    if mode == "P":
        notes.append("palette (expanded to colours)")
    elif mode == "CMYK":
        notes.append("CMYK (converted to RGB)")
    elif mode == "1":
        notes.append("1-bit (expanded to 8 bits)")
    if mode in TRANSPARENT or "transparency" in image.info:
        notes.append("with transparency (flattened onto white)")
        rgba = image.convert("RGBA")
        image, mode = Image.alpha_composite(Image.new("RGBA", rgba.size, WHITE), rgba).convert("RGB"), "RGB"
    elif mode not in ("L", "RGB"):
        try:
            image, mode = image.convert("L" if mode == "1" else "RGB"), "L" if mode == "1" else "RGB"
        except ValueError:
            raise BadImage(f"unsupported pixel format {mode}") from None
    target = "L" if channels == 1 else "RGB"
    if grey and target == "RGB":
        notes.append("greyscale (copied into 3 channels)")
    elif not grey and target == "L":
        notes.append("colour (converted to greyscale)")
    return image if mode == target else image.convert(target)
