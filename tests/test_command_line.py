"""What a user meets at the command line itself: the version, exit codes, help text, completion, piped output."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_version_prints_the_installed_release(cli):
    result = cli("--version")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert (result.code, result.out) == (0, f"gantool {declared}\n")
