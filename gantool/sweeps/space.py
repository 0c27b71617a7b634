"""A sweep's space file (SPACE.toml): the fixed settings of every trial ([train], spelled as in a run's
config.toml), the searched options ([space]: ranges and choices), the objective, and optionally the sampler and
pruner. Everything is checked before the first trial, in one line per problem. Torch- and Optuna-free."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gantool.config import AUTO_GENERATOR, TrainConfig, flag, read_config_file
from gantool.errors import GantoolError, did_you_mean, first_line, one_of
from gantool.kinds import BY_PREFIX
from gantool.options import resolve_options
from gantool.recipes import RECIPES
from gantool.registry import Registry

SECTIONS = ("train", "space", "objective", "sampler", "pruner")
RANGE_KEYS = ("low", "high", "log", "step")
METRIC_ALIASES = {"frechet": "frechet_distance", "fid": "frechet_distance"}
DIRECTIONS = ("minimize", "maximize")
SAMPLERS = ("tpe", "random", "grid", "cmaes")
PRUNERS = ("median", "hyperband", "threshold", "none")
PART_PREFIXES = ("gen", "disc", "loss", "data", "aug")  # part options a trial may search (not trackers)
PART_SETTING = {"gen": "gen", "disc": "disc", "loss": "loss", "data": "dataset", "aug": "augment"}
RECIPE_PART = {"loss": "loss", "aug": "augment"}  # what a recipe picks besides G and D
EVALUATIONS_PER_TRIAL = 4  # without eval_every in [train]: this many evaluations (pruning points) per trial


@dataclass(frozen=True)
class Param:
    """One searched option: a range (low, high, log, step) or a list of choices."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] | None = None

    @property
    def is_int(self) -> bool:
        return self.choices is None and all(isinstance(v, int) for v in (self.low, self.high, self.step or 1))

    def to_dict(self) -> dict[str, Any]:
        if self.choices is not None:
            return {"choices": list(self.choices)}
        return {"low": self.low, "high": self.high, "log": self.log} | ({"step": self.step} if self.step else {})


@dataclass
class Space:
    """A checked space file."""

    fixed: dict[str, Any]
    fixed_options: dict[str, dict[str, Any]]
    params: list[Param]
    metric: str
    direction: str = "minimize"
    sampler: dict[str, Any] = field(default_factory=lambda: {"name": "tpe"})
    pruner: dict[str, Any] = field(default_factory=lambda: {"name": "median"})

    def to_dict(self) -> dict[str, Any]:
        """The space as JSON, stored with the study so a resumed sweep (or `sweep show URL`) knows it."""
        return {"train": self.fixed | ({"options": self.fixed_options} if self.fixed_options else {}),
                "space": {param.name: param.to_dict() for param in self.params},
                "objective": {"metric": self.metric, "direction": self.direction},
                "sampler": self.sampler, "pruner": self.pruner}


