"""The G half of the alternating update: --g-steps G updates against the D that this step's D update produced."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from gantool.interfaces import generator_loss_of

if TYPE_CHECKING:
    from gantool.training.trainer import Trainer


def generator_steps(trainer: Trainer, z: torch.Tensor, fake: torch.Tensor, fake_labels: torch.Tensor | None,
                    real: torch.Tensor, real_labels: torch.Tensor | None) -> torch.Tensor:
    """--g-steps G updates: the first reuses the D step's fakes, each later one regenerates them (the G that
    made the first batch has changed) from fresh noise, or with --g-steps-noise same from the D step's `z`.
    A relativistic loss also gets D's logits on the step's (augmented) real batch, from the updated D.
    Returns the last G loss."""
    G, D, config = trainer.G, trainer.D, trainer.config
    D.requires_grad_(False)  # D's weights need no gradients during the G step
    for index in range(config.g_steps):
        if index:
            if config.g_steps_noise == "fresh":
                z, fake_labels = trainer._noise_batch(len(fake))
            with trainer.autocast():
                fake = trainer._augmented(G(z, fake_labels))
        real_logits = None
        with trainer.autocast():
            fake_logits = D(fake, fake_labels).float()
            if trainer.relativistic:
                with torch.no_grad():
                    real_logits = D(real, real_labels).float()
        g_loss = generator_loss_of(trainer.loss, fake_logits, real_logits)
        trainer.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        trainer.opt_g.step()
        if trainer.ema is not None:
            trainer.ema.update(G)
    D.requires_grad_(True)
    return g_loss
