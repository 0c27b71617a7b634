"""gantool sweep: tiny trials (a handful of steps, depth 8, a few dozen evaluation samples), each a real gantool
train process; the study in SQLite by default or in a real PostgreSQL server shared by two sweep processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import run_subprocess
from tests.postgres import postgres_url  # noqa: F401 - a fixture

TINY_TRAIN = """
[train]
gen = "dcgan"
max_steps = {steps}
log_every = 1
eval_every = 2
eval_num = 32
sample_every = 100
[train.options.gen]
depth = 8
[train.options.disc]
depth = 8
"""


def write_space(folder: Path, space: str, *, steps: int = 2, extra: str = "", name: str = "space") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(TINY_TRAIN.format(steps=steps) + "[space]\n" + space + '\n[objective]\nmetric = "frechet"\n'
                    + extra)
    return path


def sweep(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_subprocess("sweep", *args, timeout=timeout)


def shown(target: str | Path) -> list[dict]:
    result = sweep("show", str(target), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def config_of(run: Path) -> dict:
    return tomllib.loads((run / "config.toml").read_text())


def test_a_sweep_runs_shows_its_best_command_and_resumes(tmp_path):
    space = write_space(tmp_path, 'lr_g = { choices = [1e-3, 2e-3] }\nbatch_size = { choices = [16, 24] }',
                        extra='[sampler]\nname = "grid"\nseed = 1\n')
    out = tmp_path / "sweep"
    first = sweep(str(space), "--trials", "2", "--jobs", "2", "--out", str(out))  # two trials at once
    assert first.returncode == 0, first.stderr
    assert (out / "study.db").is_file()
    trials = shown(out)
    assert sorted(trial["number"] for trial in trials) == [0, 1]
    assert all(trial["state"] == "COMPLETE" and trial["value"] > 0 for trial in trials)
    best = trials[0]
    assert best["best"] and best["value"] == min(trial["value"] for trial in trials)
    assert Path(best["run"]) == out / f"trial-{best['number']:04d}" and (Path(best["run"]) / "metrics.jsonl").is_file()

    report = sweep("show", str(out), "--plots", str(tmp_path / "plots"))
    assert report.returncode == 0, report.stderr
    assert f"best: trial {best['number']}" in report.stdout and best["command"] in report.stdout.replace("\n", "")
    for name in ("history", "importances", "slice"):
        assert (tmp_path / "plots" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"

    # the best command, run, trains that trial's settings again: the same config.toml
    again = tmp_path / "again"
    command = best["command"].split()
    assert command[:2] == ["gantool", "train"] and command[-2] == "--out"
    rerun = run_subprocess(*command[1:-1], str(again), "--quiet")
    assert rerun.returncode == 0, rerun.stderr
    assert config_of(again) == config_of(Path(best["run"]))

    # the same command again continues the study: a new trial, the first two untouched
    before = {trial["number"]: (trial["value"], trial["params"]) for trial in trials}
    second = sweep(str(space), "--trials", "1", "--out", str(out))
    assert second.returncode == 0, second.stderr
    trials = shown(out)
    assert sorted(trial["number"] for trial in trials) == [0, 1, 2]
    assert {n: (t["value"], t["params"]) for t in trials for n in [t["number"]] if n in before} == before
    combinations = {(t["params"]["lr_g"], t["params"]["batch_size"]) for t in trials}
    assert len(combinations) == 3  # three of the grid's four: none was run twice


def test_failed_trials_are_recorded_with_their_reason_and_the_sweep_goes_on(tmp_path):
    space = write_space(tmp_path, 'batch_size = { choices = [16, 100000] }\nlr_d = { choices = [6e-4, 1e30] }',
                        extra='[sampler]\nname = "grid"\n')
    out = tmp_path / "sweep"
    result = sweep(str(space), "--trials", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    trials = {(t["params"]["batch_size"], t["params"]["lr_d"]): t for t in shown(out)}
    assert trials[16, 6e-4]["state"] == "COMPLETE"
    assert trials[16, 1e30]["state"] == "FAIL" and "non-finite" in trials[16, 1e30]["reason"]  # NaN
    for lr_d in (6e-4, 1e30):  # the run refuses the combination: its error line is the reason
        assert trials[100000, lr_d]["state"] == "FAIL"
        assert "larger than the dataset" in trials[100000, lr_d]["reason"]


def test_a_trial_whose_sweep_was_killed_is_recorded_failed_after_restart(tmp_path):
    space = write_space(tmp_path, "lr_g = { low = 1e-4, high = 3e-3, log = true }")
    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "gantool", "sweep", str(space), "--trials", "1", "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = out / "logs" / "trial-0000.txt"
    deadline = time.monotonic() + 120
    while not log.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert log.exists(), "the first trial never started"
    os.killpg(process.pid, signal.SIGKILL)  # the sweep and its trial's run, as a lost machine would
    process.wait()

    restart = sweep(str(space), "--trials", "1", "--out", str(out))
    assert restart.returncode == 0, restart.stderr
    assert "trial 0 was running in a sweep process that ended" in restart.stderr
    trials = {trial["number"]: trial for trial in shown(out)}
    assert trials[0]["state"] == "FAIL" and "ended while it ran" in trials[0]["reason"]
    assert trials[1]["state"] == "COMPLETE"


def test_a_pruner_stops_trials_that_are_bad_from_the_start(tmp_path):
    # no Fréchet distance of a few steps' training is below 1: every trial is hopeless at its first evaluation
    space = write_space(tmp_path, "lr_g = { low = 1e-4, high = 3e-3, log = true }", steps=40,
                        extra='[pruner]\nname = "threshold"\nupper = 1.0\n')
    out = tmp_path / "sweep"
    result = sweep(str(space), "--trials", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    (trial,) = shown(out)
    # pruned at its first evaluation (step 2); the run stops at the next step boundary after the signal lands
    assert trial["state"] == "PRUNED" and re.fullmatch(r"pruned after step \d+", trial["reason"])
    records = [json.loads(line) for line in (Path(trial["run"]) / "metrics.jsonl").read_text().splitlines()]
    assert max(record["step"] for record in records) < 40  # stopped long before its budget
    assert json.loads((Path(trial["run"]) / "outcome.json").read_text())["state"] == "stopped"  # and resumable


def test_two_processes_share_one_postgresql_study(tmp_path, postgres_url):  # noqa: F811
    space = write_space(tmp_path, "lr_g = { low = 1e-4, high = 3e-3, log = true }")
    workers = [subprocess.Popen([sys.executable, "-m", "gantool", "sweep", str(space), "--trials", "2", "--storage",
                                 postgres_url, "--out", str(tmp_path / f"worker-{index}")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for index in (1, 2)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    trials = shown(postgres_url)
    assert sorted(trial["number"] for trial in trials) == [0, 1, 2, 3]  # no number twice
    assert all(trial["state"] == "COMPLETE" for trial in trials)
    assert {Path(trial["run"]).parent.name for trial in trials} == {"worker-1", "worker-2"}


@pytest.mark.parametrize(("space", "message"), [
    ("lr_gen = { low = 1e-4, high = 3e-3 }", "'lr_gen' is not an option of gantool train (did you mean 'lr_g'?)"),
    ('"gen.width" = { low = 1, high = 4 }', "gen has no option 'width'"),
    ("lr_g = { low = 3e-3, high = 1e-4 }", "the range from 0.003 to 0.0001 is empty"),
    ("batch_size = { choices = [] }", "choices is empty"),
    ("batch_size = { choices = [0, 16] }", "--batch-size=0 is out of range"),
])
def test_a_bad_space_is_one_line_and_exit_2(cli, tmp_path, space, message):
    result = cli("sweep", str(write_space(tmp_path, space)), "--out", str(tmp_path / "sweep"))
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert not (tmp_path / "sweep").exists()


def test_an_unreachable_storage_is_one_line_and_exit_2(cli, tmp_path):
    space = write_space(tmp_path, "lr_g = { low = 1e-4, high = 3e-3 }")
    result = cli("sweep", str(space), "--out", str(tmp_path / "sweep"), "--storage",
                 "postgresql://someone:secret@127.0.0.1:1/nowhere")
    assert result.code == 2 and "cannot open the study storage" in result.err, result.err
    assert "secret" not in result.err and len(result.err.strip().splitlines()) == 1


def test_show_needs_a_sweep(cli, tmp_path):
    result = cli("sweep", "show", str(tmp_path))
    assert result.code == 2 and "holds no sweep" in result.err


def test_help_imports_neither_torch_nor_optuna():
    code = (
        "import sys\n"
        "from gantool.cli import main\n"
        "for argv in (['--help'], ['sweep', '--help'], ['sweep', 'show', '--help'], ['runs', '--help'],\n"
        "             ['list-plugins']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print([name for name in ('torch', 'optuna', 'matplotlib', 'mlflow') if name in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr
