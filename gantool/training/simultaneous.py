"""The simultaneous update (--update simultaneous): D's and G's losses from one forward pass, both networks stepped
together, as a Keras or TF2 training step with two gradient tapes does.

G's gradient flows through D as it was before this step (D is stepped only after both gradients exist), where the
alternating update scores G against the D it has just updated. D's batch-norm layers see the real and the fake
batch in separate calls, as in the alternating step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from gantool.interfaces import generator_loss_of
from gantool.training.meter import step_readings

if TYPE_CHECKING:
    from gantool.training.trainer import Trainer


def simultaneous_step(trainer: Trainer, real: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """One simultaneous update of D and G on `real`; returns the trainer's detached step readings."""
    real_labels = labels if trainer.num_classes else None
    z, fake_labels = trainer._noise_batch(len(real))
    with trainer.autocast():
        fake = trainer._augmented(trainer.G(z, fake_labels))
        real = trainer._augmented(real)
        real_logits = trainer.D(real, real_labels).float()
        fake_logits = trainer.D(fake, fake_labels).float()  # one pass: D's loss and G's loss both read it
    d_parts = trainer.loss.discriminator_loss(real_logits, fake_logits)
    d_total = trainer.penalised(d_parts["loss"], real, fake, real_labels, fake_labels)
    g_loss = generator_loss_of(trainer.loss, fake_logits, real_logits.detach())  # relativistic: D before its step
    trainer.opt_d.zero_grad(set_to_none=True)
    trainer.opt_g.zero_grad(set_to_none=True)
    # each loss fills only its own network's gradients: D's loss none of G's, G's loss none of D's weights
    d_total.backward(inputs=list(trainer.D.parameters()), retain_graph=True)
    g_loss.backward(inputs=list(trainer.G.parameters()))
    trainer.opt_d.step()
    trainer.opt_g.step()
    if trainer.ema is not None:
        trainer.ema.update(trainer.G)
    observe = getattr(trainer.augment, "observe", None)
    if observe is not None:  # as in the alternating step: paired differences for a relativistic loss
        observe((real_logits - fake_logits).detach() if trainer.relativistic else real_logits.detach())
    return step_readings(d_total, d_parts, g_loss, real_logits, fake_logits,
                         as_probabilities=trainer.outputs_are_logits)
