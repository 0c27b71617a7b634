"""gantool runs: finished, stopped, failed and still-training runs in one table, read without taking any run's
lock, so a run in training is neither blocked nor disturbed."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

from tests.conftest import TINY, run_subprocess


def listed(folder, *args) -> dict[str, dict]:
    result = run_subprocess("runs", str(folder), "--json", *args, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    return {row["name"]: row for row in (rows["runs"] if isinstance(rows, dict) else rows)}


def test_runs_lists_finished_stopped_failed_and_running_runs(tmp_path, trained_run):
    folder = tmp_path / "runs"
    shutil.copytree(trained_run, folder / "finished")
    failed = run_subprocess("train", *TINY, "--loss", "hinge", "--lr-d", "1e30", "--out", str(folder / "failed"))
    assert failed.returncode == 3, failed.stderr

    training = subprocess.Popen([sys.executable, "-m", "gantool", "train", *TINY[:-3], "--max-steps", "100000",
                                 "--log-every", "1", "--checkpoint-every", "5", "--quiet", "--out",
                                 str(folder / "nested" / "training")], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
    metrics = folder / "nested" / "training" / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while (not metrics.exists() or len(metrics.read_text().splitlines()) < 6) and time.monotonic() < deadline:
        assert training.poll() is None, training.stderr.read()
        time.sleep(0.2)
    try:
        runs = listed(folder)
        assert runs["training"]["state"] == "running" and runs["training"]["steps"] >= 6
        steps_seen = runs["training"]["steps"]
        assert runs["finished"]["state"] == "finished" and runs["finished"]["steps"] == 3
        assert runs["finished"]["gen"] == "dcgan" and runs["finished"]["dataset"] == "mnist5k"
        assert runs["failed"]["state"] == "failed" and "diverged" in runs["failed"]["reason"]
        deadline = time.monotonic() + 60
        while len(metrics.read_text().splitlines()) <= steps_seen and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(metrics.read_text().splitlines()) > steps_seen  # it kept training while we looked
    finally:
        training.send_signal(signal.SIGTERM)
        _, err = training.communicate(timeout=120)
    assert training.returncode == 143, err  # its clean stop, with a checkpoint, as without us
    runs = listed(folder)
    assert runs["training"]["state"] == "stopped" and "SIGTERM" in runs["training"]["reason"]

    only_hinge = listed(folder, "--part", "hinge")
    assert list(only_hinge) == ["failed"]
    compared = json.loads(run_subprocess("runs", str(folder), "--json", "--diff").stdout)
    assert {"loss", "lr_d", "max_steps"} <= set(compared["differing"]) and "gen" not in compared["differing"]
    table = run_subprocess("runs", str(folder), "--diff", "--sort", "steps")
    assert table.returncode == 0 and "options that differ" in table.stdout and "lr_d" in table.stdout
    assert list(listed(folder, "--sort", "steps"))[0] == "training"  # most steps first


def test_runs_refuses_a_missing_folder(cli, tmp_path):
    result = cli("runs", str(tmp_path / "nowhere"))
    assert result.code == 2 and "is not a folder" in result.err


def test_a_run_that_ended_without_a_record_is_stopped_when_it_can_resume(tmp_path):
    from gantool.storage.run_state import run_state
    from gantool.storage.rundir import RunDir
    from gantool.storage.runlock import RunLock

    run = RunDir(tmp_path / "killed")
    (run.path / "checkpoints").mkdir(parents=True)
    run.config.write_text('gen = "dcgan"\n')
    assert run_state(run).state == "failed"  # killed before its first checkpoint: nothing to resume
    (run.checkpoints / "step-000000005.safetensors").write_bytes(b"")
    assert run_state(run).state == "stopped" and "killed?" in run_state(run).reason
    with RunLock(run.lock, run.path).acquire():  # a training process holds the lock: the kernel's table says so
        assert run_state(run).state == "running"
    assert run_state(run).state == "stopped"
