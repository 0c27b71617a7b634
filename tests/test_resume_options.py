"""--resume continues a run with its saved settings: other settings given with it are refused, a finished run
is reported as finished, and the step budget and device may still change."""

from __future__ import annotations

import shutil

import pytest

from gantool.storage.checkpoint import load_tensors
from gantool.storage.rundir import latest_checkpoint


@pytest.fixture
def run(trained_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(trained_run, copy)
    return copy


def _files(run):
    return {path: path.read_bytes() for path in sorted(run.rglob("*")) if path.is_file()}


@pytest.mark.parametrize(("extra", "named"), [
    (["--lr-g", "0.1", "--batch-size", "8", "--gen", "mlp"], "--batch-size, --gen, --lr-g"),
    (["--batch-size", "16"], "--batch-size"),  # given, even with the value the run was started with
    (["--set", "gen.depth=4", "--out", "elsewhere"], "--out, --set"),
])
def test_settings_that_cannot_change_on_resume_are_refused_in_one_line(cli, run, extra, named):
    before = _files(run)
    result = cli("train", "--resume", str(run), *extra)
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert f"so {named} cannot be given" in lines[0]
    assert "--epochs, --max-steps, --device" in lines[0]
    assert _files(run) == before


def _written(run):
    """When each file of the run was last written; the run's lock file is rewritten by every process that opens it."""
    return {path: path.stat().st_mtime_ns for path in run.rglob("*") if path.is_file() and path.name != ".lock"}


def test_resuming_a_finished_run_says_so_and_writes_nothing(cli, run):
    before = _written(run)
    result = cli("train", "--resume", str(run))
    assert result.code == 0, result.err
    assert "has already finished" in result.err and "step 3 of 3" in result.err
    assert result.out.strip() == str(run)
    assert _written(run) == before


def test_a_resumed_run_takes_a_larger_budget_and_another_device(cli, run):
    unknown = cli("train", "--resume", str(run), "--max-steps", "4", "--device", "tpu")
    assert unknown.code == 2 and "--device 'tpu' is not known" in unknown.err  # read, not dropped
    result = cli("train", "--resume", str(run), "--max-steps", "4", "--device", "cpu", "--quiet")
    assert result.code == 0, result.err
    _, state = load_tensors(latest_checkpoint(run))
    assert state["step"] == 4
