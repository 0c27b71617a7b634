"""What every contract check shares: the failure, the part's name, its options, and small tensor checks."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool.options import OptionSpec, _convert, convert_value, option_specs, resolve_options

DEFAULT_SPECS = (DataSpec(1, 28, 28), DataSpec(3, 32, 32, num_classes=10))


def fail(message: str) -> typing.NoReturn:
    """Stop the check with the broken rule; pytest shows the message."""
    raise AssertionError(message)


def name_of(factory: Callable[..., Any]) -> str:
    return getattr(factory, "__qualname__", repr(factory))


def check_options(factory: Callable[..., Any]) -> list[OptionSpec]:
    """Check that every option of a factory is keyword-only, typed with a supported hint, and has a valid default."""
    name = name_of(factory)
    signature = inspect.signature(factory)
    positional = [p for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    if len(positional) > 1:
        fail(f"{name} takes positional parameters {[p.name for p in positional]}; gantool passes at most the "
             "DataSpec positionally: make options keyword-only (put them after `*`)")
    kinds = {p.kind for p in signature.parameters.values()}
    if inspect.Parameter.VAR_KEYWORD in kinds:
        fail(f"{name} takes **kwargs; gantool cannot check or describe those: declare each option keyword-only")
    annotations = typing.get_type_hints(factory, include_extras=True)
    specs = option_specs(factory)
    for spec in specs:
        label = f"{name} option {spec.name!r}"
        if spec.name not in annotations:
            fail(f"{label} has no type hint; add one (int, float, bool, str, Path, Literal[...], list[int], ...)")
        if spec.required:
            continue
        if spec.default is None:
            if type(None) not in typing.get_args(spec.type):
                fail(f"{label} defaults to None but its hint {spec.type_name()} does not allow None; use `X | None`")
            continue
        try:
            _convert(spec.type, spec.default)
        except TypeError:
            fail(f"{label} has type {spec.type!r}, which --set cannot parse; use int, float, bool, str, Path, "
                 "Literal[...], a list or tuple of those, or `X | None`")
        except ValueError:
            fail(f"{label} has default {spec.default!r}, which is not a valid {spec.type_name()}")
        try:
            convert_value(spec, spec.default, label)
        except GantoolError as exc:
            fail(f"{label}: its default breaks its own bounds ({exc})")
    return specs


def resolved(factory: Callable[..., Any], options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The factory's options checked and resolved as `--set` would, or a failure naming the bad one."""
    check_options(factory)
    try:
        return resolve_options(factory, dict(options or {}), name_of(factory))
    except GantoolError as exc:
        fail(f"options {dict(options or {})} are not accepted: {exc}")


def labels_for(num_classes: int, batch: int) -> torch.Tensor | None:
    return torch.arange(batch) % num_classes if num_classes else None


def check_every_parameter_gets_gradient(module: nn.Module, what: str) -> None:
    missing = [name for name, p in module.named_parameters() if p.requires_grad and p.grad is None]
    if missing:
        fail(f"{what}: no gradient reaches parameters {missing[:5]}; they are unused or detached from the output")
    if not any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in module.parameters()):
        fail(f"{what}: every gradient is zero; check that the output depends on the weights")


def class_count(module: Any, spec: DataSpec, what: str) -> int:
    """The module's num_classes, checked against the spec (0 = unconditional)."""
    count = getattr(module, "num_classes", 0)
    if not isinstance(count, int) or count < 0:
        fail(f"{what}.num_classes must be an int >= 0 (0 = unconditional), not {count!r}")
    if count and count != spec.num_classes:
        fail(f"{what} is conditional on {count} classes but the DataSpec has {spec.num_classes}; "
             "take the class count from spec.num_classes")
    return count


def scalar(value: Any, what: str) -> torch.Tensor:
    """`value` as a finite scalar tensor, or a failure saying how to reduce it."""
    if not isinstance(value, torch.Tensor) or value.dim() != 0:
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        fail(f"{what} must be a scalar tensor (reduce with .mean()), not {shape}")
    if not bool(torch.isfinite(value)):
        fail(f"{what} is not finite for ordinary logits")
    return value
