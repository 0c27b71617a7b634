"""User errors end in one clear line, exit code 2 and no traceback, in a real process."""

import pytest

from tests.conftest import run_subprocess


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("args", "must_contain"),
    [
        (["train", "--gen", "nope"], ["'nope'", "known generators", "dcgan"]),
        (["train", "--loss", "nope"], ["'nope'", "known losses", "bce"]),
        (["train", "--set", "gen.depth=abc"], ["gen.depth", "expected int"]),
        (["train", "--set", "gen.width=3"], ["gen has no option 'width'", "depth"]),
        (["train", "--loss", "bc"], ["did you mean 'bce'"]),
        (["train", "--batch-size", "0"], ["--batch-size"]),
        (["train", "--bogus"], ["--bogus"]),
        (["generate", "missing-dir"], ["missing-dir"]),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(tmp_path, args, must_contain):
    result = run_subprocess(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for text in must_contain:
        assert text in lines[0]
    assert not (tmp_path / "runs").exists(), "a failed start must not leave a run directory behind"


def test_help_and_list_plugins_do_not_import_torch():
    code = (
        "import sys\n"
        "from gantool.cli import main\n"
        "for argv in (['--help'], ['list-plugins'], ['train', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_help_shows_bracketed_text_as_written(cli, monkeypatch):
    """Rich markup must not swallow '[...]' in help: the install hint and defaults are what users copy."""
    monkeypatch.setenv("COLUMNS", "200")
    result = cli("train", "--help")
    assert result.code == 0
    text = " ".join(result.out.split())
    assert "gantool[tensorboard]" in text and "[default: runs/DATE-GEN-DATASET]" in text
