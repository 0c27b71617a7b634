"""RunDir names every file of a run in one place; the file names are spelled nowhere else in gantool/."""

import os
import re
from pathlib import Path

import pytest

import gantool
from gantool.errors import GantoolError, GantoolWarning
from gantool.storage import rundir
from gantool.storage.rundir import RunDir, checkpoint_path

PACKAGE = Path(gantool.__file__).parent
NAMES = [rundir.CONFIG, rundir.METRICS, rundir.LOSS_PLOT, rundir.SAMPLES_GIF, rundir.EXPORT, rundir.BEST_EXPORT]


@pytest.mark.parametrize("name", NAMES)
def test_each_run_file_is_spelled_once_in_the_package(name):
    spelled = [path for path in PACKAGE.rglob("*.py") if re.search(f'"{re.escape(name)}"', path.read_text())]
    assert spelled == [Path(rundir.__file__)]


def test_a_new_folder_becomes_a_run_and_is_never_overwritten(tmp_path):
    run = RunDir(tmp_path / "run")
    with run.prepare(resume=False):
        assert not run.is_run and not run.finished
    run.config.write_text("")
    with pytest.raises(GantoolError, match=f"no checkpoint to resume from .* --config {run.config} --out {run.path}$"):
        run.resume_checkpoint()
    with run.prepare(resume=False):  # stopped before its first checkpoint: a new run may take the folder
        pass
    checkpoint_path(run.path, 1).parent.mkdir()
    checkpoint_path(run.path, 1).write_bytes(b"")
    taken = f"already holds a run with checkpoints; continue it with --resume {run.path} "
    with pytest.raises(GantoolError, match=taken):
        run.prepare(resume=False)
    with run.prepare(resume=True):
        assert run.resume_checkpoint() == checkpoint_path(run.path, 1)


def test_a_run_folder_is_locked_by_one_process_at_a_time(tmp_path):
    run = RunDir(tmp_path / "run")
    with run.prepare(resume=False):
        assert run.lock.read_text() == f"{os.getpid()}\n"
        with pytest.raises(GantoolError, match=rf"in use by another gantool train \(PID {os.getpid()}\)"):
            run.prepare(resume=True)
    with run.prepare(resume=True):  # released at the end of the block
        pass


def test_sample_grids_sort_by_step(tmp_path):
    run = RunDir(tmp_path)
    for step in (20, 3, 100):
        run.samples.mkdir(exist_ok=True)
        run.sample_grid(step).write_bytes(b"")
    run.sample_grid(None).write_bytes(b"")
    assert [p.name for p in run.sample_grids()] == ["step-0000003.png", "step-0000020.png", "step-0000100.png"]


def test_temporary_files_a_killed_writer_left_are_removed_when_a_run_starts_or_resumes(tmp_path):
    run = RunDir(tmp_path / "run")
    for folder in (run.path, run.samples, run.checkpoints):
        folder.mkdir(parents=True)
        (folder / ".x.safetensors.a1b2.tmp").write_bytes(b"half")
    (run.path / "notes.tmp").write_text("not ours: no leading dot")
    with run.prepare(resume=True):
        pass
    assert sorted(path.name for path in run.path.rglob("*.tmp")) == ["notes.tmp"]


def test_a_restart_forgets_the_metric_lines_and_grids_of_later_steps_and_damaged_lines(tmp_path):
    run = RunDir(tmp_path)
    run.samples.mkdir()
    for step in (1, 2, 3):
        run.sample_grid(step).write_bytes(b"")
    run.sample_grid(None).write_bytes(b"")
    run.metrics.write_text('{"step": 1, "d_loss": 1}\n{"step": 2, "eval": {}}\nnot json\n{"step": 3}\n{"step": 4, "e')
    with pytest.warns(GantoolWarning, match="held 2 unreadable line"):
        run.forget_after(2)
    assert run.metric_records() == ([{"step": 1, "d_loss": 1}, {"step": 2, "eval": {}}], 0)
    assert sorted(path.name for path in run.samples.iterdir()) == ["final.png", "step-0000001.png", "step-0000002.png"]
