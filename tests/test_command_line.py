"""What a user meets at the command line itself: the version, exit codes, help text, completion, piped output."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gantool import hookimpl
from gantool.errors import EXIT_CODES

ROOT = Path(__file__).resolve().parents[1]


def test_version_prints_the_installed_release(cli):
    result = cli("--version")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert (result.code, result.out) == (0, f"gantool {declared}\n")


def documented_exit_codes() -> dict[int, str]:
    """docs/user-guide.md's exit-code table, code by code."""
    text = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    table = text[text.index("## Exit codes"):]
    return {int(code): meaning for code, meaning in re.findall(r"^\| (\d+) \| (.*) \|$", table, re.MULTILINE)}


def test_the_guide_and_help_list_the_same_exit_codes(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert set(documented_exit_codes()) == set(EXIT_CODES)
    shown = " ".join(cli("--help").out.split())
    assert all(f"{code} {meaning}" in shown for code, meaning in EXIT_CODES.items()), shown


class FailingCommand:
    """A plugin whose command has a bug."""

    @hookimpl
    def register_commands(self, app):
        @app.command("crash")
        def crash() -> None:
            raise ValueError("a bug")


def test_a_bug_exits_1_and_says_it_is_internal(cli):
    result = cli("crash", extra_plugins=[(FailingCommand(), "failing")])
    assert result.code == 1 and "internal error: ValueError: a bug" in result.err


def test_a_problem_the_user_can_fix_exits_2(cli):
    result = cli("describe", "no-such-part")
    assert result.code == 2 and "no-such-part" in result.err


@pytest.mark.parametrize("args", [["list-plugins", "--json"], ["describe", "dcgan"]])
def test_a_closed_pipe_ends_quietly_with_141(args):
    """`gantool ... | head`: the reader leaves before gantool writes; no message, and not 1, which means a bug."""
    process = subprocess.Popen([sys.executable, "-m", "gantool", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # the only reader is gone before the child has started up
    err = process.stderr.read()
    assert (process.wait(timeout=120), err) == (141, "")
