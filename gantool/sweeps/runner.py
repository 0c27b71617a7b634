"""`gantool sweep SPACE.toml`: check the space, open (or continue) the study, and run trials until this process
has run --trials of them or --timeout has passed; any number of such processes may share one study."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gantool.errors import GantoolError
from gantool.registry import Registry
from gantool.sweeps.space import read_space
from gantool.sweeps.study import REASON, fail_dead_trials, open_storage, open_study, shown_url, storage_url
from gantool.sweeps.trials import Objective, TrialFailed, default_threads

if TYPE_CHECKING:
    import optuna


def run_sweep(space_file: Path, registry: Registry, *, out: Path, storage: str | None, study_name: str | None,
              trials: int | None, timeout: float | None, jobs: int, say: Callable[[str], None]) -> Path:
    """Run the sweep's trials; returns the sweep folder. Failed trials are recorded and the sweep goes on."""
    space = read_space(space_file, registry)
    if out.exists() and not out.is_dir():
        raise GantoolError(f"--out {out} is a file; a sweep needs a folder for its study and trial runs")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GantoolError(f"cannot create the sweep folder {out}: {exc.strerror or exc}; choose a writable --out") \
            from None
    url = storage or storage_url(out)
    database = open_storage(url)
    study = open_study(database, study_name or space_file.stem, space)
    for number in fail_dead_trials(study, database):
        say(f"trial {number} was running in a sweep process that ended (killed?): recorded as failed")
    done = len(study.trials)
    say(f"sweep {study.study_name!r} in {shown_url(url)}: {done} trial(s) so far; "
        f"{'up to ' + str(trials) if trials else 'more'} trial(s) now, objective {space.metric} ({space.direction})")
    objective = Objective(space, out, threads=default_threads(jobs))

    def tell(study_: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        say(trial_line(trial, space.metric))

    study.optimize(objective, n_trials=trials, timeout=timeout, n_jobs=jobs, catch=(TrialFailed,), callbacks=[tell])
    try:
        best = study.best_trial
        say(f"best so far: trial {best.number}, {space.metric} {best.value:.4g} ({best.user_attrs.get('run')})")
    except ValueError:
        say("no trial has finished yet; see the reasons above (gantool sweep show lists them too)")
    return out


def trial_line(trial: optuna.trial.FrozenTrial, metric: str) -> str:
    """One line per finished trial: its state, value or reason, and options."""
    state = trial.state.name
    params = ", ".join(f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"
                       for name, value in trial.params.items())
    if state == "COMPLETE":
        outcome = f"{metric} {trial.value:.4g}"
    elif state == "PRUNED":
        steps = sorted(trial.intermediate_values)
        outcome = f"pruned after step {steps[-1] if steps else 0}"
    else:
        outcome = trial.user_attrs.get(REASON) or "failed"
    return f"trial {trial.number} {state}: {outcome} ({params})"
