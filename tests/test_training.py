"""A few-step training run leaves checkpoint, samples, metrics and an export that generate can use."""

import json

from PIL import Image

from gantool.storage.checkpoint import load_tensors
from gantool.storage.rundir import latest_checkpoint
from tests.conftest import TINY


def test_training_writes_checkpoint_samples_metrics_and_export(trained_run):
    assert (trained_run / "config.toml").is_file()
    metrics = [json.loads(line) for line in (trained_run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2, 3]
    for key in ("d_loss", "d_real", "d_fake", "g_loss", "d_x", "d_g_z", "images_per_s"):
        assert key in metrics[0]
    assert Image.open(trained_run / "samples" / "final.png").size == (8 * 30 + 2, 8 * 30 + 2)
    checkpoint = latest_checkpoint(trained_run)
    assert checkpoint is not None
    tensors, state = load_tensors(checkpoint)
    assert state["step"] == 3 and any(name.startswith("opt_d.") for name in tensors)
    _, export_state = load_tensors(trained_run / "generator.safetensors")
    assert export_state["generator"] == "builtins:dcgan"
    assert export_state["options"] == {"latent_dim": 100, "depth": 8, "init": "auto", "layout": "standard",
                                       "bias": "none", "norm_scale": True}


def test_generate_from_a_run_writes_a_4x4_grid(cli, trained_run, tmp_path):
    out = tmp_path / "grid.png"
    result = cli("generate", str(trained_run), "--num", "16", "--out", str(out))
    assert result.code == 0, result.err
    assert Image.open(out).size == (4 * 30 + 2, 4 * 30 + 2)


def test_generate_from_the_export_file_alone(cli, trained_run, tmp_path):
    export = tmp_path / "g.safetensors"
    export.write_bytes((trained_run / "generator.safetensors").read_bytes())
    out = tmp_path / "grid.png"
    assert cli("generate", str(export), "--num", "4", "--out", str(out)).code == 0
    first = out.read_bytes()
    assert cli("generate", str(export), "--num", "4", "--out", str(out)).code == 0
    assert out.read_bytes() == first, "the same seed must draw the same images"


def test_label_on_an_unconditional_generator_is_refused(cli, trained_run, tmp_path):
    result = cli("generate", str(trained_run), "--label", "7", "--out", str(tmp_path / "x.png"))
    assert result.code == 2 and "unconditional" in result.err


def test_a_second_run_into_the_same_folder_is_refused(cli, trained_run):
    before = (trained_run / "metrics.jsonl").read_bytes()
    result = cli("train", "--out", str(trained_run), *TINY)
    assert result.code == 2 and "--resume" in result.err
    assert (trained_run / "metrics.jsonl").read_bytes() == before
