"""Promise 10: one process per run folder, nothing read, written or deleted outside it, and no folder left that
neither a new run nor --resume accepts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gantool.storage.checkpoint import load_tensors
from gantool.storage.rundir import latest_checkpoint
from tests.conftest import TINY, run_subprocess

# Small and endless: each test decides when the process stops.
ENDLESS = ["--set", "gen.depth=4", "--set", "disc.depth=4", "--batch-size", "8", "--max-steps", "1000000",
           "--sample-every", "1000000", "--log-every", "1", "--quiet"]


def start_training(run_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "300"}
    return subprocess.Popen([sys.executable, "-m", "gantool", "train", "--out", str(run_dir), *ENDLESS, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(process: subprocess.Popen[str], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 120
    while not ready():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_run_in_use_is_refused_naming_its_process_and_a_killed_ones_lock_is_taken_over(tmp_path):
    run_dir = tmp_path / "run"
    first = start_training(run_dir, "--checkpoint-every", "1")
    try:
        wait_for(first, lambda: latest_checkpoint(run_dir) is not None)
        second = run_subprocess("train", "--resume", str(run_dir), "--max-steps", "2")
        assert second.returncode == 2
        assert f"{run_dir} is in use by another gantool train (PID {first.pid})" in one_line(second)
    finally:
        kill(first)
    step = load_tensors(latest_checkpoint(run_dir))[1]["step"]
    resumed = run_subprocess("train", "--resume", str(run_dir), "--max-steps", str(step + 1))
    assert resumed.returncode == 0, resumed.stderr
    assert (run_dir / "generator.safetensors").is_file()


def test_a_run_killed_before_its_first_checkpoint_can_be_started_again_in_its_folder(tmp_path):
    run_dir = tmp_path / "run"
    first = start_training(run_dir, "--checkpoint-every", "1000000")
    metrics = run_dir / "metrics.jsonl"
    wait_for(first, lambda: metrics.exists() and metrics.stat().st_size > 0)
    kill(first)
    assert latest_checkpoint(run_dir) is None and (run_dir / "config.toml").is_file()
    (run_dir / ".config.toml.x1y2.tmp").write_text("left by a writer killed mid-write")

    resumed = run_subprocess("train", "--resume", str(run_dir))
    assert resumed.returncode == 2
    advice = f"start it again with: gantool train --config {run_dir}/config.toml --out {run_dir}"
    assert "has no checkpoint to resume from" in one_line(resumed) and one_line(resumed).endswith(advice)
    again = run_subprocess(*advice.split()[5:], "--max-steps", "3")
    assert again.returncode == 0, again.stderr
    steps = [json.loads(line)["step"] for line in metrics.read_text().splitlines()]
    assert steps == [1, 2, 3], "the killed run's lines were dropped, so each step is logged once"
    assert (run_dir / "generator.safetensors").is_file()
    assert not list(run_dir.glob(".*.tmp")), "temporary files a killed process left are removed"
    taken = run_subprocess("train", "--out", str(run_dir), *ENDLESS, "--max-steps", "3")
    assert taken.returncode == 2 and f"continue it with --resume {run_dir}" in one_line(taken)


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory) -> Path:
    """Two checkpointed steps of an unfinished run."""
    run_dir = tmp_path_factory.mktemp("stopped") / "run"
    result = run_subprocess("train", "--out", str(run_dir), *TINY, "--max-steps", "2", "--checkpoint-every", "1",
                            "--sample-every", "1", "--keep", "1")
    assert result.returncode == 0, result.stderr
    (run_dir / "generator.safetensors").unlink()
    return run_dir


def linked_checkpoints(run_dir: Path, outside: Path) -> Path:
    shutil.move(run_dir / "checkpoints", outside / "checkpoints")
    (run_dir / "checkpoints").symlink_to(outside / "checkpoints")
    return run_dir / "checkpoints"


def linked_step_file(run_dir: Path, outside: Path) -> Path:
    newest = latest_checkpoint(run_dir)
    shutil.copy(newest, outside / newest.name)
    newest.unlink()
    newest.symlink_to(outside / newest.name)
    return newest


def linked_samples(run_dir: Path, outside: Path) -> Path:
    shutil.move(run_dir / "samples", outside / "samples")
    (run_dir / "samples").symlink_to(outside / "samples")
    return run_dir / "samples"


@pytest.mark.parametrize("plant", [linked_checkpoints, linked_step_file, linked_samples])
def test_a_symlinked_run_part_is_refused_and_nothing_outside_the_run_changes(stopped_run, tmp_path, plant):
    run_dir, outside = tmp_path / "run", tmp_path / "outside"
    shutil.copytree(stopped_run, run_dir, symlinks=True)
    outside.mkdir()
    link = plant(run_dir, outside)
    before = sorted((path, path.stat().st_mtime_ns) for path in outside.rglob("*"))
    result = run_subprocess("train", "--resume", str(run_dir), "--max-steps", "4")
    assert result.returncode == 2
    assert f"{link} is a symbolic link" in one_line(result)
    assert sorted((path, path.stat().st_mtime_ns) for path in outside.rglob("*")) == before


@pytest.mark.parametrize("out", ["", "."])
def test_an_empty_out_or_the_current_directory_is_refused_before_anything_is_written(cli, tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    result = cli("train", "--out", out, *TINY)
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "--out is empty or the current directory" in lines[0], result.err
    assert not list(tmp_path.iterdir())
