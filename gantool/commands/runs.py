"""`gantool runs [FOLDER]`: every run under a folder in one table, and the options that differ between them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gantool.registry import Registry

SORTS = ("name", "steps", "time", "state")


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def runs(
        folder: Annotated[Path, typer.Argument(help="Folder to look for runs in, at any depth.")] = Path("runs"),
        sort: Annotated[str, typer.Option(help=f"Order by {', '.join(SORTS)}, or an evaluation metric such as "
                                               "frechet_distance (lowest first).")] = "name",
        part: Annotated[str | None, typer.Option(help="Only runs that use this part name (G, D, loss, augmentation "
                                                      "or data).")] = None,
        diff: Annotated[bool, typer.Option("--diff", help="Also show, side by side, the options that differ "
                                                          "between the listed runs.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON, for scripts.")] = False,
    ) -> None:
        """List the runs under FOLDER: parts, data, steps, training time, state and last evaluation."""
        from gantool.errors import GantoolError
        from gantool.storage.run_summary import differing, find_runs, summarize

        found = [summarize(path) for path in find_runs(folder)]
        if part is not None:
            found = [run for run in found if part in run.parts.values()]
        metrics = sorted({key for run in found for key in run.evaluation})
        if sort not in SORTS and sort not in metrics:
            raise GantoolError(f"--sort {sort!r} is not known; use {', '.join(SORTS + tuple(metrics))}")
        found.sort(key=_sort_key(sort))
        if as_json:
            rows = [run.to_dict() for run in found]
            print(json.dumps({"runs": rows, "differing": differing(found)} if diff else rows, indent=2))
            return
        _print_table(folder, found, metrics)
        if diff:
            _print_differences(found)


def _sort_key(sort: str) -> Callable[[object], tuple]:
    def key(run: object) -> tuple:
        if sort == "name":
            return (str(run.path),)
        if sort == "steps":
            return (-run.steps, str(run.path))
        if sort == "time":
            return (-run.seconds, str(run.path))
        if sort == "state":
            return (run.state, str(run.path))
        value = run.evaluation.get(sort)
        return (value is None, value if value is not None else 0.0, str(run.path))

    return key


def _print_table(folder: Path, found: list, metrics: list[str]) -> None:
    from rich.table import Table

    from gantool.consoles import literal, out_console

    table = Table(title=f"{len(found)} run(s) under {literal(folder)}")
    for column in ("run", "G", "D", "loss", "augment", "data", "steps", "time", "state", *metrics):
        table.add_column(literal(column), overflow="fold")
    for run in found:
        state = run.state + (f" ({run.reason})" if run.reason and run.state != "finished" else "")
        table.add_row(literal(run.path.relative_to(folder) if run.path != folder else run.path),
                      *(literal(run.parts[name]) for name in ("gen", "disc", "loss", "augment", "dataset")),
                      str(run.steps), _duration(run.seconds), literal(state),
                      *(_number(run.evaluation.get(name)) for name in metrics))
    out_console.print(table)


def _print_differences(found: list) -> None:
    from rich.table import Table

    from gantool.consoles import literal, out_console
    from gantool.storage.run_summary import differing

    keys = differing(found)
    if len(found) < 2 or not keys:
        out_console.print("no options differ" if len(found) > 1 else "--diff needs two or more runs", highlight=False)
        return
    table = Table(title="options that differ")
    table.add_column("option")
    for run in found:
        table.add_column(literal(run.name), overflow="fold")
    for key in keys:
        table.add_row(literal(key), *(literal(run.settings.get(key, "")) for run in found))
    out_console.print(table)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{rest:02d}s"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"
