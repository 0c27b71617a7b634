"""What a sweep found (`gantool sweep show`): its trials sorted by the objective, the best trial's `gantool train`
line, and Optuna's own plots (objective history, parameter importances, slice) as PNG files."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gantool.sweeps.study import REASON, SPACE_ATTR
from gantool.sweeps.trials import command_line

if TYPE_CHECKING:
    import optuna

ORDER = ("COMPLETE", "PRUNED", "RUNNING", "WAITING", "FAIL")
PLOTS = ("history", "importances", "slice")


def objective_of(study: optuna.Study) -> tuple[str, str]:
    """(metric, direction) as the space file gave them."""
    space = json.loads(study.user_attrs.get(SPACE_ATTR, "{}"))
    objective = space.get("objective", {})
    return objective.get("metric", "value"), objective.get("direction", "minimize")


def trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    """Every trial as `sweep show --json` prints it: finished ones best first, then pruned, running and failed."""
    _, direction = objective_of(study)
    sign = 1 if direction == "minimize" else -1
    best = _best_number(study)
    rows = []
    for trial in study.get_trials(deepcopy=False):
        value = trial.value if trial.value is not None and math.isfinite(trial.value) else None
        arguments = trial.user_attrs.get("train_arguments")
        rows.append({
            "number": trial.number,
            "state": trial.state.name,
            "value": value,
            "params": dict(trial.params),
            "run": trial.user_attrs.get("run"),
            "host": trial.user_attrs.get("host"),
            "reason": _reason(trial),
            "best": trial.number == best,
            "command": command_line(arguments, f"runs/{study.study_name}-trial-{trial.number}") if arguments else None,
        })
    rank = {name: index for index, name in enumerate(ORDER)}
    return sorted(rows, key=lambda row: (rank.get(row["state"], len(ORDER)),
                                         sign * row["value"] if row["value"] is not None else 0.0, row["number"]))


def _best_number(study: optuna.Study) -> int | None:
    try:
        return study.best_trial.number
    except ValueError:  # no finished trial yet
        return None


def _reason(trial: optuna.trial.FrozenTrial) -> str | None:
    if trial.state.name == "FAIL":
        return trial.user_attrs.get(REASON) or "its worker stopped sending heartbeats (killed, or its machine lost)"
    if trial.state.name == "PRUNED":
        steps = sorted(trial.intermediate_values)
        return f"pruned after step {steps[-1]}" if steps else "pruned"
    return None


def write_plots(study: optuna.Study, folder: Path) -> tuple[list[Path], list[str]]:
    """Optuna's objective history, parameter importances and slice plots as PNGs in `folder`; (written, skipped
    with the reason) — importances need two finished trials whose options differ."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as plots

    folder.mkdir(parents=True, exist_ok=True)
    makers = {"history": plots.plot_optimization_history, "importances": plots.plot_param_importances,
              "slice": plots.plot_slice}
    written, skipped = [], []
    for name in PLOTS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                axes = makers[name](study)
            except (ValueError, RuntimeError, ZeroDivisionError) as exc:
                skipped.append(f"{name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
                continue
        figure = (axes.flat[0] if hasattr(axes, "flat") else axes).figure
        if not figure.axes or not any(ax.has_data() for ax in figure.axes):
            skipped.append(f"{name}: no finished trial to draw yet")
            plt.close(figure)
            continue
        path = folder / f"{name}.png"
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
        written.append(path)
    return written, skipped