def read_space(path: Path, registry: Registry) -> Space:
    """Read and check a space file: every searched option exists, every range holds values, every value is one a
    run accepts."""
    where = str(path)
    data = read_config_file(path)
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise GantoolError(f"{where} has an unknown section [{unknown[0]}]{did_you_mean(unknown[0], SECTIONS)}; "
                           f"a space file has {', '.join(f'[{name}]' for name in SECTIONS)}")
    train = _table(data, "train", where)
    fixed_options = {kind: dict(values) for kind, values in _table(train, "options", where).items()}
    fixed = {key: value for key, value in train.items() if key != "options"}
    _config(fixed, fixed_options, f"{where} [train]")
    params = [_param(name, spec, f"{where} [space]") for name, spec in _table(data, "space", where).items()]
    if not params:
        raise GantoolError(f"{where} has no [space] entries; add at least one, e.g. lr_g = {{ low = 1e-4, high = 3e-3,"
                           " log = true }")
    space = Space(fixed, fixed_options, params, *_objective(_table(data, "objective", where), where),
                  sampler=_choice_table(data, "sampler", SAMPLERS, where),
                  pruner=_choice_table(data, "pruner", PRUNERS, where))
    for param in params:
        _check_param(space, param, registry, f"{where} [space] {param.name!r}")
    _check_part_options(space, registry, fixed_options, f"{where} [train.options]")
    if space.sampler["name"] == "grid" and any(param.choices is None for param in params):
        raise GantoolError(f"{where}: the grid sampler tries every combination of choices, so each [space] entry "
                           "needs choices = [...] instead of a range")
    if "eval_every" not in fixed:
        budget = fixed.get("max_steps")
        fixed["eval_every"] = max(1, budget // EVALUATIONS_PER_TRIAL) if budget else 500
    return space


def _table(data: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise GantoolError(f"{where}: {name} must be a table such as [{name}]")
    return value


def _config(fixed: Mapping[str, Any], options: Mapping[str, Any], where: str) -> TrainConfig:
    """The TrainConfig of these settings, or the one line saying which one is wrong."""
    try:
        return TrainConfig.from_toml_dict(dict(fixed) | {"options": dict(options)}, where)
    except GantoolError as exc:
        raise GantoolError(f"{where}: {exc}" if not str(exc).startswith(where) else str(exc)) from None


def _param(name: str, spec: Any, where: str) -> Param:
    """One [space] entry as a Param, refusing empty or malformed ranges and choices."""
    if not isinstance(spec, dict):
        raise GantoolError(f"{where} {name!r} must be a range {{ low = ..., high = ... }} or {{ choices = [...] }}")
    if "choices" in spec:
        extra = sorted(set(spec) - {"choices"})
        choices = spec["choices"]
        if extra:
            raise GantoolError(f"{where} {name!r}: choices cannot be combined with {extra[0]!r}")
        if not isinstance(choices, list) or not choices:
            raise GantoolError(f"{where} {name!r}: choices is empty; list at least two values, e.g. choices = [16, 32]")
        return Param(name, choices=tuple(choices))
    unknown = sorted(set(spec) - set(RANGE_KEYS))
    if unknown:
        raise GantoolError(f"{where} {name!r} has unknown key {unknown[0]!r}{did_you_mean(unknown[0], RANGE_KEYS)}; "
                           "a range has low, high, log and step, or give choices = [...]")
    low, high, log, step = spec.get("low"), spec.get("high"), spec.get("log", False), spec.get("step")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (low, high)):
        raise GantoolError(f"{where} {name!r} needs finite numbers low and high, e.g. {{ low = 1e-4, high = 3e-3 }}")
    if low >= high:
        raise GantoolError(f"{where} {name!r}: the range from {low} to {high} is empty; give low < high")
    if not isinstance(log, bool):
        raise GantoolError(f"{where} {name!r}: log must be true or false")
    if log and low <= 0:
        raise GantoolError(f"{where} {name!r}: a log range needs low > 0 (got {low})")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int | float) or step <= 0 or log):
        raise GantoolError(f"{where} {name!r}: step must be a positive number, and cannot be combined with log")
    return Param(name, low, high, log, step)


def _objective(table: Mapping[str, Any], where: str) -> tuple[str, str]:
    from gantool.evaluation.during_training import LOGGED

    unknown = sorted(set(table) - {"metric", "direction"})
    if unknown:
        raise GantoolError(f"{where} [objective] has unknown key {unknown[0]!r}; it takes metric and direction")
    metric = METRIC_ALIASES.get(str(table.get("metric", "frechet")), str(table.get("metric", "frechet")))
    if metric not in LOGGED:
        raise GantoolError(f"{where} [objective]: metric {metric!r} is not measured during training"
                           f"{did_you_mean(metric, LOGGED)}; use {one_of(['frechet', *LOGGED])}")
    direction = table.get("direction", "minimize")
    if direction not in DIRECTIONS:
        raise GantoolError(f"{where} [objective]: direction {direction!r} is not known; use {one_of(DIRECTIONS)}")
    return metric, direction


def _choice_table(data: Mapping[str, Any], section: str, names: tuple[str, ...], where: str) -> dict[str, Any]:
    table = dict(_table(data, section, where)) or {"name": names[0]}
    name = table.setdefault("name", names[0])
    if name not in names:
        raise GantoolError(f"{where} [{section}]: {name!r} is not known{did_you_mean(str(name), names)}; use "
                           f"{one_of(names)}")
    return table


