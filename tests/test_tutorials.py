"""docs/tutorials.md's five setups set what their tutorials set: each documented line runs for a step or two and
the run's config.toml, its checkpoint's optimiser state and its networks are compared with the tutorial's values,
written here: the trainable parameter counts of G and D for all five, and for the PyTorch tutorials A and D every
tensor's shape, in order, against the tutorial's layers built here with torch.nn."""

from __future__ import annotations

import gzip
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from gantool.errors import GantoolError
from gantool.interfaces import DatasetBundle, DataSpec
from gantool.storage.checkpoint import load_tensors, unflatten_state_dict
from gantool.storage.rundir import latest_checkpoint
from gantool.training.batches import BatchSource
from gantool.training.noise import draw_noise
from tests.conftest import run_cli
from tests.test_docs_commands import make_fake_data, read_blocks, split_shell
from tests.test_trainer_options import count_steps, first_batches, make_trainer

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "tutorials.md"


def documented_lines(setup: str) -> list[list[str]]:
    """The gantool commands of docs/tutorials.md that write or read runs/tutorial-SETUP, split into words."""
    lines = [split_shell(command.text) for block in read_blocks(DOCUMENT) for command in block.commands]
    return [words for words in lines if any(word.startswith(f"runs/tutorial-{setup}") for word in words)]


def value_after(words: list[str], flag: str) -> str:
    return words[words.index(flag) + 1]


def run_setup(setup: str, tmp_path: Path, monkeypatch, capsys, shorten: list[str]) -> tuple[Path, list[str], str]:
    """Run the setup's documented lines in a folder of fake data, the train line shortened by `shorten`; returns
    the run, the train line and what training printed."""
    monkeypatch.chdir(tmp_path)
    make_fake_data(tmp_path)
    lines = documented_lines(setup)
    assert lines and lines[0][:2] == ["gantool", "train"], f"setup {setup} has no documented train line"
    printed = ""
    for words in lines:
        extra = shorten if words[1] == "train" else []
        result = run_cli(capsys, *words[1:], *extra)
        assert result.code == 0, f"{' '.join(words)}\n{result.err}"
        printed += result.out + result.err if words[1] == "train" else ""
    return tmp_path / "runs" / f"tutorial-{setup}", lines[0], printed


def config_of(run: Path) -> dict:
    return tomllib.loads((run / "config.toml").read_text())


def optimisers(run: Path) -> tuple[dict, dict, dict]:
    """The param_groups[0] of G's and D's Adam, and G's schedule, from the run's latest checkpoint."""
    tensors, state = load_tensors(latest_checkpoint(run))
    opt_g, opt_d, sched_g = (unflatten_state_dict(state[name], tensors) for name in ("opt_g", "opt_d", "sched_g"))
    return opt_g["param_groups"][0], opt_d["param_groups"][0], sched_g


