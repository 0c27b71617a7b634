"""Training as a library call: `gantool.train(...)` runs what `gantool train` runs and returns a TrainingResult.

The settings are TrainConfig's fields (one declaration for the command, config files and this function); the
run is silent unless asked, raises GantoolError for what a user can fix, and turns a stop (Ctrl-C, SIGTERM, or a
KeyboardInterrupt raised in `callback`) into a checkpoint that `resume` continues, then a KeyboardInterrupt.
"""

from __future__ import annotations

import inspect
import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gantool import arguments
from gantool.config import TrainConfig, check_known, read_config_file, train_option_specs
from gantool.errors import GantoolError
from gantool.storage.rundir import RunDir
from gantool.training.run import RESUMABLE, Callback, resumed_config, run_training

if TYPE_CHECKING:
    from gantool.storage.loading import LoadedGenerator


@dataclass
class TrainingResult:
    """A finished run: its directory, export and final sample grid, and its last logged numbers."""

    run_dir: Path
    export: Path
    samples: Path
    steps: int
    metrics: dict[str, float]
    evaluation: dict[str, Any] | None

    def load(self, **kwargs: Any) -> LoadedGenerator:
        """The trained generator, as `gantool.load(run_dir, **kwargs)` gives it."""
        from gantool.storage.loading import load

        return load(self.run_dir, **kwargs)


def train(
    config: str | os.PathLike[str] | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
    progress: bool = False,
    callback: Callback | None = None,
    **settings: Any,
) -> TrainingResult:
    """Train a GAN as `gantool train` does, with the same settings (keyword arguments named as TrainConfig's
    fields, e.g. max_steps=3, options={"gen": {"depth": 8}}) and defaults.

    `config`: a TOML file (a run's config.toml works) that the keyword arguments override; `resume`: a run
    directory to continue (only epochs, max_steps and device may change). Silent unless `progress`; `callback(step,
    metrics)` sees every logged line. A stop leaves a checkpoint and raises KeyboardInterrupt."""
    from gantool.registry import load_registry
    from gantool.training.signals import TrainingInterrupted

    config, out = arguments.optional_path(config, "config"), arguments.optional_path(out, "out")
    resume = arguments.optional_path(resume, "resume")
    arguments.flag(progress, "progress")
    if callback is not None and not callable(callback):
        raise GantoolError(f"callback must be a function of (step, metrics) or None; got {arguments.shown(callback)}")
    settings = checked_settings(settings)
    if resume is not None:
        changed = sorted(set(settings) - set(RESUMABLE))
        if changed or config is not None:
            what = changed[0] if changed else "config"
            raise GantoolError(
                f"resume continues a run with its saved settings, so {what} cannot be given; only "
                f"{' and '.join(RESUMABLE)} may change"
            )
        run_config = resumed_config(resume, settings, set(settings))
    else:
        run_config = config_from(config, settings)
    try:
        outcome = run_training(
            run_config,
            load_registry(),
            out=out,
            resume=resume,
            quiet=not progress,
            callback=callback,
        )
    except TrainingInterrupted as stopped:
        raise KeyboardInterrupt(str(stopped)) from None
    from gantool.storage.provenance import last_evaluation, last_metrics

    run = RunDir(outcome.run_dir)
    return TrainingResult(
        outcome.run_dir, outcome.export, outcome.samples, outcome.steps, last_metrics(run), last_evaluation(run)
    )


def checked_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings given to train(), each of the type a config file must give it (None where a setting may be
    unset; a tuple for a list), so a notebook gets a config file's checks."""
    settings = {name: list(value) if isinstance(value, tuple) else value for name, value in settings.items()}
    if settings.get("options", {}) is None:
        del settings["options"]
    unknown = sorted(set(settings) - set(TrainConfig.__dataclass_fields__))
    if unknown:
        known = ", ".join(TrainConfig.__dataclass_fields__)
        raise GantoolError(f"train() has no setting {unknown[0]!r}; its settings are: {known}")
    unset = {spec.name for spec in train_option_specs() if type(None) in typing.get_args(spec.type)}
    check_known({name: value for name, value in settings.items() if value is not None or name not in unset},
                "train()")
    for kind, values in settings.get("options", {}).items():
        if not all(isinstance(key, str) for key in [kind, *values]):
            raise GantoolError(f"train(): options are named by strings, such as options={{'gen': {{'depth': 32}}}}; "
                               f"got {arguments.shown(settings['options'])}")
    return settings


def config_from(config_file: Path | None, settings: dict[str, Any]) -> TrainConfig:
    """Defaults, then the config file, then the settings given (their options merged into the file's by kind)."""
    if config_file is None:
        config = TrainConfig(**settings)
        config.given = frozenset(settings)
        return config
    saved = read_config_file(config_file)
    fields = {
        name: value
        for name, value in TrainConfig.from_toml_dict(saved, str(config_file)).__dict__.items()
        if name in saved
    }
    options = {kind: dict(values) for kind, values in fields.pop("options", {}).items()}
    for kind, values in (settings.get("options") or {}).items():
        options.setdefault(kind, {}).update(values)
    config = TrainConfig(**(fields | settings | {"options": options}))
    config.given = frozenset(saved) | frozenset(settings)
    return config


def _signature() -> inspect.Signature:
    """train()'s signature as help() and editors show it: every TrainConfig setting with its default."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    head = [param for param in inspect.signature(train).parameters.values() if param.kind is not param.VAR_KEYWORD]
    fields = [inspect.Parameter(spec.name, keyword, default=spec.default) for spec in train_option_specs()]
    return inspect.Signature([*head, *fields, inspect.Parameter("options", keyword, default=None)])


train.__signature__ = _signature()  # type: ignore[attr-defined]
