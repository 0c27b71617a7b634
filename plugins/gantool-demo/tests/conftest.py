"""A tiny trained run shared by the tests, and `gantool` as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Tiny models, three steps: every run here trains in seconds.
TINY = ["--set", "gen.depth=8", "--set", "disc.depth=8", "--batch-size", "16", "--max-steps", "3", "--quiet"]
# A value a hand put in the exported config.json: the provenance panel must show it as text, never run it.
HOSTILE = '<img src=x onerror="window.pwned=1">[link](javascript:window.pwned=2)'


def run_gantool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m gantool ARGS` and return what it did."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "gantool", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished conditional run (--gen auto picks cgan for labelled digits) with an evaluation in its metrics."""
    folder = tmp_path_factory.mktemp("runs") / "tiny-cgan"
    result = run_gantool("train", "--out", str(folder), *TINY, "--eval-every", "3", "--eval-num", "50")
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(scope="session")
def exported(run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run as `gantool export` shares it: the folder whose app.py starts this demo, with HOSTILE among the
    data options of its training record (config.json is not covered by the model's checksum)."""
    folder = tmp_path_factory.mktemp("exports") / "tiny-cgan"
    result = run_gantool("export", str(run), str(folder))
    assert result.returncode == 0, result.stderr
    config = json.loads((folder / "config.json").read_text())
    config["training"]["options"]["data"]["caption"] = HOSTILE
    (folder / "config.json").write_text(json.dumps(config))
    return folder
