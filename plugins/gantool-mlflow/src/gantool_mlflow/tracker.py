"""The mlflow tracker: one MLflow run per gantool run, fed through MLflow's own client."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# MLflow end states for gantool's: a stop leaves a resumable run, so it is KILLED rather than FAILED.
END_STATES = {"finished": "FINISHED", "stopped": "KILLED", "failed": "FAILED"}
MAX_PARAM_LENGTH = 500  # MLflow refuses longer parameter values
# A tracker must not hold a run up for minutes when the server is down: few retries, a short timeout, unless the
# user set MLflow's own variables.
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "15"}


def params_of(config: Mapping[str, Any]) -> dict[str, str]:
    """A run's config.toml record as MLflow params: settings by name, part options as gen.depth, plugin versions."""
    params = {key: value for key, value in config.items() if key not in ("options", "plugins")}
    for kind, values in config.get("options", {}).items():
        params.update({f"{kind}.{key}": value for key, value in values.items()})
    for kind, plugin in config.get("plugins", {}).items():
        params[f"plugin.{kind}"] = f"{plugin.get('name')} ({plugin.get('package')} {plugin.get('version')})"
    return {key: str(value)[:MAX_PARAM_LENGTH] for key, value in params.items()}


class MlflowTracker:
    """Creates its MLflow run at the start and ends it with the gantool run's state."""

    def __init__(self, *, uri: str, experiment: str, run_name: str) -> None:
        self.uri, self.experiment, self.run_name = uri, experiment, run_name
        self.client: Any = None
        self.run_id = ""

    def start(self, run: Path, config: Mapping[str, Any]) -> None:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        for name, value in HTTP_DEFAULTS.items():
            os.environ.setdefault(name, value)
        self.client = MlflowClient(tracking_uri=self.uri or None)
        found = self.client.get_experiment_by_name(self.experiment)
        experiment = found.experiment_id if found else self.client.create_experiment(self.experiment)
        created = self.client.create_run(experiment, run_name=self.run_name or Path(run).name,
                                         tags={"gantool.run_dir": str(Path(run).resolve())})
        self.run_id = created.info.run_id
        self.client.log_batch(self.run_id, params=[Param(key, value) for key, value in params_of(config).items()])

    def log_metrics(self, step: int, values: Mapping[str, float]) -> None:
        self._metrics(step, values, "")

    def log_evaluation(self, step: int, values: Mapping[str, float], protocol: Mapping[str, Any]) -> None:
        self._metrics(step, values, "eval/")

    def _metrics(self, step: int, values: Mapping[str, float], prefix: str) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(prefix + key, float(value), now, step)
                                                    for key, value in values.items()])

    def log_samples(self, step: int, grid: Path) -> None:
        self.client.log_artifact(self.run_id, str(grid), "samples")

    def log_export(self, export: Path) -> None:
        self.client.log_artifact(self.run_id, str(export), "export")

    def end(self, state: str) -> None:
        if self.run_id:
            self.client.set_terminated(self.run_id, END_STATES.get(state, "FAILED"))
