"""One trial of a sweep: an ordinary `gantool train` run in its own process (sweeps/launch.py) and folder, whose
evaluations (--eval-every) are reported to Optuna as they are logged, so the pruner can stop it (SIGTERM: it
checkpoints and stays resumable). A trial that fails (an error, NaN, a killed process) is recorded failed with
its reason."""

from __future__ import annotations

import math
import os
import shlex
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gantool.consoles import clean
from gantool.storage.rundir import RunDir
from gantool.sweeps.launch import TrainProcess
from gantool.sweeps.space import Param, Space, train_arguments
from gantool.sweeps.study import REASON, worker_identity

if TYPE_CHECKING:
    import optuna

POLL_S = 0.5
STOP_WAIT_S = 120  # a pruned trial's process gets this long to write its checkpoint before it is killed
LOGS = "logs"


class TrialFailed(Exception):
    """The trial's run did not give a value; the reason is recorded with the trial."""


def trial_folder(out: Path, number: int) -> Path:
    return out / f"trial-{number:04d}"


def command_line(arguments: list[str], out: str) -> str:
    """A runnable `gantool train` line for a trial's arguments."""
    return shlex.join(["gantool", "train", *arguments, "--out", out])


def suggest(trial: optuna.Trial, param: Param) -> Any:
    """Draw a value of one searched option."""
    if param.choices is not None:
        return trial.suggest_categorical(param.name, list(param.choices))
    if param.is_int:
        return trial.suggest_int(param.name, int(param.low), int(param.high), step=int(param.step or 1), log=param.log)
    return trial.suggest_float(param.name, float(param.low), float(param.high), step=param.step, log=param.log)


class Objective:
    """Runs each trial Optuna asks for as a `gantool train` process and returns its objective metric."""

    def __init__(self, space: Space, out: Path, *, threads: int | None) -> None:
        self.space, self.out, self.threads = space, out, threads

    def __call__(self, trial: optuna.Trial) -> float:
        import optuna

        values = {param.name: suggest(trial, param) for param in self.space.params}
        arguments = train_arguments(self.space, values)
        run = trial_folder(self.out, trial.number).resolve()
        for key, value in worker_identity().items():
            trial.set_user_attr(key, value)
        trial.set_user_attr("run", str(run))
        trial.set_user_attr("train_arguments", arguments)
        try:
            return self._run(trial, arguments, run)
        except TrialFailed as failed:
            trial.set_user_attr(REASON, str(failed))
            raise
        except optuna.TrialPruned:
            raise
        except KeyboardInterrupt:
            trial.set_user_attr(REASON, "the sweep was interrupted (Ctrl-C)")
            raise

    def _run(self, trial: optuna.Trial, arguments: list[str], run: Path) -> float:
        import optuna

        log_path = self.out / LOGS / f"{run.name}.txt"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        threads = ["--threads", str(self.threads)] if self.threads else []
        process = TrainProcess([*arguments, *threads, "--out", str(run), "--quiet"], log_path)
        try:
            reported: set[int] = set()
            while True:
                code = process.poll()
                last = self._report_new(trial, RunDir(run), reported)
                if trial.should_prune():
                    _stop(process)
                    raise optuna.TrialPruned(f"pruned at step {last[0] if last else 0}")
                if code is not None:
                    break
                time.sleep(POLL_S)
        except BaseException:
            if process.poll() is None:
                _stop(process)
            raise
        if code != 0:
            raise TrialFailed(_failure(code, log_path))
        if last is None:
            raise TrialFailed(f"the run logged no evaluation of {self.space.metric}; see {log_path}")
        step, value = last
        if not math.isfinite(value):
            raise TrialFailed(f"{self.space.metric} was {value} at step {step}")
        return value

    def _report_new(self, trial: optuna.Trial, run: RunDir, reported: set[int]) -> tuple[int, float] | None:
        """Report the evaluations logged since the last look; the newest (step, value) so far, or None."""
        records, _ = run.metric_records()
        last = None
        for record in records:
            evaluation = record.get("eval")
            if not isinstance(evaluation, dict) or self.space.metric not in evaluation:
                continue
            step, value = record["step"], float(evaluation[self.space.metric])
            last = (step, value)
            if step not in reported and math.isfinite(value):
                trial.report(value, step)
                reported.add(step)
        return last


def _stop(process: TrainProcess) -> None:
    """Ask a trial's run to stop as Ctrl-C would (it writes its checkpoint first); kill it if it hangs."""
    process.send_signal(signal.SIGTERM)
    if process.wait(STOP_WAIT_S) is None:
        process.kill()
        process.wait()


def _failure(code: int, log_path: Path) -> str:
    """Why a trial's process failed: the error line it printed, or the signal that killed it."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"its run was killed by {name}"
    lines = [clean(line).strip() for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines()]
    errors = [line for line in lines if line.startswith(("error:", "internal error:"))]
    last = errors[-1] if errors else next((line for line in reversed(lines) if line), "")
    return f"exit code {code}: {last}" if last else f"exit code {code}; see {log_path}"


def default_threads(jobs: int) -> int | None:
    """With several trials at once, each run's share of the CPU cores; None (torch's choice) for one at a time."""
    return max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None
