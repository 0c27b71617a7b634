"""The Python API (docs/python-api.md): load and sample as the commands do, train silently and resumably, evaluate
and list plugins with the commands' numbers, and `import gantool` without torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import gantool
from gantool.errors import GantoolError

# The tiny run of tests/conftest.py's TINY, as keyword arguments.
TINY = {
    "gen": "dcgan",
    "options": {"gen": {"depth": 8}, "disc": {"depth": 8}},
    "batch_size": 16,
    "max_steps": 3,
    "log_every": 1,
}


def test_import_gantool_does_not_import_torch():
    code = "import sys, gantool; gantool.train; gantool.list_plugins(); assert 'torch' not in sys.modules, 'torch'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_sample_draws_what_generate_draws(trained_run, cli, tmp_path):
    generator = gantool.load(trained_run)
    images = generator.sample(6, seed=3)
    assert images.shape == (6, 1, 28, 28) and images.dtype == torch.float32
    assert images.min() >= -1 and images.max() <= 1
    assert torch.equal(images, generator.sample(6, seed=3))
    assert not torch.equal(images, generator.sample(6, seed=4))
    out = tmp_path / "generated.npy"
    generate = cli("generate", str(trained_run), "--num", "6", "--seed", "3", "--format", "npy", "--out", str(out))
    assert generate.code == 0, generate.err
    assert np.array_equal(gantool.to_uint8(images), np.load(out))
    assert [image.size for image in gantool.to_pil(images)] == [(28, 28)] * 6


def test_loaded_generator_describes_itself(trained_run):
    generator = gantool.load(trained_run / "generator.safetensors")
    assert generator.num_classes == 0 and (generator.spec.channels, generator.spec.height) == (1, 28)
    info = generator.info
    assert info["architecture"] == "builtins:dcgan" and info["options"]["depth"] == 8 and info["steps"] == 3
    assert info["training"]["batch_size"] == 16 and info["dataset"] == "mnist5k" and info["evaluation"] is None


def test_interpolate_runs_from_one_seed_to_the_other(trained_run):
    generator = gantool.load(trained_run)
    walk = generator.interpolate(3, 4, 5, mode="lerp")
    assert walk.shape == (5, 1, 28, 28)
    assert torch.allclose(walk[0], generator.sample(1, seed=3)[0], atol=1e-5)
    assert torch.allclose(walk[-1], generator.sample(1, seed=4)[0], atol=1e-5)
    with pytest.raises(GantoolError, match="mode 'cubic' is not known"):
        generator.interpolate(3, 4, 5, mode="cubic")
    with pytest.raises(GantoolError, match="unconditional"):
        generator.sample(2, labels=1)


def test_train_from_python_matches_the_command_and_is_silent(trained_run, tmp_path, capfd):
    result = gantool.train(out=tmp_path / "run", **TINY)
    assert capfd.readouterr() == ("", "")
    assert result.run_dir == tmp_path / "run" and result.steps == 3 and result.export.is_file()
    assert result.metrics["step"] == 3 and "g_loss" in result.metrics and result.evaluation is None
    ours, theirs = load_file(result.export), load_file(trained_run / "generator.safetensors")
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[name], theirs[name]) for name in ours)


def test_train_errors_are_gantool_errors(tmp_path):
    with pytest.raises(GantoolError, match="unknown generator 'nope'"):
        gantool.train(out=tmp_path / "a", gen="nope", max_steps=1)
    with pytest.raises(GantoolError, match="no setting 'batchsize'"):
        gantool.train(out=tmp_path / "b", batchsize=4)
    with pytest.raises(GantoolError, match="batch-size"):
        gantool.train(out=tmp_path / "c", batch_size=0)
    assert not any(tmp_path.iterdir())  # nothing written for a request that could not run


def test_keyboard_interrupt_leaves_a_checkpoint_that_resume_continues(tmp_path):
    def stop_at_step_two(step, metrics):
        if step == 2:
            raise KeyboardInterrupt

    run = tmp_path / "stopped"
    with pytest.raises(KeyboardInterrupt, match="stopped after step 2"):
        gantool.train(out=run, **(TINY | {"max_steps": 4, "checkpoint_every": 100}), callback=stop_at_step_two)
    assert (run / "checkpoints" / "step-000000002.safetensors").is_file()
    assert not (run / "generator.safetensors").exists()
    resumed = gantool.train(resume=run)
    assert resumed.steps == 4
    straight = gantool.train(out=tmp_path / "straight", **(TINY | {"max_steps": 4, "checkpoint_every": 100}))
    ours, theirs = load_file(resumed.export), load_file(straight.export)
    assert all(torch.equal(ours[name], theirs[name]) for name in ours)  # the checkpoint held the whole state


def test_conditional_labels(tmp_path):
    generator = gantool.train(out=tmp_path / "run", **(TINY | {"gen": "cgan"})).load()
    assert generator.num_classes == 10
    threes = generator.sample(4, seed=1, labels=3)
    assert torch.equal(threes, generator.sample(4, seed=1, labels=[3, 3, 3, 3]))
    assert not torch.equal(threes, generator.sample(4, seed=1, labels=5))
    with pytest.raises(GantoolError, match="label 10 is out of range"):
        generator.sample(2, labels=[0, 10])
    with pytest.raises(GantoolError, match="3 labels were given for 2 images"):
        generator.sample(2, labels=[0, 1, 2])


def test_evaluate_returns_what_evaluate_json_prints(trained_run, cli):
    result = cli("evaluate", str(trained_run), "--num", "100", "--json")
    assert result.code == 0, result.err
    assert gantool.evaluate(trained_run, num=100) == json.loads(result.out)


def test_list_plugins_returns_what_list_plugins_json_prints(cli):
    result = cli("list-plugins", "--json")
    assert gantool.list_plugins() == json.loads(result.out)
