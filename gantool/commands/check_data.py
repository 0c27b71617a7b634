"""`gantool check-data`: read a dataset exactly as `train` would and say what it found, before any training."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gantool.commands.common import DataSetOption
from gantool.completion import part_names
from gantool.config import TrainConfig
from gantool.errors import FILES_LEFT_OUT, GantoolError
from gantool.registry import Registry

if TYPE_CHECKING:
    from gantool.interfaces import DatasetBundle

SHOWN_FILES = 20  # skipped files listed in the table; --json lists them all


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command("check-data")
    def check_data(
        dataset: Annotated[str, typer.Option(help="The dataset to read.", autocompletion=part_names("dataset"))] = (
            TrainConfig().dataset),
        set_: DataSetOption = None,
        json_: Annotated[bool, typer.Option("--json", help="Print JSON, every skipped file included.")] = False,
    ) -> None:
        """Read a dataset as train would and report images, shape, classes, conversions and files left out.

        Exits 0 when every file was usable, 4 when some were left out (listed), 2 when the data cannot be used.
        """
        summary = check(registry(), dataset, set_ or [])
        if json_:
            print(json.dumps(summary, indent=2))
        else:
            show(summary)
        if summary["report"] and summary["report"]["skipped"]:
            raise typer.Exit(FILES_LEFT_OUT)


def check(registry: Registry, name: str, settings: list[str]) -> dict[str, Any]:
    """Build the dataset with its --set data.* options and describe what came back."""
    from gantool.assembly import build_dataset
    from gantool.options import parse_set_arguments, resolve_options

    options = parse_set_arguments(settings)
    others = [kind for kind, values in options.items() if values and kind != "data"]
    if others:
        raise GantoolError(f"check-data reads data only: drop the --set {others[0]}.* options")
    component = registry.get("dataset", name)
    bundle = build_dataset(component, resolve_options(component.factory, options["data"], "data"))
    return {"dataset": component.name, "description": bundle.description, "images": len(bundle),
            "spec": bundle.spec.to_dict(), "classes": class_counts(bundle),
            "report": bundle.report.to_dict() if bundle.report else None}


def class_counts(bundle: DatasetBundle) -> dict[str, int]:
    """Images per class: from the dataset's report, else from its labels held in memory."""
    if bundle.report and bundle.report.classes:
        return dict(bundle.report.classes)
    if bundle.labels is None or not bundle.spec.num_classes:
        return {}
    counts = bundle.labels.bincount(minlength=bundle.spec.num_classes).tolist()
    return {str(label): count for label, count in enumerate(counts)}


def show(summary: dict[str, Any]) -> None:
    """Short labelled lines, then the files left out (the first SHOWN_FILES of them)."""
    from gantool.consoles import out_console

    spec, report = summary["spec"], summary["report"]
    shape = f"{spec['channels']}x{spec['height']}x{spec['width']}"
    labels = f"{spec['num_classes']} classes" if spec["num_classes"] else "unlabelled"
    lines = [f"{summary['dataset']}: {summary['description']}",
             f"images: {summary['images']:,} usable, {shape}, {labels}"]
    if summary["classes"]:
        lines.append("classes: " + ", ".join(f"{name} {count:,}" for name, count in summary["classes"].items()))
    if report:
        skipped = sum(len(files) for files in report["skipped"].values())
        lines.append(f"files: {report['files']:,} read, {skipped:,} left out")
        for title, counts in (("converted", report["converted"]), ("ignored", report["ignored"]),
                              ("left out", {problem: len(files) for problem, files in report["skipped"].items()})):
            if counts:
                lines.append(f"{title}: " + ", ".join(f"{count:,} {what}" for what, count in counts.items()))
        listed = [(path, problem) for problem, files in report["skipped"].items() for path in files]
        lines += [f"  {path}: {problem}" for path, problem in listed[:SHOWN_FILES]]
        if len(listed) > SHOWN_FILES:
            lines.append(f"  ... and {len(listed) - SHOWN_FILES:,} more (--json lists every one)")
        if skipped and report["hint"]:
            lines.append(report["hint"])
    out_console.print("\n".join(lines), highlight=False, markup=False)
