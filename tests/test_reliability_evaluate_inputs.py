"""Hostile inputs to `gantool evaluate` (issue 27): files whose headers claim far more pixels than they hold, a FIFO
in a folder, empty and cut-off arrays. Each ends in one line with exit code 2, and the bombs are refused from their
headers: they run in a real process whose address space may grow only BUDGET past what its imports took, so a
regression ends in a MemoryError there instead of eating the machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import png_header_only
from PIL import Image

import gantool
from gantool.errors import GantoolError
from gantool.image_limits import MAX_HELD_BYTES, pixel_limit

BUDGET = 1 << 30  # bytes the process may map beyond torch, numpy and Pillow before it reads anything
# Imports what `gantool evaluate` imports anyway, caps the address space at what they took plus BUDGET, then runs
# the command line.
UNDER_LIMIT = """
import resource, runpy, sys
import numpy, PIL.Image, torch, torchvision, gantool.evaluation.evaluator
size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize"))
resource.setrlimit(resource.RLIMIT_AS, (size + {budget}, size + {budget}))
sys.argv = ["gantool", *sys.argv[1:]]
runpy.run_module("gantool", run_name="__main__")
"""


def evaluate_under_limit(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300"}
    return subprocess.run([sys.executable, "-c", UNDER_LIMIT.format(budget=BUDGET), "evaluate", *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


def one_line_exit_2(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def sparse_npy(path: Path, shape: tuple[int, ...], cut: int = 0) -> Path:
    """A .npy of uint8 whose header claims `shape`: the data is a hole in the file (no disk used), `cut` bytes short."""
    with path.open("wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": "|u1", "fortran_order": False, "shape": shape})
        start = handle.tell()
    os.truncate(path, start + int(np.prod(shape)) - cut)
    return path


def test_an_array_whose_header_claims_a_huge_image_is_refused_from_the_header(tmp_path):
    source = sparse_npy(tmp_path / "bomb.npy", (1, 25000, 25000, 3))  # 1.9 GB claimed, nothing on disk
    one_line_exit_2(evaluate_under_limit(str(source)), "25000x25000", f"{pixel_limit():,}")


def test_an_array_of_too_many_pixels_for_memory_names_the_num_that_fits(tmp_path):
    source = sparse_npy(tmp_path / "many.npy", (50000, 600, 600, 3))  # 2000 picked would be 2.2 GB
    fits = MAX_HELD_BYTES // (600 * 600 * 3)
    one_line_exit_2(evaluate_under_limit(str(source)), "2000 images of 600x600x3", f"--num {fits}")


def test_an_array_cut_short_of_its_header_is_refused(tmp_path):
    source = sparse_npy(tmp_path / "cut.npy", (4800, 1000, 1000, 1), cut=1)  # the 4.8 GB case
    one_line_exit_2(evaluate_under_limit(str(source)), "cut short", "4,800,000,000 bytes")


def test_a_folder_of_headers_claiming_huge_images_is_refused_before_allocating(tmp_path):
    folder = tmp_path / "claims"
    folder.mkdir()
    for index in range(40):  # each under the pixel limit, together 9.7 GB of pixels
        png_header_only(folder / f"{index:02d}.png", 9000, 9000)
    one_line_exit_2(evaluate_under_limit(str(folder)), str(folder), "40 images of 9000x9000x3", "--num")


def test_an_image_pillow_only_warns_about_is_refused_as_training_refuses_it(tmp_path):
    folder = tmp_path / "warned"
    folder.mkdir()
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(folder / "a.png")
    png_header_only(folder / "b.png", 10_000, 10_000)  # between 1x and 2x Pillow's limit: Pillow only warns
    result = evaluate_under_limit(str(folder))
    one_line_exit_2(result, "b.png", "10000x10000", f"{pixel_limit():,}")
    assert "DecompressionBombWarning" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_in_a_folder_is_refused_by_name_instead_of_hanging(tmp_path):
    folder = tmp_path / "with-fifo"
    folder.mkdir()
    Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(folder / "a.png")
    os.mkfifo(folder / "b.png")  # opening it for reading would block until a writer comes: forever
    one_line_exit_2(evaluate_under_limit(str(folder), timeout=60), "b.png", "not a regular file")


def test_an_empty_array_file_is_one_line_not_aborted(tmp_path):
    (tmp_path / "empty.npy").write_bytes(b"")
    one_line_exit_2(evaluate_under_limit(str(tmp_path / "empty.npy")), "empty.npy", "not a .npy array")


def test_the_api_raises_gantool_error_for_an_empty_array(tmp_path):
    (tmp_path / "empty.npy").write_bytes(b"")
    with pytest.raises(GantoolError, match="empty.npy is not a .npy array"):
        gantool.evaluate(tmp_path / "empty.npy")
