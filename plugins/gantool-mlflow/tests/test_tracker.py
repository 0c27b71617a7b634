"""The mlflow tracker logs a tiny gantool run into a temporary MLflow store, read back with MLflow's own client:
params, metrics by step, the sample grids and the export; a server that cannot be reached costs one line."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from gantool.testing import check_plugin, check_torch_free_import
from mlflow.tracking import MlflowClient

from gantool_mlflow import plugin

TINY = ["--gen", "dcgan", "--set", "gen.depth=8", "--set", "disc.depth=8", "--batch-size", "16", "--max-steps", "3",
        "--log-every", "1", "--sample-every", "2", "--quiet"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A file store in a temporary folder (MLflow 3 asks for an opt-in to use one)."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


def gantool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gantool", *args], capture_output=True, text=True, timeout=300)


def test_the_tracker_keeps_the_contract(store):
    check_plugin(plugin, options={"mlflow": {"uri": store}})


def test_the_hook_module_imports_neither_torch_nor_mlflow():
    check_torch_free_import("gantool_mlflow.plugin")
    code = "import sys, gantool_mlflow.plugin; print('mlflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_a_tiny_run_is_logged_with_params_metrics_and_images(store, tmp_path):
    run_dir = tmp_path / "run"
    result = gantool("train", *TINY, "--eval-every", "3", "--eval-num", "16", "--track", "mlflow", "--set",
                     f"track.uri={store}", "--set", "track.experiment=tiny", "--out", str(run_dir))
    assert result.returncode == 0, result.stderr
    client = MlflowClient(tracking_uri=store)
    (run,) = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    assert run.info.run_name == "run" and run.info.status == "FINISHED"
    params = run.data.params
    assert params["gen"] == "dcgan" and params["gen.depth"] == "8" and float(params["lr_g"]) == 0.0012
    assert params["plugin.gen"].startswith("builtins:dcgan (gantool ")
    history = client.get_metric_history(run.info.run_id, "d_loss")
    logged = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [(m.step, m.value) for m in history] == [(r["step"], r["d_loss"]) for r in logged if "d_loss" in r]
    (frechet,) = client.get_metric_history(run.info.run_id, "eval/frechet_distance")
    assert frechet.step == 3 and frechet.value == next(r["eval"]["frechet_distance"] for r in logged if "eval" in r)
    samples = [entry.path for entry in client.list_artifacts(run.info.run_id, "samples")]
    assert samples == ["samples/step-0000002.png", "samples/step-0000003.png"]
    grid = client.download_artifacts(run.info.run_id, "samples/step-0000003.png", str(tmp_path))
    assert Path(grid).read_bytes() == (run_dir / "samples" / "step-0000003.png").read_bytes()
    assert [entry.path for entry in client.list_artifacts(run.info.run_id, "export")] == \
        ["export/generator.safetensors"]


def test_a_server_that_is_down_costs_one_line_and_the_run_finishes(tmp_path):
    run_dir = tmp_path / "run"
    result = gantool("train", *TINY, "--track", "mlflow", "--set", "track.uri=http://127.0.0.1:1", "--out",
                     str(run_dir))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "tracker 'mlflow' failed" in line]
    assert len(lines) == 1 and "the run goes on without it" in lines[0]
    assert (run_dir / "generator.safetensors").is_file()


def test_installed_it_is_listed_with_its_version():
    try:
        version = metadata.version("gantool-mlflow")
    except metadata.PackageNotFoundError:
        pytest.fail("gantool-mlflow is not installed: run `pip install ./plugins/gantool-mlflow` first")
    found = {p["plugin"]: p for p in json.loads(gantool("list-plugins", "--json").stdout)}["mlflow"]
    assert (found["package"], found["version"], found["status"]) == ("gantool-mlflow", version, "ok")
    assert found["provides"] == ["tracker:mlflow"]
