"""Where a trained generator comes from: its architecture, how it was trained and how it measured.

`gantool.load(...).info`, `gantool export`'s config.json and model card all show this one record, so a
generator carries the same provenance whether it is read from its run or from an exported folder. Torch-free.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from gantool.errors import GantoolWarning
from gantool.storage.rundir import RunDir


def run_of(source: Path) -> RunDir | None:
    """The run a generator was read from: the folder given, or the folder holding the export file given."""
    for folder in (source, source.parent):
        if folder.is_dir() and RunDir(folder).is_run:
            return RunDir(folder)
    return None


def training_record(run: RunDir | None) -> dict[str, Any]:
    """The run's config.toml as written (settings, resolved options, plugins), or nothing without a run; refused
    in one line if a hand edit broke a rule training checks."""
    return checked_training(run.read_config(), str(run.config)) if run is not None else {}


def checked_training(record: dict[str, Any], source: str) -> dict[str, Any]:
    """A run's settings record (config.toml, or `training` in an exported folder's config.json), given the checks
    `gantool train --config` gives a file: each value of its declared type and in bounds."""
    from gantool.config import TrainConfig
    from gantool.errors import GantoolError

    if not isinstance(record, dict):
        raise GantoolError(f"{source} is not a table of settings; export the run again with gantool export RUN DIR")
    TrainConfig.from_toml_dict(record, source)
    return record


def is_evaluation(record: dict[str, Any]) -> bool:
    """Whether a metrics.jsonl line is an evaluation as training writes it: a table of numbers (and a protocol
    table) at a step."""
    metrics, protocol = record.get("eval"), record.get("eval_protocol")
    return (isinstance(metrics, dict) and all(isinstance(value, int | float | None) for value in metrics.values())
            and isinstance(protocol, dict | None) and isinstance(record.get("step"), int | None))


def records(run: RunDir | None) -> list[dict[str, Any]]:
    """The lines of the run's metrics.jsonl, skipping one a crash cut short."""
    if run is None or not run.metrics.is_file():
        return []
    found = []
    for line in run.metrics.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            found.append(record)
    return found


def last_evaluation(run: RunDir | None) -> dict[str, Any] | None:
    """The run's latest evaluation (train --eval-every) with its step and protocol, or None if it has none."""
    evaluations = [record for record in records(run) if "eval" in record]
    malformed = [record for record in evaluations if not is_evaluation(record)]
    if malformed and run is not None:
        warnings.warn(GantoolWarning(f"{run.metrics} has {len(malformed)} evaluation line(s) that are not tables of "
                                     "numbers (edited by hand?); ignored them"), stacklevel=2)
    evaluations = [record for record in evaluations if is_evaluation(record)]
    if not evaluations:
        return None
    last = evaluations[-1]
    return {"step": last.get("step"), "metrics": last["eval"], "protocol": last.get("eval_protocol")}


def last_metrics(run: RunDir | None) -> dict[str, float]:
    """The run's last logged training metrics (losses, D outputs, speed) with their step and epoch."""
    logged = [record for record in records(run) if "eval" not in record]
    return logged[-1] if logged else {}


def describe(state: dict[str, Any], training: dict[str, Any], evaluation: dict[str, Any] | None) -> dict[str, Any]:
    """The provenance record from an export's metadata, the run's config and its evaluation."""
    return {
        "architecture": state.get("generator"),
        "options": state.get("options", {}),
        "spec": state.get("spec", {}),
        "dataset": training.get("dataset") or state.get("dataset"),
        "data_options": training.get("options", {}).get("data", {}),
        "noise": state.get("noise", "normal"),
        "ema": state.get("ema"),
        "steps": state.get("step"),
        "plugin": state.get("plugin", {}),
        "gantool": state.get("gantool"),
        "training": training,
        "evaluation": evaluation,
    }


def provenance_of(source: Path, state: dict[str, Any]) -> dict[str, Any]:
    """The provenance of the generator read from `source`: a run directory, its export file, or an exported
    folder (whose config.json carries the run's record)."""
    from gantool.storage.export_folder import is_export_folder, read_config

    if source.is_dir() and not RunDir(source).is_run and is_export_folder(source):
        config = read_config(source)
        where, evaluation = source / "config.json", config.get("evaluation")
        if evaluation is not None and not (isinstance(evaluation, dict) and is_evaluation(
                {"eval": evaluation.get("metrics"), "eval_protocol": evaluation.get("protocol"),
                 "step": evaluation.get("step")})):
            warnings.warn(GantoolWarning(f"{where} has an evaluation that is not a table of numbers (edited by "
                                         "hand?); ignored it"), stacklevel=2)
            evaluation = None
        return describe(state, checked_training(config.get("training") or {}, f"{where} (training)"), evaluation)
    run = run_of(source)
    return describe(state, training_record(run), last_evaluation(run))
