"""A run whose generator.safetensors (or a checkpoint) is a symbolic link to a file outside it (issue 27): `export`,
`generate`, `inspect` and `evaluate` refuse it in one line with exit code 2 before reading the file, as guarantee 11
promises for every part of a run."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture
def linked_run(trained_run, tmp_path):
    """A copy of the tiny run whose export is a link to a copy of it outside the run."""
    run, outside = tmp_path / "run", tmp_path / "elsewhere.safetensors"
    shutil.copytree(trained_run, run)
    (run / "generator.safetensors").rename(outside)
    (run / "generator.safetensors").symlink_to(outside)
    return run


@pytest.mark.parametrize("command", [
    ["export", "RUN", "OUT"], ["generate", "RUN", "--out", "OUT.png"], ["inspect", "RUN"],
    ["inspect", "RUN/generator.safetensors"], ["generate", "RUN/generator.safetensors", "--out", "OUT.png"],
    ["evaluate", "RUN", "--num", "2"],
])
def test_a_linked_export_is_refused(cli, linked_run, tmp_path, command):
    out = tmp_path / "out"
    args = [part.replace("RUN", str(linked_run)).replace("OUT", str(out)) for part in command]
    result = cli(*args)
    lines = result.err.strip().splitlines()
    assert result.code == 2 and len(lines) == 1, result.err
    assert "generator.safetensors is a symbolic link" in lines[0] and "Traceback" not in result.err
    assert not list(tmp_path.glob("out*"))


def test_a_linked_checkpoint_of_an_unfinished_run_is_not_sampled(cli, trained_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    (run / "generator.safetensors").unlink()  # unfinished: generate samples its newest checkpoint
    newest = sorted((run / "checkpoints").glob("step-*.safetensors"))[-1]
    newest.rename(tmp_path / "outside.safetensors")
    newest.symlink_to(tmp_path / "outside.safetensors")
    result = cli("generate", str(run), "--out", str(tmp_path / "out.png"))
    assert result.code == 2 and "is a symbolic link" in result.err and not (tmp_path / "out.png").exists()
