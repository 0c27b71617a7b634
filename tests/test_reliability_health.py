"""Promise 4: non-finite values stop the run (exit 3) keeping the last good checkpoint; collapse only warns."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gantool import hookimpl
from gantool.storage.checkpoint import load_tensors
from gantool.storage.rundir import latest_checkpoint

SMALL = ["--set", "disc.depth=4", "--set", "data.image_size=8", "--batch-size", "16",
         "--checkpoint-every", "1", "--sample-every", "2", "--quiet"]


class NanAfter:
    """BCE-like loss that turns NaN from the `after`-th D update on."""

    def __init__(self, after: int) -> None:
        self.after, self.calls = after, 0

    def discriminator_loss(self, real_logits, fake_logits):
        self.calls += 1
        loss = nn.functional.softplus(-real_logits).mean() + nn.functional.softplus(fake_logits).mean()
        return {"loss": loss * float("nan") if self.calls > self.after else loss}

    def generator_loss(self, fake_logits):
        return nn.functional.softplus(-fake_logits).mean()


class AlwaysWinningD(NanAfter):
    """D's loss is tiny from the start, as when D has won outright."""

    def discriminator_loss(self, real_logits, fake_logits):
        return {"loss": (real_logits.mean() - fake_logits.mean()) * 0.0 + 1e-4}


class ConstantGenerator(nn.Module):
    """Draws the same image whatever the noise: total mode collapse."""

    def __init__(self, spec, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, 0
        self.shape = (spec.channels, spec.height, spec.width)
        self.image = nn.Parameter(torch.zeros(self.shape))

    def forward(self, z, labels=None):
        return torch.tanh(self.image).expand(len(z), *self.shape) + 0.0 * z.sum()


class TestPlugin:
    @hookimpl
    def register_losses(self, register):
        def nan_after_3():
            """Turns NaN after 3 steps."""
            return NanAfter(3)

        def d_wins():
            """D's loss is always 1e-4."""
            return AlwaysWinningD(0)

        register("test-nan", nan_after_3)
        register("test-d-wins", d_wins)

    @hookimpl
    def register_generators(self, register):
        def constant(spec, *, latent_dim: int = 8):
            """Outputs one image."""
            return ConstantGenerator(spec, latent_dim)

        register("test-constant", constant)


PLUGINS = [(TestPlugin(), "test-health")]


@pytest.mark.parametrize("log_every", ["1", "100"])  # caught by the logged loss, or by the weights at a checkpoint
def test_non_finite_loss_stops_with_exit_3_keeping_the_last_good_checkpoint(cli, tmp_path, log_every):
    run_dir = tmp_path / "run"
    result = cli("train", "--out", str(run_dir), *SMALL, "--set", "gen.depth=4", "--loss", "test-nan",
                 "--max-steps", "8", "--log-every", log_every, extra_plugins=PLUGINS)
    assert result.code == 3, result.err
    message = result.err.strip()
    assert "diverged at step 4" in message and "non-finite" in message and "step-000000003" in message
    checkpoint = latest_checkpoint(run_dir)
    assert checkpoint.name == "step-000000003.safetensors"
    tensors, state = load_tensors(checkpoint)  # refuses non-finite tensors, so this proves it is good
    assert state["step"] == 3
    assert not (run_dir / "generator.safetensors").exists()
    resumed = cli("train", "--resume", str(run_dir), "--max-steps", "3", extra_plugins=PLUGINS)
    assert resumed.code == 0, resumed.err


# The CLI prints warnings itself (one "warning:" line each on stderr), so the tests read stderr.
def test_a_discriminator_that_wins_outright_is_warned_about(cli, tmp_path):
    result = cli("train", "--out", str(tmp_path / "run"), *SMALL, "--set", "gen.depth=4", "--loss", "test-d-wins",
                 "--max-steps", "6", "--log-every", "1", extra_plugins=PLUGINS)
    assert result.code == 0, result.err
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "D's loss has stayed below" in warned[0], result.err


def test_collapsed_samples_are_warned_about_but_training_goes_on(cli, tmp_path):
    result = cli("train", "--out", str(tmp_path / "run"), *SMALL, "--gen", "test-constant", "--disc", "dcgan",
                 "--max-steps", "4", "--log-every", "1", extra_plugins=PLUGINS)
    assert result.code == 0, result.err
    warned = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "almost no variety" in warned[0], result.err
    assert (tmp_path / "run" / "generator.safetensors").is_file()


def test_a_healthy_run_gives_no_health_warning(cli, tmp_path):
    result = cli("train", "--out", str(tmp_path / "run"), *SMALL, "--set", "gen.depth=4", "--max-steps", "4",
                 "--log-every", "1")
    assert result.code == 0, result.err
    assert "warning" not in result.err


def test_an_evaluation_after_divergence_stops_with_exit_3_not_an_internal_error(cli, tmp_path):
    """--eval-every can land on a diverged G before the logged loss shows it (log every 100 steps here)."""
    run_dir = tmp_path / "run"
    result = cli("train", "--out", str(run_dir), "--set", "gen.depth=8", "--set", "disc.depth=8", "--batch-size",
                 "16", "--quiet", "--loss", "test-nan", "--max-steps", "8", "--log-every", "100",
                 "--checkpoint-every", "3", "--eval-every", "4", "--eval-num", "40", extra_plugins=PLUGINS)
    assert result.code == 3, result.err
    message = result.err.strip()
    assert "diverged at step 4" in message and "generator's" in message and "step-000000003" in message, message
    assert "internal error" not in result.err
