"""The Wasserstein loss on raw critic scores, with the gradient penalty of WGAN-GP."""

from __future__ import annotations

import warnings

import torch
from torch import nn


class WassersteinGPLoss:
    """Critic: mean(fake) - mean(real), plus weight * (|grad D(mix)| - 1)^2 at random mixes of real and fake."""

    outputs_are_logits = False  # the critic's scores are unbounded, not logits: show D(x) as the mean score

    def __init__(self, *, weight: float = 10.0) -> None:
        self.weight = weight
        self._checked_norm = False

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, torch.Tensor]:
        real, fake = -real_logits.mean(), fake_logits.mean()
        return {"loss": real + fake, "real": real, "fake": fake}

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()

    def penalty(self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                labels: torch.Tensor | None) -> torch.Tensor | None:
        """The gradient penalty; the trainer adds it to the critic's loss (and only there)."""
        if self.weight == 0:
            return None
        self._warn_on_batch_norm(discriminator)
        mix = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
        points = (mix * real.detach() + (1 - mix) * fake.detach()).requires_grad_(True)
        scores = discriminator(points, labels)
        (grad,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
        return self.weight * (grad.flatten(1).norm(dim=1) - 1).square().mean()

    def _warn_on_batch_norm(self, discriminator: nn.Module) -> None:
        if self._checked_norm:
            return
        self._checked_norm = True
        if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules()):
            warnings.warn("wgan-gp with a batch-norm discriminator: batch norm mixes samples, so the per-sample "
                          "gradient penalty is wrong; use --disc wgan (layer norm)", stacklevel=3)
