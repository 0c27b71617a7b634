"""Values from a run, written into Markdown that a model hub renders as HTML (the model card), as text and nothing
more: no tag, link, image or code span of the value's own can come through. Torch-free."""

from __future__ import annotations

import json
import math
import re
from typing import Any

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)?")  # CSI, OSC and two-byte sequences
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters with a meaning in Markdown (emphasis, links, code, tables, maths, escapes); escaped with a backslash.
MARKUP = re.compile(r"([\\`*_{}\[\]()#+!|~$^])")
ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def one_line(value: Any) -> str:
    """The value as one line of printable text: terminal escape sequences and control characters removed (line
    breaks become spaces)."""
    return CONTROL.sub(" ", ANSI.sub("", str(value)))


def text(value: Any) -> str:
    """The value as Markdown that renders as exactly its text: HTML's special characters as entities, Markdown's
    escaped with a backslash (valid in table cells too)."""
    spelt = "".join(ENTITIES.get(char, char) for char in one_line(value))
    return MARKUP.sub(r"\\\1", spelt)


def code(value: Any, *, in_table: bool = False) -> str:
    """The value as an inline code span, shown literally: its fence is longer than any run of backticks in it, and
    in a table a pipe is escaped (GFM splits cells at pipes even inside code)."""
    spelt = one_line(value)
    fence = "`" * (max((len(run) for run in re.findall("`+", spelt)), default=0) + 1)
    padded = f" {spelt} " if spelt.startswith("`") or spelt.endswith("`") or not spelt.strip() else spelt
    return fence + (padded.replace("|", "\\|") if in_table else padded) + fence


def number(value: Any) -> str:
    """A measured number, short; anything else that was recorded as one is shown as text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return text(value)
    return f"{value:.4g}" if isinstance(value, float) and math.isfinite(value) else str(value)


def python_string(value: str) -> str:
    """A Python string literal of the value, safe to paste (JSON's escapes are valid Python)."""
    return json.dumps(value)
