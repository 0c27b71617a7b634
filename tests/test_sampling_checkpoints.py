"""Sampling a run that has checkpoints but no export yet, and naming the package a missing generator comes from."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from gantool.storage.checkpoint import load_tensors, save_tensors
from gantool.storage.rundir import latest_checkpoint


def _unfinished_copy(trained_run, tmp_path, *, spec_recorded: bool = True):
    """The shared tiny run as a run looks when it was stopped or killed after its last checkpoint."""
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    (run / "generator.safetensors").unlink()
    if not spec_recorded:  # a checkpoint written before checkpoints recorded the data spec
        checkpoint = latest_checkpoint(run)
        tensors, state = load_tensors(checkpoint)
        state.pop("spec", None)
        save_tensors(checkpoint, tensors, state)
    return run


@pytest.mark.parametrize("spec_recorded", [True, False])
def test_generate_samples_the_newest_checkpoint_as_the_export_would(cli, trained_run, tmp_path, spec_recorded):
    expected = cli("generate", str(trained_run), "--format", "npy", "--num", "8", "--out", str(tmp_path / "a.npy"))
    assert expected.code == 0, expected.err
    run = _unfinished_copy(trained_run, tmp_path, spec_recorded=spec_recorded)
    result = cli("generate", str(run), "--format", "npy", "--num", "8", "--out", str(tmp_path / "b.npy"))
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "step 3" in lines[0] and "step-000000003.safetensors" in lines[0]
    # the same (EMA) weights the export holds: the same images
    assert np.array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_interpolate_and_evaluate_use_the_newest_checkpoint(cli, trained_run, tmp_path):
    run = _unfinished_copy(trained_run, tmp_path)
    strip = cli("interpolate", str(run), "--seed-a", "1", "--seed-b", "2", "--out", str(tmp_path / "walk.png"))
    assert strip.code == 0, strip.err
    assert (tmp_path / "walk.png").is_file() and "step 3" in strip.err
    measured = cli("evaluate", str(run), "--num", "20", "--json")
    assert measured.code == 0, measured.err
    assert '"step": 3' in measured.out
    shutil.rmtree(run / "checkpoints")  # nothing to sample: still refused in one line
    result = cli("generate", str(run), "--out", str(tmp_path / "x.png"))
    assert result.code == 2 and "has no generator.safetensors" in result.err


def test_a_generator_from_an_uninstalled_plugin_names_the_package_to_install(cli, trained_run, tmp_path):
    tensors, state = load_tensors(trained_run / "generator.safetensors")
    state |= {"generator": "lsgan:lsgan-dcgan", "plugin": {"package": "gantool-lsgan", "version": "1.0.0"}}
    export = tmp_path / "generator.safetensors"
    save_tensors(export, tensors, state)
    result = cli("generate", str(export), "--out", str(tmp_path / "x.png"))
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "pip install gantool-lsgan" in lines[0] and "lsgan:lsgan-dcgan" in lines[0]
