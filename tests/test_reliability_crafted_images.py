"""A crafted image is one bad file, not a broken dataset: Pillow's ValueError on a huge PNG text or colour-profile
chunk, or on a damaged PPM header saved as .png, is counted and left out (or refused naming the file) like any
other file that does not decode."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from gantool.errors import GantoolError
from tests.test_reliability_data import build


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with(kind: bytes, payload: bytes) -> bytes:
    """A valid 8x8 PNG with one extra chunk placed after its header."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 90).save(buffer, "PNG")
    png = buffer.getvalue()
    header_end = 8 + 25  # signature, then the IHDR chunk
    return png[:header_end] + chunk(kind, payload) + png[header_end:]


def crafted_folder(root):
    """Four good images and three that make Pillow raise ValueError while reading the header."""
    root.mkdir()
    for index in range(4):
        Image.new("L", (8, 8), 40 * index).save(root / f"good{index}.png")
    huge = zlib.compress(b"a" * 3_000_000)
    crafted = {"ztxt.png": png_with(b"zTXt", b"k\0\0" + huge), "iccp.png": png_with(b"iCCP", b"p\0\0" + huge),
               "ppm.png": b"P6\n8 8\n99999999\n" + bytes(10)}
    for name, data in crafted.items():
        (root / name).write_bytes(data)
    return sorted(str(root / name) for name in crafted)


def test_images_that_make_pillow_raise_value_error_are_left_out_and_counted(tmp_path):
    crafted = crafted_folder(tmp_path / "images")
    bundle = build("image-folder", root=str(tmp_path / "images"), image_size="8", channels="1")
    assert len(bundle.images) == 4
    assert sorted(path for paths in bundle.report.skipped.values() for path in paths) == crafted


def test_refusing_bad_images_names_a_crafted_file(tmp_path):
    crafted = crafted_folder(tmp_path / "images")
    with pytest.raises(GantoolError) as refused:
        build("image-folder", root=str(tmp_path / "images"), image_size="8", on_bad_image="fail")
    assert "3 of 7 images" in str(refused.value) and any(path in str(refused.value) for path in crafted)
