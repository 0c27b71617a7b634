"""Hooks of gantool-mlflow; imported by every gantool command, so neither mlflow nor torch is imported here."""

from typing import Annotated

from gantool import hookimpl
from gantool.options import Option


def mlflow(
    *,
    uri: Annotated[str, Option("tracking URI (a server's http://..., sqlite:///mlflow.db, a folder); empty: "
                               "MLFLOW_TRACKING_URI, else MLflow's default")] = "",
    experiment: Annotated[str, Option("experiment the run goes into (created when missing)")] = "gantool",
    run_name: Annotated[str, Option("name of the MLflow run; empty: the run folder's name")] = "",
):
    """MLflow: the run's settings as params, metrics and evaluations by step, sample grids and the export as
    artefacts, and the end state (FINISHED, KILLED for a stop, FAILED)."""
    from gantool_mlflow.tracker import MlflowTracker

    return MlflowTracker(uri=uri, experiment=experiment, run_name=run_name)


@hookimpl
def register_trackers(register):
    register("mlflow", mlflow)
