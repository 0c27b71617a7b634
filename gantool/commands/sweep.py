"""`gantool sweep SPACE.toml` (run a hyperparameter sweep on Optuna) and `gantool sweep show DIR_OR_URL`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from gantool.registry import Registry

if TYPE_CHECKING:
    import optuna

RUN = "run"


class DefaultToRun(TyperGroup):
    """`gantool sweep SPACE.toml ...` is `gantool sweep run SPACE.toml ...`; `show` and `--help` are as named."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [RUN, *args]
        return super().parse_args(ctx, args)


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    sweep = typer.Typer(cls=DefaultToRun, no_args_is_help=True, help=(
        "Search train and part options with Optuna: gantool sweep SPACE.toml runs trials, gantool sweep show DIR "
        "reports them (docs/sweeps.md)."))

    @sweep.command(RUN)
    def run(
        space: Annotated[Path, typer.Argument(help="The space file: [train] fixed options, [space] searched ones, "
                                                   "[objective] (see docs/sweeps.md).")],
        trials: Annotated[int | None, typer.Option(min=1, help="Trials this process runs (more are added to the "
                                                                "study each time).")] = None,
        timeout: Annotated[float | None, typer.Option(min=1, help="Start no trial after this many seconds.")] = None,
        out: Annotated[Path | None, typer.Option(help="Sweep folder: the SQLite study and one run folder per trial "
                                                      "\\[default: sweeps/SPACE-NAME].")] = None,
        storage: Annotated[str | None, typer.Option(help="A database URL Optuna supports, shared by workers on "
                                                         "several machines, e.g. postgresql://user:pw@host/db "
                                                         "\\[default: DIR/study.db].")] = None,
        study: Annotated[str | None, typer.Option(help="Study name in the storage \\[default: the space file's "
                                                       "name].")] = None,
        jobs: Annotated[int, typer.Option(min=1, help="Trials at once in this process (each its own gantool train "
                                                      "process, sharing the CPU cores).")] = 1,
    ) -> None:
        """Run a sweep (or continue one): each trial is a gantool train run in its own folder."""
        from gantool.consoles import err_console, literal
        from gantool.sweeps.runner import run_sweep

        if trials is None and timeout is None:
            trials = 10
        folder = run_sweep(space, registry(), out=out or Path("sweeps") / space.stem, storage=storage,
                           study_name=study, trials=trials, timeout=timeout, jobs=jobs,
                           say=lambda line: err_console.print(literal(line), highlight=False))
        print(folder)

    @sweep.command("show")
    def show(
        target: Annotated[str, typer.Argument(metavar="DIR_OR_URL", help="A sweep folder, or the storage URL.")],
        study: Annotated[str | None, typer.Option(help="Study name, when the storage holds several.")] = None,
        plots: Annotated[Path | None, typer.Option(help="Folder for the PNG plots \\[default: DIR/plots, or "
                                                        "sweep-plots for a URL].")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the trials as JSON, for scripts.")] = False,
    ) -> None:
        """The trials sorted by the objective, the best trial's gantool train line, and plots."""
        from gantool.errors import GantoolError
        from gantool.sweeps.report import trial_rows
        from gantool.sweeps.study import STUDY_FILE, load_study, storage_url

        is_url = "://" in target
        if not is_url and not (Path(target) / STUDY_FILE).is_file():
            raise GantoolError(f"{target} holds no sweep ({STUDY_FILE} is missing); give a sweep folder or the "
                               "storage URL")
        found = load_study(storage_url(target), study)
        rows = trial_rows(found)
        if as_json:
            print(json.dumps(rows, indent=2))
            return
        _print_report(found, rows, plots or (Path("sweep-plots") if is_url else Path(target) / "plots"))

    app.add_typer(sweep, name="sweep")


def _print_report(study: optuna.Study, rows: list[dict], plot_folder: Path) -> None:
    from rich.table import Table

    from gantool.consoles import literal, out_console
    from gantool.sweeps.report import objective_of, write_plots

    metric, direction = objective_of(study)
    names = sorted({name for row in rows for name in row["params"]})
    table = Table(title=f"sweep {literal(study.study_name)}: {len(rows)} trial(s), {metric} ({direction})")
    for column in ("trial", "state", metric, *names, "run or reason"):
        table.add_column(literal(column), overflow="fold")
    for row in rows:
        value = "" if row["value"] is None else f"{row['value']:.4g}"
        params = [_shown(row["params"].get(name)) for name in names]
        where = row["reason"] if row["state"] in ("FAIL", "PRUNED") else row["run"] or ""
        table.add_row(str(row["number"]) + (" *" if row["best"] else ""), row["state"], value, *params,
                      literal(where or ""))
    out_console.print(table)
    best = next((row for row in rows if row["best"]), None)
    if best is not None and best["command"]:
        out_console.print(f"best: trial {best['number']}; to train it again:", highlight=False)
        out_console.print(literal(best["command"]), highlight=False)
    written, skipped = write_plots(study, plot_folder)
    for path in written:
        out_console.print(f"plot: {literal(path)}", highlight=False)
    for reason in skipped:
        out_console.print(f"no plot {literal(reason)}", highlight=False)


def _shown(value: object) -> str:
    from gantool.consoles import literal

    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else literal(value)
