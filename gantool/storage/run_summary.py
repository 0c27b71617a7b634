"""Every run under a folder, summed up for `gantool runs`: parts, data, steps, training time, state and the last
evaluation, read from the run's files only (never its lock), so a run still training is neither blocked nor
disturbed. Torch-free."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gantool.errors import GantoolError
from gantool.storage.run_state import run_state
from gantool.storage.rundir import CONFIG, RunDir

PART_SETTINGS = ("gen", "disc", "loss", "augment", "dataset")


@dataclass
class RunSummary:
    """One run as a row of `gantool runs`."""

    path: Path
    name: str
    parts: dict[str, str]
    steps: int
    seconds: float
    state: str
    reason: str = ""
    evaluation: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"run": str(self.path), "name": self.name, **self.parts, "steps": self.steps,
                "seconds": round(self.seconds, 3), "state": self.state, "reason": self.reason,
                "evaluation": self.evaluation, "settings": self.settings}


def find_runs(folder: Path) -> list[Path]:
    """The run folders (those holding a config.toml) under `folder`, itself included, without looking inside runs."""
    if not folder.is_dir():
        raise GantoolError(f"{folder} is not a folder; give the folder that holds your runs (default: runs)")
    found = []
    for root, folders, files in os.walk(folder):
        if CONFIG in files:
            found.append(Path(root))
            folders.clear()  # a run's own subfolders hold no runs
        else:
            folders.sort()
    return sorted(found)


def summarize(path: Path) -> RunSummary:
    """A run's row; a config.toml that cannot be read leaves the row's parts empty and says why in its reason."""
    run = RunDir(path)
    try:
        config = run.read_config()
    except GantoolError as exc:
        config, unreadable = {}, str(exc)
    else:
        unreadable = ""
    parts = {name: str(config.get(name) or (config.get("gen", "") if name == "disc" else "")) for name in PART_SETTINGS}
    records, _ = run.metric_records()
    steps = max((record["step"] for record in records), default=0)
    seconds = sum(record.get("seconds", 0.0) for record in records
                  if isinstance(record.get("seconds"), int | float) and "eval" not in record)
    evaluations = [record["eval"] for record in records if isinstance(record.get("eval"), dict)]
    state = run_state(run)
    return RunSummary(path, path.name, parts, steps, seconds, state.state, unreadable or state.reason,
                      dict(evaluations[-1]) if evaluations else {}, flat_settings(config))


def flat_settings(config: dict[str, Any]) -> dict[str, Any]:
    """A config.toml's settings and part options as one flat mapping (gen.depth, ...), to compare runs."""
    settings = {key: value for key, value in config.items() if key not in ("options", "plugins")}
    for kind, values in (config.get("options") or {}).items():
        if isinstance(values, dict):
            settings.update({f"{kind}.{key}": value for key, value in values.items()})
    return settings


def differing(runs: list[RunSummary]) -> list[str]:
    """The settings whose values are not the same in every run (one missing counts as different)."""
    keys = sorted({key for run in runs for key in run.settings})
    return [key for key in keys if len({repr(run.settings.get(key)) for run in runs}) > 1]