def count(module: nn.Module) -> int:
    """Trainable parameters, as the tutorials print them (and Keras' model summaries count them)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def run_networks(run: Path) -> tuple[nn.Module, nn.Module]:
    """The run's G and D: built from the options its config.toml records for the data it trained on, then loaded
    (strictly: every name and shape must match) from its latest checkpoint."""
    from gantool.registry import load_registry

    config, registry = config_of(run), load_registry()
    tensors, state = load_tensors(latest_checkpoint(run))
    spec = DataSpec.from_dict(state["spec"])
    networks = []
    for kind, option_kind, name in (("generator", "gen", config["gen"]),
                                    ("discriminator", "disc", config.get("disc") or config["gen"])):
        module = registry.get(kind, name).factory(spec, **config["options"].get(option_kind, {}))
        prefix = option_kind[0] + "."
        module.load_state_dict({key[2:]: value for key, value in tensors.items() if key.startswith(prefix)})
        networks.append(module)
    return networks[0], networks[1]


def shapes(module: nn.Module) -> list[tuple[int, ...]]:
    """Every tensor of the module (weights, biases, batch-norm statistics), in the order the layers run."""
    return [tuple(tensor.shape) for tensor in module.state_dict().values()]


def same(value, wanted) -> bool:
    """Equal, numbers (and lists of them) up to float rounding."""
    if isinstance(wanted, float) or (isinstance(wanted, list) and all(isinstance(w, float) for w in wanted)):
        return value == pytest.approx(wanted)
    return value == wanted


def assert_settings(config: dict, expected: dict) -> None:
    for key, value in expected.items():
        if key == "options":
            for kind, options in value.items():
                for name, wanted in options.items():
                    assert same(config["options"][kind][name], wanted), (kind, name, config["options"][kind][name])
        else:
            assert same(config[key], value), (key, config[key])


def assert_adam(run: Path, lr_g: float, lr_d: float, betas: tuple[float, float]) -> None:
    group_g, group_d, _ = optimisers(run)
    assert group_g["lr"] == pytest.approx(lr_g) and group_d["lr"] == pytest.approx(lr_d)
    assert tuple(group_g["betas"]) == pytest.approx(betas) and tuple(group_d["betas"]) == pytest.approx(betas)


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


# -- A: PyTorch DCGAN, MNIST at 64x64, d=128 ------------------------------------------------------------------
def tutorial_a_networks(d: int = 128) -> tuple[nn.Module, nn.Module]:
    """The tutorial's 64x64 DCGAN for one channel, as written there: every convolution with its bias."""
    def up(cin, cout, stride=2, pad=1):
        return nn.ConvTranspose2d(cin, cout, 4, stride, pad)

    def down(cin, cout, stride=2, pad=1):
        return nn.Conv2d(cin, cout, 4, stride, pad)

    generator = nn.Sequential(up(100, d * 8, 1, 0), nn.BatchNorm2d(d * 8), up(d * 8, d * 4), nn.BatchNorm2d(d * 4),
                              up(d * 4, d * 2), nn.BatchNorm2d(d * 2), up(d * 2, d), nn.BatchNorm2d(d), up(d, 1))
    discriminator = nn.Sequential(down(1, d), down(d, d * 2), nn.BatchNorm2d(d * 2), down(d * 2, d * 4),
                                  nn.BatchNorm2d(d * 4), down(d * 4, d * 8), nn.BatchNorm2d(d * 8),
                                  down(d * 8, 1, 1, 0))
    return generator, discriminator


def test_a_pytorch_dcgan_64(tmp_path, monkeypatch, capsys):
    run, line, printed = run_setup("a", tmp_path, monkeypatch, capsys, ["--max-steps", "1", "--batch-size", "4"])
    assert value_after(line, "--batch-size") == "128"
    assert_settings(config_of(run), {
        "gen": "dcgan", "dataset": "mnist", "loss": "bce", "epochs": 20, "lr_g": 2e-4, "lr_d": 2e-4,
        "betas_g": [0.5, 0.999], "betas_d": [0.5, 0.999], "ema": 0.0, "noise": "normal",
        "log_every": 60000 // 128,  # one row of metrics.jsonl, one point of loss.png per epoch
        "options": {"data": {"image_size": 64},
                    "gen": {"latent_dim": 100, "depth": 128, "bias": "all", "init": "pytorch", "layout": "standard"},
                    "disc": {"depth": 128, "bias": "all", "init": "pytorch", "first_norm": False},
                    "loss": {"d_scale": 0.5}}})
    assert_adam(run, 2e-4, 2e-4, (0.5, 0.999))
    generator, discriminator = tutorial_a_networks()
    assert (count(generator), count(discriminator)) == (12_656_257, 11_033_985)  # the tutorial's own counts
    ours_g, ours_d = run_networks(run)
    assert (count(ours_g), count(ours_d)) == (12_656_257, 11_033_985)
    assert shapes(ours_g) == shapes(generator) and shapes(ours_d) == shapes(discriminator)
    assert "(12,656,257 params)" in printed and "(11,033,985 params)" in printed, "train's first line"
    assert image_size(run / "grid-10x10.png") == (10 * 66 + 2, 10 * 66 + 2)  # 100 digits of 64x64, 2 px apart
    assert image_size(run / "interpolation.png") == (10 * 66 + 2, 66 + 2)
    assert (run / "loss.png").is_file()


