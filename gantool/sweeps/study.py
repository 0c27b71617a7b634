"""The Optuna study of a sweep: its storage (an SQLite file in the sweep folder, or any database URL shared by
workers on several machines), sampler, pruner, and the trials whose worker died (recorded failed)."""

from __future__ import annotations

import inspect
import json
import os
import re
import socket
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gantool.errors import GantoolError, first_line
from gantool.sweeps.space import Space

if TYPE_CHECKING:
    import optuna

STUDY_FILE = "study.db"
SPACE_ATTR = "gantool_space"
HEARTBEAT_S = 20  # a running trial's worker writes a heartbeat this often; others fail its trial when it stops
GRACE_S = 60  # ... after this long without one (a killed process, a lost machine)
REASON = "fail_reason"
TABLE_RACE_TRIES = 3  # the user attribute that says why a trial failed


def quiet_optuna() -> None:
    """Optuna's own log lines and experimental-feature warnings stay out of gantool's output."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message=".*heartbeat.*")


def storage_url(target: str | Path) -> str:
    """A storage URL as given, or the SQLite file of a sweep folder."""
    text = str(target)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve() / STUDY_FILE}"


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def open_storage(url: str, *, heartbeat: bool = True) -> optuna.storages.RDBStorage:
    """Connect to the study's database, or fail in one line naming it and the likely fix."""
    import optuna

    quiet_optuna()
    sqlite = url.startswith("sqlite:")
    try:
        for attempt in range(TABLE_RACE_TRIES):
            try:
                return optuna.storages.RDBStorage(
                    url, engine_kwargs={"connect_args": {"timeout": 60}} if sqlite else {"pool_pre_ping": True},
                    heartbeat_interval=HEARTBEAT_S if heartbeat else None,
                    grace_period=GRACE_S if heartbeat else None)
            except Exception as exc:  # two workers creating the tables at once: one loses, and finds them made
                if attempt + 1 == TABLE_RACE_TRIES or type(exc).__name__ not in ("IntegrityError", "ProgrammingError"):
                    raise
                time.sleep(1 + attempt)
        raise AssertionError("unreachable")
    except ImportError as exc:
        driver = {"postgresql": "'psycopg[binary]'", "mysql": "PyMySQL"}.get(url.partition(":")[0].split("+")[0], "")
        hint = f"pip install {driver}" if driver else "install the database driver the URL names"
        raise GantoolError(f"storage {shown_url(url)} needs a database driver that is not installed "
                           f"({first_line(exc)}); {hint}") from None
    except Exception as exc:  # sqlalchemy's connection and URL errors
        raise GantoolError(f"cannot open the study storage {shown_url(url)}: {type(exc).__name__}: "
                           f"{first_line(exc)[:300]}; check the URL, that the server is up and reachable, and the "
                           "credentials") from None


def open_study(storage: optuna.storages.RDBStorage, name: str, space: Space) -> optuna.Study:
    """Create the study, or continue it when it exists with the same space (a different one is refused)."""
    import optuna

    study = optuna.create_study(storage=storage, study_name=name, direction=space.direction,
                                sampler=make_sampler(space), pruner=make_pruner(space), load_if_exists=True)
    wanted = json.dumps(space.to_dict(), sort_keys=True)
    saved = study.user_attrs.get(SPACE_ATTR)
    if saved is None:
        study.set_user_attr(SPACE_ATTR, wanted)
    elif saved != wanted:
        raise GantoolError(f"study {name!r} in {shown_url(storage.url)} was started with another space file; "
                           "continue it with that one, or start a new sweep with another --study or --out")
    return study


def load_study(url: str, name: str | None) -> optuna.Study:
    """An existing study, for `sweep show`: the one named, or the only one the storage holds."""
    import optuna

    storage = open_storage(url, heartbeat=False)
    names = [summary.study_name for summary in optuna.get_all_study_summaries(storage, include_best_trial=False)]
    if name is None:
        if len(names) != 1:
            raise GantoolError(f"{shown_url(url)} holds {len(names)} studies ({', '.join(names) or 'none'}); name one "
                               "with --study" if names else f"{shown_url(url)} holds no sweep yet; run gantool sweep")
        name = names[0]
    if name not in names:
        raise GantoolError(f"{shown_url(url)} has no study {name!r}; it holds: {', '.join(names) or 'none'}")
    return optuna.load_study(study_name=name, storage=storage)


def make_sampler(space: Space) -> optuna.samplers.BaseSampler:
    import optuna

    options = {key: value for key, value in space.sampler.items() if key != "name"}
    name = space.sampler["name"]
    if name == "grid":
        grid = {param.name: list(param.choices or ()) for param in space.params}
        return _build(optuna.samplers.GridSampler, "[sampler] grid", options, search_space=grid)
    if name == "cmaes":
        try:
            import cmaes  # noqa: F401
        except ImportError:
            raise GantoolError("the cmaes sampler needs the cmaes package: pip install cmaes") from None
    kinds = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler,
             "cmaes": optuna.samplers.CmaEsSampler}
    return _build(kinds[name], f"[sampler] {name}", options)


def make_pruner(space: Space) -> optuna.pruners.BasePruner:
    import optuna

    options = {key: value for key, value in space.pruner.items() if key != "name"}
    kinds = {"median": optuna.pruners.MedianPruner, "hyperband": optuna.pruners.HyperbandPruner,
             "threshold": optuna.pruners.ThresholdPruner, "none": optuna.pruners.NopPruner}
    return _build(kinds[space.pruner["name"]], f"[pruner] {space.pruner['name']}", options)


def _build(kind: Any, where: str, options: dict[str, Any], **fixed: Any) -> Any:
    """An Optuna sampler or pruner with the space file's options, refusing unknown or bad ones in one line."""
    known = [name for name in inspect.signature(kind).parameters if name not in fixed]
    for name in options:
        if name not in known:
            raise GantoolError(f"{where} has no option {name!r}; its options are: {', '.join(known) or 'none'}")
    try:
        return kind(**fixed, **options)
    except (TypeError, ValueError) as exc:
        raise GantoolError(f"{where}: {first_line(exc)}") from None


def worker_identity() -> dict[str, Any]:
    """Who runs a trial: this machine and process, so a restarted sweep can tell a dead worker's trials."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "pid_started": _process_start(os.getpid())}


def fail_dead_trials(study: optuna.Study, storage: optuna.storages.RDBStorage) -> list[int]:
    """Record as failed the running trials whose worker was a process of this machine that no longer exists (the
    heartbeat does it for other machines, after the grace period); returns their numbers."""
    from optuna.trial import TrialState

    failed = []
    host = socket.gethostname()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = trial.user_attrs
        if attrs.get("host") != host or not isinstance(attrs.get("pid"), int):
            continue
        started = attrs.get("pid_started")
        if started is not None and _process_start(attrs["pid"]) == started:
            continue  # its worker still runs
        try:
            reason = f"its sweep process (PID {attrs['pid']}) ended while it ran (killed?)"
            storage.set_trial_user_attr(trial._trial_id, REASON, reason)
            storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
        except Exception:  # noqa: S112 - another worker recorded it first
            continue
        failed.append(trial.number)
    return failed


def _process_start(pid: int) -> int | None:
    """A process's start time in clock ticks since boot (from /proc), so a reused PID is not taken for it; None
    when no such process runs."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return 0
