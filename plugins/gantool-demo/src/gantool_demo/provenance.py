"""The page's provenance panel: where the generator comes from, as Markdown (torch- and Gradio-free).

Every value comes from files a user may have edited (config.json, metrics.jsonl), so each is shown as text:
HTML's special characters become entities and the Markdown that could make a link, an image, code or a table
cell is escaped, before Gradio renders the panel (its own sanitiser is not what keeps the page safe).
"""

from __future__ import annotations

import html
import re
from typing import Any

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # terminal escapes and line breaks: one line of plain text
MARKUP = re.compile(r"([\\`\[\]|$])")  # code spans, links and images, table cells, maths

# The training settings shown, in this order; the rest of config.toml is in the run folder.
SETTINGS = (
    "gen",
    "disc",
    "loss",
    "dataset",
    "batch_size",
    "epochs",
    "max_steps",
    "lr_g",
    "lr_d",
    "betas_g",
    "betas_d",
    "d_steps",
    "precision",
    "augment",
    "seed",
)


def cell(value: Any) -> str:
    """A value as one table cell that renders as its text: lists comma-separated, floats short, HTML and the
    Markdown of links, code and cells escaped."""
    if isinstance(value, list | tuple):
        return ", ".join(cell(item) for item in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return MARKUP.sub(r"\\\1", html.escape(CONTROL.sub(" ", str(value)), quote=False))


def table(rows: list[tuple[str, Any]], header: tuple[str, str]) -> str:
    """A two-column Markdown table, or nothing when there are no rows."""
    if not rows:
        return ""
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    return "\n".join(lines + [f"| {cell(key)} | {cell(value)} |" for key, value in rows])


def describe_spec(spec: dict[str, Any]) -> str:
    """'1x28x28, 10 classes' for a data spec."""
    size = f"{spec.get('channels')}x{spec.get('height')}x{spec.get('width')}"
    classes = spec.get("num_classes") or 0
    return f"{size}, {classes} classes" if classes else f"{size}, unconditional"


def provenance_markdown(info: dict[str, Any]) -> str:
    """The generator's architecture, options, training settings and last evaluation (from `LoadedGenerator.info`)."""
    plugin = info.get("plugin") or {}
    overview = [
        ("architecture", info.get("architecture")),
        ("images", describe_spec(info.get("spec") or {})),
        ("dataset", info.get("dataset")),
        ("training steps", info.get("steps")),
        ("noise", info.get("noise")),
        ("EMA of the weights", info.get("ema") or "no"),
        ("plugin", f"{plugin.get('package')} {plugin.get('version')}" if plugin else None),
        ("gantool", info.get("gantool")),
        ("read from", info.get("source")),
    ]
    training = info.get("training") or {}
    settings = [(key, training[key]) for key in SETTINGS if key in training]
    settings += [  # the other parts' options as --set takes them; the generator's are in their own table
        (f"{kind}.{key}", value)
        for kind, values in (training.get("options") or {}).items()
        if kind != "gen"
        for key, value in sorted(values.items())
    ]
    sections = [
        "### Generator",
        table([(key, value) for key, value in overview if value is not None], ("what", "value")),
        "### Generator options",
        table(sorted((info.get("options") or {}).items()), ("option", "value")),
        "### Training",
        table(settings, ("setting", "value")) or "Not recorded: the generator was read without its run's config.toml.",
    ]
    evaluation = info.get("evaluation")
    if evaluation:
        sections += [
            f"### Evaluation at step {cell(evaluation.get('step'))}",
            table(sorted((evaluation.get("metrics") or {}).items()), ("measure", "value")),
        ]
    else:
        sections += [
            "### Evaluation",
            "None recorded in the run: train with `--eval-every N` to measure it while training.",
        ]
    return "\n\n".join(sections)
