"""The rules for what a user passes to gantool, declared once for the commands and the Python API.

The commands declare their bounds with these constants (typer's min= and max=), and the functions of the Python
API check their arguments with the functions below, so `gantool.evaluate(num=...)` and `gantool evaluate --num`
accept the same values. Each check returns the value or raises GantoolError naming the argument and what it takes.
Torch-free.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gantool.errors import GantoolError, one_of

MAX_SEED = 2**63 - 1  # what torch's and NumPy's generators take as a signed 64-bit number


@dataclass(frozen=True)
class Bounds:
    """The whole numbers an argument takes, both ends included."""

    low: int
    high: int


SEED = Bounds(0, MAX_SEED)
GENERATE_NUM = Bounds(1, 100_000)  # images per call of generate / sample
EVALUATE_NUM = Bounds(2, 50_000)  # images measured by evaluate
INTERPOLATE_STEPS = Bounds(2, 1000)  # images along a latent walk
NEIGHBOURS = Bounds(1, 100)  # k of the k-NN balls of precision and recall


def shown(value: Any) -> str:
    """A value for an error line, cut short (a notebook may pass a huge one)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def whole(value: Any, name: str, bounds: Bounds) -> int:
    """An int (not a bool, a float or a string of digits) within `bounds`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise GantoolError(f"{name} must be a whole number from {bounds.low} to {bounds.high}; got {shown(value)}")
    value = int(value)
    if not bounds.low <= value <= bounds.high:
        raise GantoolError(f"{name} {value} is out of range: it takes a whole number from {bounds.low} to "
                           f"{bounds.high}")
    return value


def seed(value: Any, name: str = "seed") -> int:
    """A seed: a whole number from 0 to 2**63-1, on every command and in every function."""
    try:
        return whole(value, name, SEED)
    except GantoolError:
        raise GantoolError(f"{name} {shown(value)} is not a seed: seeds are whole numbers from 0 to {MAX_SEED} "
                           "(2**63-1)") from None


def choice(value: Any, name: str, choices: Collection[str]) -> str:
    """One of a few words."""
    if not isinstance(value, str) or value not in choices:
        raise GantoolError(f"{name} {shown(value)} is not known; use {one_of(list(choices))}")
    return value


def flag(value: Any, name: str) -> bool:
    """True or False (not 1, "yes" or None)."""
    if not isinstance(value, bool):
        raise GantoolError(f"{name} must be True or False; got {shown(value)}")
    return value


def text(value: Any, name: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise GantoolError(f"{name} must be a non-empty string; got {shown(value)}")
    return value


def path(value: Any, name: str) -> Path:
    """A file system path given as a str or an os.PathLike (such as pathlib.Path) naming a text path."""
    if not isinstance(value, str | os.PathLike):
        raise GantoolError(f"{name} must be a path (a str or pathlib.Path); got {shown(value)}")
    spelt = os.fspath(value)
    if not isinstance(spelt, str) or not spelt or "\0" in spelt:
        raise GantoolError(f"{name} must be a non-empty text path without NUL characters; got {shown(value)}")
    return Path(spelt)


def optional_path(value: Any, name: str) -> Path | None:
    return None if value is None else path(value, name)


def table(value: Any, name: str) -> dict[str, Any]:
    """A mapping with string keys (None counts as empty), copied."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise GantoolError(f"{name} must be a dict with string keys such as {{'root': 'images/'}}; got "
                           f"{shown(value)}")
    return dict(value)


def device(value: Any, name: str = "device") -> str:
    """A device name as the commands take it: auto, cpu, cuda or cuda:N (a torch.device is spelt as a name)."""
    spelt = str(value) if type(value).__name__ == "device" and type(value).__module__ == "torch" else value
    if not isinstance(spelt, str) or not re.fullmatch(r"auto|cpu|cuda(:[0-9]{1,4})?", spelt):
        raise GantoolError(f"{name} must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {shown(value)}")
    return spelt
