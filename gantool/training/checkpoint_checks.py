"""Checks of a loaded checkpoint's state, made before the first step, so that a damaged or hostile checkpoint
fails in one line when it is loaded instead of crashing once training is under way.

PyTorch's load_state_dict takes optimizer and schedule state on trust (an Adam moment of another shape, a
learning rate stored as text); each check here compares what was loaded with what a fresh object holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from gantool.errors import GantoolError

ADAM_STATE = ("step", "exp_avg", "exp_avg_sq")
COUNTERS = ("step", "epoch", "position")


def damaged(path: Path, what: str, detail: str) -> GantoolError:
    """The one line for a checkpoint whose contents cannot be trusted."""
    return GantoolError(f"{path} holds a damaged {what} ({detail}); remove it to resume from the checkpoint "
                        "before it, or start a new run")


def counters(path: Path, state: Mapping[str, Any]) -> tuple[int, int, int]:
    """The step, epoch and position in it: whole numbers, never negative."""
    values = tuple(state.get(key) for key in COUNTERS)
    for key, value in zip(COUNTERS, values, strict=True):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise damaged(path, "training position", f"{key} = {value!r}")
    return values  # type: ignore[return-value]


def conforms(expected: Any, value: Any) -> bool:
    """Whether `value` has the form of `expected`: booleans, whole or finite numbers, text, and lists and
    mappings of those, alike (None stands for "not set", which a boolean may replace)."""
    if expected is None or isinstance(expected, bool):
        return isinstance(value, bool) or (expected is None and value is None)
    if isinstance(expected, int | float):
        whole = isinstance(value, int) and not isinstance(value, bool)
        number = whole or isinstance(value, float) and math.isfinite(value)
        return whole if isinstance(expected, int) else number
    if isinstance(expected, str):
        return isinstance(value, str)
    if isinstance(expected, Sequence):
        return (isinstance(value, list | tuple) and len(value) == len(expected)
                and all(conforms(e, v) for e, v in zip(expected, value, strict=True)))
    if isinstance(expected, Mapping):
        return isinstance(value, Mapping) and all(key in value and conforms(item, value[key])
                                                  for key, item in expected.items())
    return True  # a kind PyTorch may add later: left to it


def check_settings(path: Path, name: str, fresh: Mapping[str, Any], loaded: Mapping[str, Any]) -> None:
    """Every setting a fresh object has is in the loaded state, in the same form."""
    for key, expected in fresh.items():
        if key != "params" and not (key in loaded and conforms(expected, loaded[key])):
            raise damaged(path, f"{name} state", f"{key} = {loaded.get(key, 'missing')!r}")


def check_adam(path: Path, name: str, optimizer: torch.optim.Optimizer, fresh_groups: list[dict[str, Any]]) -> None:
    """Adam's loaded settings match a fresh Adam's, and each moment has its parameter's shape."""
    for fresh, group in zip(fresh_groups, optimizer.param_groups, strict=True):
        check_settings(path, name, fresh, group)
        for parameter in group["params"]:
            state = optimizer.state.get(parameter)
            if not state:
                continue  # Adam starts a parameter's moments at its first step
            for key in ADAM_STATE + (("max_exp_avg_sq",) if group["amsgrad"] else ()):
                value = state.get(key)
                fits = isinstance(value, torch.Tensor) and (value.numel() == 1 if key == "step"
                                                            else value.shape == parameter.shape)
                if not fits:
                    got = tuple(value.shape) if isinstance(value, torch.Tensor) else repr(value)
                    raise damaged(path, f"{name} state", f"{key} of a {tuple(parameter.shape)} parameter is {got}")
