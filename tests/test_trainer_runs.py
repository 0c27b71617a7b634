"""Whole `gantool train` runs: seeds reproduce, config files reproduce, and the promised files are valid."""

from __future__ import annotations

import json
import sys
import tomllib

import pytest
from PIL import Image

from gantool.evaluation import evaluator as evaluator_module
from gantool.storage.checkpoint import load_tensors
from gantool.training.noise import draw_noise
from tests.conftest import TINY, run_subprocess

FEATURES = ["--ema", "0.9", "--noise", "uniform", "--g-steps", "2", "--betas-g", "0.4,0.99",
            "--sample-every", "1", "--tensorboard"]


@pytest.fixture(scope="module")
def featured_run(tmp_path_factory):
    """A tiny run with EMA, uniform noise, 2 G steps, own betas, a grid every step and TensorBoard."""
    run_dir = tmp_path_factory.mktemp("featured") / "run"
    result = run_subprocess("train", "--out", str(run_dir), *TINY, *FEATURES)
    assert result.returncode == 0, result.stderr
    return run_dir


def test_the_same_seed_gives_bit_identical_exports(cli, trained_run, tmp_path):
    again, other = tmp_path / "again", tmp_path / "other"
    assert cli("train", "--out", str(again), *TINY).code == 0
    assert cli("train", "--out", str(other), *TINY, "--seed", "1").code == 0
    export = "generator.safetensors"
    assert (again / export).read_bytes() == (trained_run / export).read_bytes()
    assert (other / export).read_bytes() != (trained_run / export).read_bytes()


def test_a_runs_config_toml_reproduces_it(cli, featured_run, tmp_path):
    rerun = tmp_path / "rerun"
    assert cli("train", "--config", str(featured_run / "config.toml"), "--out", str(rerun), "--quiet").code == 0
    assert (rerun / "generator.safetensors").read_bytes() == (featured_run / "generator.safetensors").read_bytes()


def test_the_command_line_overrides_the_config_file(cli, featured_run, tmp_path):
    rerun = tmp_path / "rerun"
    result = cli("train", "--config", str(featured_run / "config.toml"), "--out", str(rerun), "--quiet",
                 "--seed", "7", "--set", "gen.latent_dim=16", "--max-steps", "1")
    assert result.code == 0, result.err
    config = tomllib.loads((rerun / "config.toml").read_text())
    assert config["seed"] == 7 and config["max_steps"] == 1
    assert config["options"]["gen"] == {"latent_dim": 16, "depth": 8, "init": "auto", "layout": "standard",
                                        "bias": "none", "norm_scale": True}, (
        "--set merges into the file's options")
    assert config["ema"] == 0.9 and config["noise"] == "uniform" and config["betas_g"] == [0.4, 0.99]


def test_a_bad_config_file_is_one_line(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('epochs = 2\nlearning_rate = 1\n')
    result = cli("train", "--config", str(bad))
    assert result.code == 2 and "unknown setting 'learning_rate'" in result.err


def test_loss_plot_gif_and_tensorboard_files_are_valid(featured_run):
    with Image.open(featured_run / "loss.png") as plot:
        assert plot.format == "PNG" and plot.size[0] > 300
    grids = sorted((featured_run / "samples").glob("step-*.png"))
    assert len(grids) == 3
    with Image.open(featured_run / "samples.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == len(grids) and gif.size == Image.open(grids[0]).size
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(featured_run / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"loss/d_total", "loss/d_real", "loss/d_fake", "loss/g"} <= tags
    assert [event.step for event in events.Scalars("loss/g")] == [1, 2, 3]


def test_the_export_records_uniform_noise_and_ema_and_generate_uses_it(cli, featured_run, tmp_path):
    _, state = load_tensors(featured_run / "generator.safetensors")
    assert state["noise"] == "uniform" and state["ema"] == 0.9
    out = tmp_path / "grid.png"
    assert cli("generate", str(featured_run), "--num", "4", "--out", str(out)).code == 0
    assert Image.open(out).size == (2 * 30 + 2, 2 * 30 + 2)


def test_tensorboard_without_the_extra_is_one_line(tmp_path):
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "from gantool.cli import main\n"
            f"main(['train', '--tensorboard', '--out', {str(tmp_path / 'run')!r}])\n")
    import subprocess

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "gantool[tensorboard]" in lines[0]
    assert not (tmp_path / "run").exists()


def test_plain_lines_per_epoch_when_not_a_terminal(cli, tmp_path):
    result = cli("train", "--out", str(tmp_path / "run"), "--set", "gen.depth=4", "--set", "disc.depth=4",
                 "--batch-size", "2500", "--epochs", "2", "--log-every", "1")
    assert result.code == 0, result.err
    assert "epoch 0 done in" in result.err and "epoch 1 done in" in result.err
    assert "step 3/4 epoch 1" in result.err


def test_evaluate_samples_the_noise_the_run_trained_on(cli, featured_run, monkeypatch):
    seen = []
    original = draw_noise

    def recording(kind, *args, **kwargs):
        seen.append(kind)
        return original(kind, *args, **kwargs)

    monkeypatch.setattr(evaluator_module, "draw_noise", recording)
    result = cli("evaluate", str(featured_run), "--num", "20", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["protocol"]["noise"] == "uniform" and seen == ["uniform"]
