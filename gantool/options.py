"""Typed component options: a factory's keyword-only parameters, set from `--set KIND.KEY=VALUE`.

A parameter may carry help and bounds through `Annotated[int, Option("help", min=1)]`; choices come
from `Literal[...]`. Values arrive as strings (command line) or TOML scalars (config files) and are
checked against the hints before any work starts.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gantool.errors import GantoolError, did_you_mean
from gantool.kinds import PREFIXES


@dataclass(frozen=True)
class Option:
    """Metadata for one factory option, used inside `typing.Annotated`."""

    help: str = ""
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class OptionSpec:
    """One option as `describe` shows it and as values are checked against it."""

    name: str
    type: Any
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty

    @property
    def choices(self) -> tuple[Any, ...] | None:
        return typing.get_args(self.type) if typing.get_origin(self.type) is Literal else None

    def type_name(self) -> str:
        """A short readable name of the expected type, for help and error messages."""
        if self.choices is not None:
            return "|".join(str(choice) for choice in self.choices)
        origin = typing.get_origin(self.type)
        if origin in (list, tuple):
            (item, *_) = typing.get_args(self.type) or (str,)
            if typing.get_origin(item) is Literal:
                return "comma-separated of " + "|".join(str(choice) for choice in typing.get_args(item))
            return f"comma-separated {getattr(item, '__name__', item)}s"
        if origin in (typing.Union, types.UnionType):
            names = [a.__name__ for a in typing.get_args(self.type) if a is not type(None)]
            return " or ".join(names) + " (or none)"
        return getattr(self.type, "__name__", str(self.type))


def option_specs(factory: Callable[..., Any]) -> list[OptionSpec]:
    """The options of a factory (a function, or a class through its __init__): its keyword-only parameters, with
    hints, defaults and help."""
    hints = typing.get_type_hints(factory.__init__ if inspect.isclass(factory) else factory, include_extras=True)
    specs = []
    for param in inspect.signature(factory).parameters.values():
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        hint, meta = hints.get(param.name, str), Option()
        if typing.get_origin(hint) is typing.Annotated:
            hint, *extras = typing.get_args(hint)
            meta = next((extra for extra in extras if isinstance(extra, Option)), meta)
        specs.append(OptionSpec(param.name, hint, param.default, meta.help, meta.min, meta.max))
    return specs


def parse_set_arguments(values: Iterable[str]) -> dict[str, dict[str, str]]:
    """Split `--set gen.depth=32` arguments into {"gen": {"depth": "32"}}."""
    result: dict[str, dict[str, str]] = {prefix: {} for prefix in PREFIXES}
    for value in values:
        key, sep, raw = value.partition("=")
        kind, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise GantoolError(f"--set {value!r} is not KIND.KEY=VALUE; write e.g. --set gen.depth=32")
        if kind not in result:
            raise GantoolError(f"--set {value!r}: unknown kind {kind!r}{did_you_mean(kind, PREFIXES)}; use one of "
                               f"{', '.join(PREFIXES)}")
        result[kind][name.replace("-", "_")] = raw
    return result


def resolve_options(factory: Callable[..., Any], raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check and convert raw values against the factory's options; `where` names them in errors."""
    specs = {spec.name: spec for spec in option_specs(factory)}
    unknown = sorted(set(raw) - set(specs))
    if unknown:
        known = ", ".join(specs) or "none"
        raise GantoolError(f"{where} has no option {unknown[0]!r}{did_you_mean(unknown[0], specs)}; its options are: "
                           f"{known}")
    resolved = {}
    for name, spec in specs.items():
        if name in raw:
            resolved[name] = convert_value(spec, raw[name], f"{where}.{name}")
        elif spec.required:
            raise GantoolError(f"{where}.{name} is required: add --set {where}.{name}=VALUE")
        else:
            resolved[name] = spec.default
    return resolved


def convert_value(spec: OptionSpec, value: Any, label: str) -> Any:
    """Convert one value to the option's type and check its bounds, or fail naming what was expected."""
    try:
        converted = _convert(spec.type, value)
    except (TypeError, ValueError, OverflowError):
        raise GantoolError(f"{label}={value!r} is not valid: expected {spec.type_name()}") from None
    if any(isinstance(item, float) and not math.isfinite(item) for item in _items(converted)):
        raise GantoolError(f"{label}={value!r} is not valid: expected finite numbers, not NaN or infinity")
    for bound, ok in ((spec.min, lambda b: converted >= b), (spec.max, lambda b: converted <= b)):
        if bound is not None and isinstance(converted, int | float) and not ok(bound):
            allowed = f"at least {spec.min}" if bound is spec.min else f"at most {spec.max}"
            raise GantoolError(f"{label}={value!r} is out of range: it must be {allowed}")
    return converted


def _items(value: Any) -> Iterable[Any]:
    """A converted value's items: the value itself, or the elements of a list or tuple."""
    return value if isinstance(value, list | tuple) else (value,)


def _convert(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is Literal:
        for choice in typing.get_args(hint):
            if value == choice or str(value) == str(choice):
                return choice
        raise ValueError(value)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("", "none")):
            return None
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(inner[0], value)
    if origin in (list, tuple):
        (item, *_) = typing.get_args(hint) or (str,)
        items = value.split(",") if isinstance(value, str) else list(value)
        return origin(_convert(item, part) for part in items if str(part).strip() != "")
    if hint is bool:
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(value)
    if hint is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(value)
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    if hint is float:
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)
    if hint is Path:
        return Path(str(value)).expanduser()
    if hint is str:
        return str(value)
    raise TypeError(f"unsupported option type {hint!r}")


def options_to_config(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options as plain TOML/JSON values (paths become strings, tuples lists, None is left out)."""
    plain = {}
    for key, value in options.items():
        if value is None:
            continue
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        plain[key] = value
    return plain
