"""The speed settings train what fp32 eager in PyTorch's default layout trains, within rounding: channels-last (on
by default where the networks run in it), --compile; bf16 only where the CPU has it; --precision auto resolves to
what the machine supports and the run records it."""

from __future__ import annotations

import shutil
import tomllib

import pytest
import torch
from torch import nn

from gantool import hookimpl
from gantool.errors import GantoolError
from gantool.training import acceleration, devices
from gantool.training.devices import bf16_supported
from tests.conftest import TINY
from tests.test_trainer_options import first_batches, make_trainer

STEPS = 2
# Different kernels sum in a different order: after a few Adam steps, samples in [-1, 1] still agree this well.
TOLERANCE = 2e-3


def samples_after_training(tmp_path, **settings) -> torch.Tensor:
    """Images for fixed noise from G's weights after STEPS training steps of the tiny dcgan, sampled eagerly
    (so only the training differs)."""
    trainer = make_trainer(tmp_path, ema=0, **settings)
    for real, labels in first_batches(trainer, STEPS):
        trainer.train_step(real, labels)
        trainer.step += 1
    sampler = make_trainer(tmp_path / "sampler", ema=0).G
    sampler.load_state_dict(trainer.G.state_dict())
    z = torch.randn(16, sampler.latent_dim, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        return sampler.eval()(z)


def test_the_default_channels_last_layout_trains_what_the_contiguous_layout_trains(tmp_path):
    contiguous = samples_after_training(tmp_path / "a", channels_last=False)
    channels_last = samples_after_training(tmp_path / "b")
    assert (channels_last - contiguous).abs().max() < TOLERANCE
    assert make_trainer(tmp_path / "c").config.channels_last is True, "on by default for convolutional networks"
    mlp = make_trainer(tmp_path / "d", gen="mlp", options={})
    assert mlp.config.channels_last is False, "no convolutions, nothing to gain"


class FlatteningDiscriminator(nn.Module):
    """A tutorial-style D that `view`s its convolution's output as if it had the default layout."""

    def __init__(self, spec) -> None:
        super().__init__()
        self.conv = nn.Conv2d(spec.channels, 4, 3, stride=2, padding=1)
        self.head = nn.Linear(4 * ((spec.height + 1) // 2) * ((spec.width + 1) // 2), 1)

    def forward(self, images, labels=None):
        features = self.conv(images)
        return self.head(features.view(len(features), -1)).squeeze(1)


class FlatteningPlugin:
    @hookimpl
    def register_discriminators(self, register):
        def flattening(spec):
            """Views its features."""
            return FlatteningDiscriminator(spec)

        register("test-flattening", flattening)


def test_networks_that_cannot_run_channels_last_train_in_the_default_layout_or_are_refused_when_asked(cli, tmp_path):
    plugins = [(FlatteningPlugin(), "test-flattening")]
    train = ["--gen", "dcgan", "--set", "gen.depth=8", "--disc", "test-flattening", "--batch-size", "16",
             "--max-steps", "2", "--quiet", "--device", "cpu"]
    result = cli("train", *train, "--out", str(tmp_path / "run"), extra_plugins=plugins)
    assert result.code == 0, result.err
    assert tomllib.loads((tmp_path / "run" / "config.toml").read_text())["channels_last"] is False
    asked = cli("train", *train, "--channels-last", "--out", str(tmp_path / "asked"), extra_plugins=plugins)
    assert asked.code == 2 and "cannot run channels-last" in asked.err and "--no-channels-last" in asked.err
    assert len(asked.err.strip().splitlines()) == 1 and "Traceback" not in asked.err


@pytest.mark.skipif(not any(shutil.which(name) for name in acceleration.CPU_COMPILERS),
                    reason="--compile on the CPU needs a C++ compiler")
def test_compile_trains_what_eager_trains_and_keeps_the_weight_names(tmp_path):
    eager = samples_after_training(tmp_path / "a")
    compiled = samples_after_training(tmp_path / "b", compile=True)
    assert (compiled - eager).abs().max() < TOLERANCE
    trainer = make_trainer(tmp_path / "c", compile=True)
    assert not any(name.startswith("_orig_mod") for name in trainer.G.state_dict())  # exports load as before


def test_compile_keeps_a_gradient_penalty_through_d_eager(tmp_path):
    trainer = make_trainer(tmp_path, compile=True, options={"gen": {"depth": 8}, "disc": {"depth": 8},
                                                             "loss": {"r1": 1.0}})
    (real, labels), = first_batches(trainer, 1)
    assert torch.isfinite(trainer.train_step(real, labels)).all()  # compiled graphs have no double backward


def test_compile_without_a_cpp_compiler_is_refused_in_one_line(monkeypatch, cli, tmp_path):
    monkeypatch.setattr(acceleration.shutil, "which", lambda name: None)
    result = cli("train", *TINY, "--compile", "--out", str(tmp_path / "run"))
    assert result.code == 2 and "--compile needs a C++ compiler" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_bf16_is_refused_by_train_in_one_line_where_the_cpu_lacks_it(monkeypatch, cli, tmp_path):
    monkeypatch.setattr(devices, "cpu_flags", lambda: {"avx2"})
    result = cli("train", *TINY, "--precision", "bf16", "--device", "cpu", "--out", str(tmp_path / "run"))
    assert result.code == 2 and "--precision fp32" in result.err and len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists(), "refused before any file is written"


@pytest.mark.skipif(not bf16_supported(torch.device("cpu")), reason="this CPU has no native bf16 (no avx512_bf16 "
                    "or amx_bf16 flag)")
def test_bf16_trains_where_the_cpu_has_it(cli, tmp_path):
    result = cli("train", *TINY, "--precision", "bf16", "--device", "cpu", "--out", str(tmp_path / "run"))
    assert result.code == 0, result.err
    config = tomllib.loads((tmp_path / "run" / "config.toml").read_text())
    assert config["precision"] == "bf16" and (tmp_path / "run" / "generator.safetensors").is_file()


def test_precision_auto_resolves_to_a_supported_precision_and_is_recorded(cli, tmp_path):
    result = cli("train", *TINY, "--precision", "auto", "--device", "cpu", "--out", str(tmp_path / "run"))
    assert result.code == 0, result.err
    recorded = tomllib.loads((tmp_path / "run" / "config.toml").read_text())["precision"]
    assert recorded == ("bf16" if bf16_supported(torch.device("cpu")) else "fp32")  # bf16 where the CPU computes it
    devices.autocast_for(recorded, torch.device("cpu"))  # and what it recorded runs here


@pytest.mark.parametrize(("flags", "expected"), [({"avx2"}, "fp32"), ({"avx2", "avx512_bf16"}, "bf16"),
                                                 ({"avx512f", "amx_bf16"}, "bf16")])
def test_precision_auto_is_bf16_exactly_on_cpus_with_native_bf16(monkeypatch, flags, expected):
    monkeypatch.setattr(devices, "cpu_flags", lambda: flags)
    assert devices.resolve_precision("auto", torch.device("cpu")) == expected
    assert devices.resolve_precision("fp32", torch.device("cpu")) == "fp32", "only auto is resolved"


def test_an_unknown_precision_names_auto_among_the_choices():
    from gantool.config import TrainConfig

    with pytest.raises(GantoolError, match="fp32, bf16 or auto"):
        TrainConfig(precision="fp16")
