"""Shared helpers: run the CLI in-process or as a real subprocess, and train tiny runs quickly."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from gantool.cli import main

# Small models and few steps: every training test finishes in seconds on 2 CPU cores.
TINY = ["--gen", "dcgan", "--set", "gen.depth=8", "--set", "disc.depth=8", "--batch-size", "16",
        "--max-steps", "3", "--log-every", "1", "--quiet"]


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str, extra_plugins=()) -> Result:
    """Run `gantool ARGS` in this process and return its exit code and output."""
    capsys.readouterr()
    try:
        main(list(args), extra_plugins=extra_plugins)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def run_subprocess(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                   timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m gantool ARGS` as a real process (exit codes, tracebacks, imports)."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    if env and "PYTHONPATH" in env and os.environ.get("PYTHONPATH"):  # extra paths, not other gantool sources
        full_env["PYTHONPATH"] = os.pathsep.join((env["PYTHONPATH"], os.environ["PYTHONPATH"]))
    return subprocess.run([sys.executable, "-m", "gantool", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Learned features are cached under $GANTOOL_CACHE: tests keep theirs in a temporary folder, never the user's."""
    monkeypatch.setenv("GANTOOL_CACHE", str(tmp_path_factory.getbasetemp() / "gantool-cache"))


@pytest.fixture
def cli(capsys):
    def invoke(*args: str, extra_plugins=()) -> Result:
        return run_cli(capsys, *args, extra_plugins=extra_plugins)

    return invoke


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """One tiny finished dcgan run on mnist5k, shared by the tests that only read it."""
    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    result = run_subprocess("train", "--out", str(run_dir), *TINY)
    assert result.returncode == 0, result.stderr
    return run_dir


def fill_disk_from_fourth_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """From the 4th step checkpoint on, its temp file is /dev/full: the kernel's real ENOSPC on write."""
    import gantool.storage.checkpoint

    real_mkstemp, calls = tempfile.mkstemp, []

    def filling_up(*args, dir=None, prefix="", **kwargs):
        fd, name = real_mkstemp(*args, dir=dir, prefix=prefix, **kwargs)
        if prefix.startswith(".step-"):
            calls.append(name)
            if len(calls) > 3:
                os.close(fd)
                fd = os.open("/dev/full", os.O_WRONLY)
        return fd, name

    monkeypatch.setattr(gantool.storage.checkpoint.tempfile, "mkstemp", filling_up)


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width x height greyscale pixels, with almost no data behind it: a decompression
    bomb for the tests of the input limits (training data and evaluate alike)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path