# -- B: TensorFlow DCGAN on a folder of faces -------------------------------------------------------------------
def test_b_tensorflow_dcgan_faces(tmp_path, monkeypatch, capsys):
    pytest.importorskip("tensorboard")  # the line asks for --tensorboard (the dev extra installs it)
    # one step on two images: the networks are the tutorial's full-size ones (D alone has 44.7 M parameters)
    shorten = ["--max-steps", "1", "--batch-size", "2", "--sample-count", "4", "--quiet"]
    run, line, _ = run_setup("b", tmp_path, monkeypatch, capsys, shorten)
    assert (value_after(line, "--batch-size"), value_after(line, "--max-steps")) == ("64", "20000")
    config = config_of(run)
    tf_slim = {"layout": "tf-slim", "bias": "unnormalised", "norm_scale": False, "init": "xavier-uniform", "depth": 64}
    assert_settings(config, {
        "gen": "dcgan", "dataset": "image-folder", "noise": "uniform", "loss": "smoothed-bce", "lr_d": 4e-4,
        "lr_g": 1e-4, "betas_g": [0.5, 0.999], "betas_d": [0.5, 0.999], "g_steps": 5, "g_steps_noise": "same",
        "replacement": True, "checkpoint_every": 500, "sample_every": 500, "tensorboard": True, "ema": 0.0,
        "log_every": 1,  # the tutorial writes its four scalars after every step
        "options": {"data": {"image_size": 64, "channels": 3, "resize": "squash"},
                    "gen": {"latent_dim": 64, **tf_slim}, "disc": tf_slim}})
    assert 1 - config["options"]["loss"]["smoothing"] == pytest.approx(1 - 0.25 / 2)  # TF's smoothing toward 0.5
    assert_adam(run, 1e-4, 4e-4, (0.5, 0.999))
    ours_g, ours_d = run_networks(run)
    assert (count(ours_g), count(ours_d)) == (9_570_307, 44_704_705)  # the TF-slim model's trainable variables
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    assert {"loss/d_total", "loss/d_real", "loss/d_fake", "loss/g"} <= set(events.Tags()["scalars"])
    assert [event.step for event in events.Scalars("loss/g")] == [1], "the first step's scalars, not a later mean"


# -- C: Keras MLP GAN ---------------------------------------------------------------------------------------------
def keras_mlp(sizes: list[int], final: int, *, final_bias: bool, final_norm: bool) -> nn.Module:
    """The tutorial's Keras Sequential in torch: Dense layers without bias, each followed by batch norm (scale and
    shift trainable), then the output Dense layer (with a bias only in D, with batch norm after it only in G)."""
    layers: list[nn.Module] = []
    for inputs, units in zip(sizes, sizes[1:], strict=False):
        layers += [nn.Linear(inputs, units, bias=False), nn.BatchNorm1d(units)]
    layers.append(nn.Linear(sizes[-1], final, bias=final_bias))
    return nn.Sequential(*layers, *([nn.BatchNorm1d(final)] if final_norm else []))


