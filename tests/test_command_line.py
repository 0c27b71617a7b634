"""What a user meets at the command line itself: the version, exit codes, help text, completion, piped output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gantool import hookimpl
from gantool.errors import EXIT_CODES
from tests.conftest import TINY, run_subprocess

ROOT = Path(__file__).resolve().parents[1]


def test_version_prints_the_installed_release(cli):
    result = cli("--version")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert (result.code, result.out) == (0, f"gantool {declared}\n")


def documented_exit_codes() -> dict[int, str]:
    """docs/user-guide.md's exit-code table, code by code."""
    text = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    table = text[text.index("## Exit codes") :]
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


def test_each_exit_code_of_the_guide_is_what_gantool_does(cli, tmp_path):
    """0, 1, 2 and 4 here; 3 in test_reliability_health, 130 and 143 in test_reliability_signals, 141 below."""
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(4):
        Image.new("RGB", (8, 8), (index * 60, 0, 0)).save(folder / f"{index}.png")
    (folder / "broken.png").write_bytes(b"not a picture")
    outcomes = {
        0: cli("--version"),
        1: cli("crash", extra_plugins=[(FailingCommand(), "failing")]),
        2: cli("describe", "no-such-part"),
        4: cli("check-data", "--dataset", "image-folder", "--set", f"data.root={folder}"),
    }
    assert {code: result.code for code, result in outcomes.items()} == {code: code for code in outcomes}
    assert "internal error: ValueError: a bug" in outcomes[1].err and "no-such-part" in outcomes[2].err
    assert "broken.png" in outcomes[4].out and set(outcomes) | {3, 130, 141, 143} == set(documented_exit_codes())


@pytest.mark.parametrize("args", [["list-plugins", "--json"], ["describe", "dcgan"]])
def test_a_closed_pipe_ends_quietly_with_141(args):
    """`gantool ... | head`: the reader leaves before gantool writes; no message, and not 1, which means a bug."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gantool", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()  # the only reader is gone before the child has started up
    err = process.stderr.read()
    assert (process.wait(timeout=120), err) == (141, "")


def test_piped_output_keeps_each_record_on_one_line_at_80_columns(cli, tmp_path, monkeypatch):
    """Paths are never split when the output goes to a file or a pipe, whatever COLUMNS says."""
    monkeypatch.setenv("COLUMNS", "80")
    run = tmp_path / "runs" / "a-run-whose-directory-name-alone-takes-up-most-of-an-80-column-line"
    trained = cli("train", "--out", str(run), *[arg for arg in TINY if arg != "--quiet"])
    assert trained.code == 0, trained.err
    samples = f"samples: {run / 'samples' / 'final.png'}  (animated: {run / 'samples.gif'})"
    assert samples in trained.err.splitlines(), trained.err
    inspected = run_subprocess("inspect", str(run), env={"COLUMNS": "80"})
    hashes = [line for line in inspected.stdout.splitlines() if line.startswith("sha256 ")]
    assert len(hashes) == 3 and all(re.fullmatch(r"sha256 [0-9a-f]{64}  \S+", line) for line in hashes), (
        inspected.stdout
    )


def commands() -> dict:
    """gantool's click commands by name, as the shell and --help see them."""
    import typer

    from gantool.cli import create_app

    return typer.main.get_command(create_app()).commands


def test_every_option_help_shows_its_bracketed_text(cli, monkeypatch):
    """Rich markup must not swallow `[default: ...]` (or any other bracket) in any command's --help."""
    monkeypatch.setenv("COLUMNS", "250")
    for name, command in commands().items():
        shown = " ".join(cli(name, "--help").out.split())
        for param in command.params:
            written = " ".join((getattr(param, "help", None) or "").replace("\\[", "[").split())
            assert written in shown, f"gantool {name} --help: {param.name}"


def test_every_device_option_defaults_to_auto():
    found = {
        name: param.default
        for name, command in commands().items()
        for param in command.params
        if param.name == "device"
    }
    assert found == dict.fromkeys(("train", "generate", "interpolate", "evaluate"), "auto")


@pytest.mark.parametrize("command", ["check-data", "evaluate"])
def test_set_offers_only_the_dataset_where_only_data_is_read(cli, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "200")
    shown = cli(command, "--help").out
    assert "data.KEY=VALUE" in shown and "gen.depth" not in shown and "KIND.KEY" not in shown


def test_train_help_groups_its_options_in_panels(cli, monkeypatch):
    from gantool.commands.train_options import PANELS

    panels = {param.name: param.rich_help_panel for param in commands()["train"].params}
    assert set(panels.values()) == {None, *PANELS}
    assert [name for name, panel in panels.items() if panel is None] == ["config_file"]
    monkeypatch.setenv("COLUMNS", "120")
    shown = cli("train", "--help").out
    assert all(f"─ {panel} ─" in shown for panel in PANELS)


def completions(words: str) -> list[str]:
    """What bash completion offers after `words` (completing the last word; "" after a space), in a fresh
    process that must not import torch."""
    code = (
        "import os, sys\n"
        "from gantool.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'torch' not in sys.modules, 'completion imported torch'\n"
    )
    parts = words.split(" ")
    env = {**os.environ, "_GANTOOL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_shell_completes_part_names_and_choices_without_torch():
    assert completions("gantool train --gen ") == ["auto", "cgan", "dcgan", "mlp", "resnet"]
    assert completions("gantool train --loss smo") == ["smoothed-bce"]
    assert {"mnist5k", "image-folder"} <= set(completions("gantool train --dataset "))
    assert "diffaugment" in completions("gantool train --augment ")
    assert {"dcgan", "bce", "mnist5k", "diffaugment"} <= set(completions("gantool describe "))
    assert completions("gantool generate run --format ") == ["grid", "files", "npy"]
    assert completions("gantool train --precision ") == ["fp32", "bf16", "auto"]
    assert completions("gantool train --noise u") == ["uniform", "uniform01"]
    assert completions("gantool interpolate run --device ") == ["auto", "cpu", "cuda"]


def test_threads_sets_torch_threads_for_the_run_only(cli, tmp_path):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        result = cli(
            "train", "--out", str(tmp_path / "run"), "--threads", "1", *[arg for arg in TINY if arg != "--quiet"]
        )
        assert result.code == 0, result.err
        assert "threads 1" in result.err and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert "threads" not in tomllib.loads((tmp_path / "run" / "config.toml").read_text())