def _check_param(space: Space, param: Param, registry: Registry, where: str) -> None:
    """The option exists, is not also fixed, and every end of its range (or each choice) is a value runs accept."""
    prefix, dot, key = param.name.partition(".")
    values = list(param.choices) if param.choices is not None else [param.low, param.high]
    if not dot:
        settings = set(TrainConfig.__dataclass_fields__) - {"options"}
        if param.name not in settings:
            raise GantoolError(f"{where} is not an option of gantool train{did_you_mean(param.name, settings)}; "
                               "search train settings as spelled in config.toml (lr_g, batch_size) or part options "
                               "as PART.OPTION (gen.depth, loss.r1)")
        if param.name in space.fixed:
            raise GantoolError(f"{where} is also fixed in [train]; keep it in one of the two")
        for value in values:
            _config(space.fixed | {param.name: value}, {}, where)
        return
    if prefix not in PART_PREFIXES:
        raise GantoolError(f"{where}: {prefix!r} is not a part{did_you_mean(prefix, PART_PREFIXES)}; part options are "
                           f"searched as {one_of([p + '.OPTION' for p in PART_PREFIXES])}")
    if key in space.fixed_options.get(prefix, {}):
        raise GantoolError(f"{where} is also fixed in [train.options.{prefix}]; keep it in one of the two")
    for value in values:
        _check_part_options(space, registry, {prefix: {key: value}}, where)


def _check_part_options(space: Space, registry: Registry, options: Mapping[str, Mapping[str, Any]],
                        where: str) -> None:
    """Each option must belong to at least one part a trial may use, with a value that part accepts."""
    for prefix, values in options.items():
        if prefix not in PART_PREFIXES:
            raise GantoolError(f"{where}: {prefix!r} is not a part{did_you_mean(prefix, PART_PREFIXES)}; use "
                               f"{one_of(list(PART_PREFIXES))}")
        components = [registry.get(BY_PREFIX[prefix].name, name) for name in _part_names(space, prefix)]
        if not components:
            raise GantoolError(f"{where}: {prefix}.* options need a part to go to; set {PART_SETTING[prefix]} in "
                               "[train] or search it")
        errors = []
        for component in components:
            try:
                resolve_options(component.factory, values, prefix)
                break
            except GantoolError as exc:
                errors.append(first_line(exc))
        else:
            raise GantoolError(f"{where}: {errors[0]}")


def _part_names(space: Space, prefix: str) -> list[str]:
    """The names a trial's part of this kind may take: searched, fixed, or gantool train's default; with --gen auto
    also what the recipes for labelled and unlabelled data choose."""
    names = _given_names(space, prefix)
    auto = AUTO_GENERATOR in _given_names(space, "gen")
    if prefix in ("gen", "disc") and AUTO_GENERATOR in names:
        names = [name for name in names if name != AUTO_GENERATOR] + [recipe.gen for recipe in RECIPES]
    elif auto and prefix in RECIPE_PART and not _is_set(space, prefix):
        names += [getattr(recipe, RECIPE_PART[prefix]) for recipe in RECIPES]
    return [name for name in dict.fromkeys(names) if name]


def _given_names(space: Space, prefix: str) -> list[str]:
    setting = PART_SETTING[prefix]
    searched = next((param for param in space.params if param.name == setting), None)
    if searched is not None:
        return [str(choice) for choice in searched.choices or ()]
    if setting in space.fixed:
        return [str(space.fixed[setting])]
    if prefix == "disc":
        return _given_names(space, "gen")
    default = TrainConfig.__dataclass_fields__[setting].default
    return [] if default is None else [default]


def _is_set(space: Space, prefix: str) -> bool:
    setting = PART_SETTING[prefix]
    return setting in space.fixed or any(param.name == setting for param in space.params)


def train_arguments(space: Space, values: Mapping[str, Any]) -> list[str]:
    """The `gantool train` arguments of a trial with these searched values (without --out): the same command
    line reproduces the trial's config.toml."""
    settings = dict(space.fixed)
    options = copy.deepcopy(space.fixed_options)
    for name, value in values.items():
        prefix, dot, key = name.partition(".")
        if dot:
            options.setdefault(prefix, {})[key] = value
        else:
            settings[name] = value
    arguments: list[str] = []
    for name in TrainConfig.__dataclass_fields__:
        if name not in settings:
            continue
        value = settings[name]
        if isinstance(value, bool):
            arguments += [flag(name)] if value else []
        elif isinstance(value, list) and name == "track":
            arguments += [part for item in value for part in (flag(name), str(item))]
        else:
            arguments += [flag(name), _text(value)]
    for prefix in BY_PREFIX:
        for key, value in options.get(prefix, {}).items():
            arguments += ["--set", f"{prefix}.{key}={_text(value)}"]
    return arguments


def _text(value: Any) -> str:
    """A value as gantool train reads it back exactly: floats in their shortest exact form, lists comma-separated."""
    if isinstance(value, list | tuple):
        return ",".join(_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)