def test_c_keras_mlp_gan(tmp_path, monkeypatch, capsys):
    run, line, _ = run_setup("c", tmp_path, monkeypatch, capsys, ["--max-steps", "1", "--batch-size", "8", "--quiet"])
    assert value_after(line, "--batch-size") == "256"
    assert_settings(config_of(run), {
        "gen": "mlp", "dataset": "mnist", "loss": "bce", "lr_g": 1e-4, "lr_d": 1e-4, "betas_g": [0.9, 0.999],
        "betas_d": [0.9, 0.999], "epochs": 100, "ema": 0.0, "sample_every": 10 * (60000 // 256), "sample_count": 16,
        "update": "simultaneous",  # both losses from one forward pass, both gradients applied together
        "options": {"gen": {"latent_dim": 100, "hidden1": 256, "hidden2": 512, "slope": 0.3, "hidden_bias": False,
                            "output_bias": False, "output_norm": True, "init": "xavier-uniform"},
                    "disc": {"hidden1": 512, "hidden2": 256, "batch_norm": True, "slope": 0.3, "hidden_bias": False,
                             "output_bias": True, "init": "xavier-uniform"}}})
    assert_adam(run, 1e-4, 1e-4, (0.9, 0.999))
    generator = keras_mlp([100, 256, 512], 784, final_bias=False, final_norm=True)
    discriminator = keras_mlp([784, 512, 256], 1, final_bias=True, final_norm=False)
    assert (count(generator), count(discriminator)) == (561_184, 534_273)  # the Keras model's trainable counts
    ours_g, ours_d = run_networks(run)
    assert (count(ours_g), count(ours_d)) == (561_184, 534_273)
    assert shapes(ours_g) == shapes(generator) and shapes(ours_d) == shapes(discriminator)
    assert image_size(run / "grid-4x4.png") == (4 * 30 + 2, 4 * 30 + 2)
    assert image_size(run / "samples" / "step-0000001.png") == (4 * 30 + 2, 4 * 30 + 2), "16 fixed samples"


# -- D: PyTorch DCGAN-28, merged splits, early stopping ------------------------------------------------------------
def tutorial_d_networks() -> tuple[nn.Module, nn.Module]:
    """The tutorial's DCGAN-28 as written there: no biases; G from 4x4 with a last padding of 3, D with batch norm
    after each strided convolution (the first too), a 3x3 third one and a 4x4 logit convolution."""
    generator = nn.Sequential(
        nn.ConvTranspose2d(100, 256, 4, 1, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
        nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
        nn.ConvTranspose2d(64, 1, 4, 2, 3, bias=False), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2, True),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
        nn.Conv2d(128, 256, 3, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2, True),
        nn.Conv2d(256, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    return generator, discriminator


def test_d_dcgan_28_with_early_stopping(tmp_path, monkeypatch, capsys):
    # the fake data holds 64 training and 16 test digits: merged, a batch of 80 makes a one-step epoch, whose end
    # writes the best G and D
    run, line, _ = run_setup("d", tmp_path, monkeypatch, capsys, ["--max-steps", "1", "--batch-size", "80", "--quiet"])
    assert value_after(line, "--batch-size") == "128"
    assert_settings(config_of(run), {
        "gen": "dcgan", "dataset": "mnist", "seed": 0, "lr_g": 1e-3, "lr_d": 1e-3, "betas_g": [0.9, 0.999],
        "betas_d": [0.9, 0.999], "epochs": 1000, "patience": 100, "ema": 0.0,
        "options": {"data": {"split": "all"}, "gen": {"layout": "from-4x4", "bias": "none", "init": "pytorch"},
                    "disc": {"layout": "from-4x4", "first_norm": True, "bias": "none", "init": "pytorch"}}})
    assert_adam(run, 1e-3, 1e-3, (0.9, 0.999))
    generator, discriminator = tutorial_d_networks()
    assert (count(generator), count(discriminator)) == (1_066_880, 432_000)  # the tutorial's own counts
    ours_g, ours_d = run_networks(run)
    assert (count(ours_g), count(ours_d)) == (1_066_880, 432_000)
    assert shapes(ours_g) == shapes(generator) and shapes(ours_d) == shapes(discriminator)
    assert ours_g(torch.zeros(2, 100)).shape == (2, 1, 28, 28) and ours_d(torch.zeros(2, 1, 28, 28)).shape == (2,)
    _, state = load_tensors(latest_checkpoint(run))
    assert (state["step"], state["epoch"]) == (1, 1), "80 digits (train and test) make one epoch of one batch"
    assert state["patience"]["patience"] == 100 and state["patience"]["name"] == "g_loss"
    best, _ = load_tensors(run / "checkpoints" / "best.safetensors")
    assert any(key.startswith("g.") for key in best) and any(key.startswith("d.") for key in best)
    assert (run / "generator-best.safetensors").is_file() and (run / "best.png").is_file()


# -- E: MLP conditional GAN with step decay -------------------------------------------------------------------------
class TutorialCGANGenerator(nn.Module):
    """The tutorial's G: noise and one-hot label through their own 256-unit layers with batch norm, joined."""

    def __init__(self) -> None:
        super().__init__()
        self.noise, self.label = nn.Linear(100, 256), nn.Linear(10, 256)
        self.norms = nn.ModuleList([nn.BatchNorm1d(256), nn.BatchNorm1d(256), nn.BatchNorm1d(512),
                                    nn.BatchNorm1d(1024)])
        self.hidden = nn.ModuleList([nn.Linear(512, 512), nn.Linear(512, 1024)])
        self.out = nn.Linear(1024, 784)


class TutorialCGANDiscriminator(nn.Module):
    """The tutorial's D: image and one-hot label through their own 1024-unit layers, joined, then 512, 256."""

    def __init__(self) -> None:
        super().__init__()
        self.image, self.label = nn.Linear(784, 1024), nn.Linear(10, 1024)
        self.hidden = nn.ModuleList([nn.Linear(2048, 512), nn.Linear(512, 256)])
        self.norms = nn.ModuleList([nn.BatchNorm1d(512), nn.BatchNorm1d(256)])
        self.out = nn.Linear(256, 1)


def test_e_mlp_cgan_with_step_decay(tmp_path, monkeypatch, capsys):
    run, line, _ = run_setup("e", tmp_path, monkeypatch, capsys, ["--max-steps", "1", "--batch-size", "8", "--quiet"])
    assert value_after(line, "--batch-size") == "128"
    assert_settings(config_of(run), {
        "gen": "cgan", "dataset": "mnist", "noise": "uniform01", "loss": "bce", "lr_g": 2e-4, "lr_d": 2e-4,
        "betas_g": [0.5, 0.999], "betas_d": [0.5, 0.999], "epochs": 50, "ema": 0.0, "sample_count": 10,
        "lr_decay_epochs": [29, 39], "lr_decay_factor": 0.1,  # the 30th and 40th epoch, counted from 0
        "options": {"gen": {"body": "mlp", "branch": 256, "hidden1": 512, "hidden2": 1024, "slope": 0.0,
                            "label_embedding": 0, "init": "normal-0.02"},
                    "disc": {"body": "mlp", "branch": 1024, "hidden1": 512, "hidden2": 256, "batch_norm": True,
                             "dropout": 0.0, "label_embedding": 0, "init": "normal-0.02"}}})
    assert_adam(run, 2e-4, 2e-4, (0.5, 0.999))
    _, _, schedule = optimisers(run)
    assert dict(schedule["milestones"]) == {29: 1, 39: 1} and schedule["gamma"] == pytest.approx(0.1)
    expected = (count(TutorialCGANGenerator()), count(TutorialCGANDiscriminator()))
    assert expected == (1_624_336, 1_997_313) and tuple(map(count, run_networks(run))) == expected
    assert image_size(run / "per-class.png") == (10 * 30 + 2, 10 * 30 + 2)
    assert image_size(run / "samples" / "step-0000001.png") == (10 * 30 + 2, 10 * 30 + 2)
    assert (run / "loss.png").is_file() and (run / "samples.gif").is_file()


def test_e_learning_rates_drop_by_ten_with_a_message(tmp_path, monkeypatch, capsys):
    # 64 fake digits in batches of 32: two steps an epoch, so the drop from epoch 1 on happens after step 2
    run, _, printed = run_setup("e", tmp_path, monkeypatch, capsys, ["--epochs", "2", "--batch-size", "32",
                                                                       "--lr-decay-epochs", "1"])
    group_g, group_d, _ = optimisers(run)
    assert group_g["lr"] == pytest.approx(2e-5) and group_d["lr"] == pytest.approx(2e-5)
    assert "learning rates x0.1 from epoch 1: G 2e-05, D 2e-05" in printed


# -- the options the setups rely on ----------------------------------------------------------------------------------
def test_per_class_rows_share_the_same_noise(tmp_path, capsys):
    run = tmp_path / "cgan"
    trained = run_cli(capsys, "train", "--gen", "cgan", "--set", "gen.depth=8", "--set", "disc.depth=8",
                      "--batch-size", "16", "--max-steps", "1", "--quiet", "--out", str(run))
    assert trained.code == 0, trained.err
    grid = tmp_path / "grid.npy"
    assert run_cli(capsys, "generate", str(run), "--per-class", "--num", "10", "--seed", "5", "--format", "npy",
                   "--out", str(grid)).code == 0
    rows = np.load(grid).reshape(10, 10, 28, 28).astype(int)
    for label in range(10):  # `--label L --seed 5` draws the grid's ten noise vectors, so it must equal row L
        single = tmp_path / f"label{label}.npy"
        assert run_cli(capsys, "generate", str(run), "--label", str(label), "--num", "10", "--seed", "5",
                       "--format", "npy", "--out", str(single)).code == 0
        assert np.abs(np.load(single).reshape(10, 28, 28).astype(int) - rows[label]).max() <= 1, f"row {label}"
    assert np.abs(rows[0] - rows[1]).max() > 1, "the rows differ by their label"


def test_training_grids_of_a_conditional_g_share_noise_across_class_rows(tmp_path):
    trainer = make_trainer(tmp_path, gen="cgan", sample_count=3)
    rows = trainer.samples.z.view(10, 3, -1)
    assert all(torch.equal(rows[0], row) for row in rows) and trainer.samples.labels.tolist()[:4] == [0, 0, 0, 1]
    assert len(make_trainer(tmp_path / "plain", sample_count=16).samples.z) == 16


def test_batches_drawn_with_replacement_may_exceed_the_data(tmp_path):
    images = torch.arange(5, dtype=torch.uint8).view(5, 1, 1, 1).expand(5, 1, 4, 4).contiguous()
    data = DatasetBundle(DataSpec(1, 4, 4), images=images, labels=torch.arange(5))
    with pytest.raises(GantoolError, match="--replacement"):
        BatchSource(data, 8, torch.device("cpu"), seed=0)
    source = BatchSource(data, 8, torch.device("cpu"), seed=0, replacement=True)
    (batch, labels), = list(source.batches(0))
    assert len(batch) == 8 and set(labels.tolist()) <= set(range(5)) and len(set(labels.tolist())) < 8
    again = BatchSource(data, 8, torch.device("cpu"), seed=0, replacement=True)
    assert torch.equal(next(again.batches(0))[1], labels), "the same seed and epoch draw the same batch"
    assert not torch.equal(next(again.batches(1))[1], labels)


def test_g_steps_on_the_same_noise_draw_it_once(tmp_path, monkeypatch):
    for noise, draws in (("same", 1), ("fresh", 3)):
        trainer = make_trainer(tmp_path / noise, g_steps=3, g_steps_noise=noise)
        calls: list[int] = []
        original = trainer._noise_batch
        monkeypatch.setattr(trainer, "_noise_batch", lambda count, original=original, calls=calls: calls.append(count)
                            or original(count))
        g_calls = count_steps(trainer.opt_g)
        (real, labels), = first_batches(trainer, 1)
        trainer.train_step(real, labels)
        assert (len(calls), g_calls[0]) == (draws, 3), noise


def test_mnist_reads_the_four_idx_files_from_data_root(tmp_path, capsys):
    """A user's own MNIST download: the four published .gz files in one folder, pointed at with data.root."""
    rng = np.random.default_rng(1)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for prefix, number in (("train", 30), ("t10k", 10)):
        pixels = rng.integers(0, 256, (number, 28, 28), dtype=np.uint8)
        header = np.array([0x0803, number, 28, 28], ">u4").tobytes()
        (downloads / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + pixels.tobytes()))
        labels = np.array([0x0801, number], ">u4").tobytes() + (np.arange(number) % 10).astype(np.uint8).tobytes()
        (downloads / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels))
    for split, images in (("train", 30), ("test", 10), ("all", 40)):
        result = run_cli(capsys, "check-data", "--dataset", "mnist", "--set", f"data.root={downloads}",
                         "--set", f"data.split={split}")
        assert result.code == 0 and f"{images:,} {split} images" in result.out, result.out + result.err
    run = tmp_path / "run"
    trained = run_cli(capsys, "train", "--gen", "dcgan", "--dataset", "mnist", "--set", f"data.root={downloads}",
                      "--set", "gen.depth=4", "--set", "disc.depth=4", "--batch-size", "8", "--max-steps", "1",
                      "--quiet", "--out", str(run))
    assert trained.code == 0, trained.err
    conflict = run_cli(capsys, "check-data", "--dataset", "mnist", "--set", f"data.root={downloads}",
                       "--set", "data.train=false", "--set", "data.split=all")
    assert conflict.code == 2 and "data.split=all" in conflict.err


def test_image_folder_squashes_or_crops(tmp_path, capsys):
    from gantool_builtins.datasets import image_folder

    pixels = np.zeros((16, 32, 3), dtype=np.uint8)
    pixels[:, :8] = 255  # a white left quarter of a wide image: kept by squashing, cropped away in the centre
    (tmp_path / "faces").mkdir()
    Image.fromarray(pixels).save(tmp_path / "faces" / "wide.png")
    cropped = image_folder(root=tmp_path / "faces", image_size=16).images[0]
    squashed = image_folder(root=tmp_path / "faces", image_size=16, resize="squash").images[0]
    assert int(cropped.max()) == 0 and int(squashed[:, :, :3].min()) > 200 and int(squashed[:, :, 6:].max()) < 50


@pytest.mark.parametrize(("gen", "disc", "scheme", "layer"), [
    ("dcgan", "dcgan", "pytorch", "main.0"), ("mlp", "mlp", "normal-0.02", "main.0"),
    ("cgan", "cgan", "pytorch", "main.main.0")])
def test_weight_init_is_an_option_of_every_builtin_architecture(gen, disc, scheme, layer):
    from gantool.assembly import build_generator
    from gantool.registry import load_registry

    spec = DataSpec(1, 28, 28, 10)
    torch.manual_seed(0)
    default = dict(build_generator(load_registry(), gen, {}, spec).named_parameters())[f"{layer}.weight"]
    chosen = dict(build_generator(load_registry(), gen, {"init": scheme}, spec).named_parameters())[f"{layer}.weight"]
    normal, other = (chosen, default) if scheme == "normal-0.02" else (default, chosen)
    assert float(normal.detach().std()) == pytest.approx(0.02, rel=0.1)
    assert not math.isclose(float(other.detach().std()), 0.02, rel_tol=0.1)


def test_d_scale_halves_d_loss_and_uniform01_noise_is_torch_rand():
    from gantool_builtins.losses import bce

    real, fake = torch.tensor([0.3, -1.0]), torch.tensor([0.5, 2.0])
    full, half = bce().discriminator_loss(real, fake), bce(d_scale=0.5).discriminator_loss(real, fake)
    assert float(half["loss"]) == pytest.approx(0.5 * float(full["loss"]))
    assert float(half["real"]) == pytest.approx(float(full["real"]))
    z = draw_noise("uniform01", 2000, 8, generator=torch.Generator().manual_seed(0))
    assert torch.equal(z, torch.rand(2000, 8, generator=torch.Generator().manual_seed(0)))



def test_cifar10_split_all_merges_train_and_test(tmp_path):
    from gantool_builtins.datasets import cifar10

    from tests.test_catalogue_data import write_cifar_batches

    write_cifar_batches(tmp_path / "cifar-10-batches-bin", per_batch=4)
    sizes = {split: len(cifar10(root=tmp_path, split=split)) for split in ("train", "test", "all")}
    assert sizes == {"train": 20, "test": 4, "all": 24}


def test_cgan_branches_refuse_projection_in_one_line(cli):
    result = cli("train", "--gen", "cgan", "--set", "disc.body=mlp", "--set", "disc.branch=64",
                 "--set", "disc.conditioning=projection", "--quiet")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1 and "disc.branch=0" in result.err


def test_the_documented_tensorboard_mapping_names_tags_gantool_writes():
    from gantool.storage.tensorboard_log import TAGS

    text = DOCUMENT.read_text()
    table = text[text.index("| Tutorial's scalar | gantool's tag |"):].split("\n\n")[0]
    documented = [row.split("|")[2].strip().strip("`") for row in table.splitlines()[2:]]
    assert documented == ["loss/d_total", "loss/d_real", "loss/d_fake", "loss/g"]
    assert set(documented) <= set(TAGS.values())
