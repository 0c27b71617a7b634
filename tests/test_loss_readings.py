"""D(x) and D(G(z)) are read as the loss says: probabilities for losses on logits, raw scores otherwise."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from gantool import hookimpl

SMALL = ["--gen", "dcgan", "--set", "gen.depth=4", "--set", "disc.depth=4", "--set", "data.image_size=8",
         "--batch-size", "16", "--max-steps", "1", "--log-every", "1", "--quiet"]


class RecordingLoss:
    """bce, remembering the outputs D gave in its last D step."""

    def __init__(self, logits: bool) -> None:
        if not logits:
            self.outputs_are_logits = False
        self.seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def discriminator_loss(self, real_logits, fake_logits):
        self.seen.append((real_logits.detach().clone(), fake_logits.detach().clone()))
        real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return {"loss": real + fake, "real": real, "fake": fake}

    def generator_loss(self, fake_logits):
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


class Recording:
    def __init__(self, loss: RecordingLoss) -> None:
        self.loss = loss

    @hookimpl
    def register_losses(self, register):
        register("recording", lambda: self.loss)


@pytest.mark.parametrize("logits", [True, False])
def test_d_outputs_are_shown_as_the_loss_reads_them(cli, tmp_path, logits):
    loss = RecordingLoss(logits)
    run = tmp_path / "run"
    result = cli("train", *SMALL, "--loss", "recording", "--out", str(run), extra_plugins=[(Recording(loss), "rec")])
    assert result.code == 0, result.err
    (logged,) = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    (real, fake), = loss.seen
    read = torch.sigmoid if logits else (lambda scores: scores)
    assert logged["d_x"] == pytest.approx(float(read(real).mean()), rel=1e-5, abs=1e-6)
    assert logged["d_g_z"] == pytest.approx(float(read(fake).mean()), rel=1e-5, abs=1e-6)


def test_the_losses_on_raw_scores_say_so():
    from gantool_builtins.losses import bce, hinge

    assert getattr(bce(), "outputs_are_logits", True) is True
    assert hinge().outputs_are_logits is False
