"""GAN losses on logits (stable under autocast; D applies no sigmoid), and the R1 penalty they share."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class R1Penalty:
    """gamma/2 * E|grad_x D(x)|^2 on real images (Mescheder et al., 2018), added to D's loss.

    With `every` > 1 the trainer applies it on every k-th D step only, scaled by k ("lazy" as in StyleGAN2),
    which keeps its average strength at a fraction of the cost.
    """

    def __init__(self, gamma: float, every: int) -> None:
        self.gamma, self.penalty_every = gamma, every

    def penalty(self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                labels: torch.Tensor | None) -> torch.Tensor | None:
        if self.gamma == 0:
            return None
        return 0.5 * self.gamma * self.penalty_every * gradient_norms(discriminator, real, labels).mean()


class BCELoss(R1Penalty):
    """Non-saturating loss; `real_target` below 1 gives one-sided label smoothing of D's real targets, `d_scale`
    scales D's total (the logged real and fake parts stay unscaled)."""

    def __init__(self, real_target: float = 1.0, r1: float = 0.0, r1_every: int = 1, d_scale: float = 1.0) -> None:
        super().__init__(r1, r1_every)
        self.real_target, self.d_scale = real_target, d_scale

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, torch.Tensor]:
        real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, self.real_target))
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return {"loss": self.d_scale * (real + fake), "real": real, "fake": fake}

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


class HingeLoss(R1Penalty):
    """D: mean(relu(1 - real)) + mean(relu(1 + fake)); G: -mean(fake) (Lim & Ye, 2017)."""

    outputs_are_logits = False  # margins on raw scores: a sigmoid of them is no probability

    def __init__(self, r1: float = 0.0, r1_every: int = 1) -> None:
        super().__init__(r1, r1_every)

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, torch.Tensor]:
        real = F.relu(1.0 - real_logits).mean()
        fake = F.relu(1.0 + fake_logits).mean()
        return {"loss": real + fake, "real": real, "fake": fake}

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()


def gradient_norms(discriminator: nn.Module, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """|grad_x D(x)|^2 per image, kept in the graph so D's loss can be differentiated through it (fp32); zero
    for a D that ignores its input."""
    points = images.detach().float().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(points, labels).float().sum(), points, create_graph=True,
                                  materialize_grads=True)
    return grad.square().flatten(1).sum(1)


class RpGANLoss:
    """Relativistic pairing loss (Jolicoeur-Martineau, 2019; R3GAN, Huang et al., 2024) with zero-centred gradient
    penalties on real (R1) and fake (R2) images.

    Each real image is paired with the fake of the same batch index: D minimises softplus(D(fake) - D(real)), G
    minimises softplus(D(real) - D(fake)). The penalty is (r1 * E|grad D(real)|^2 + r2 * E|grad D(fake)|^2) / 2,
    applied on every `penalty_every`-th D step and then scaled by it (lazy, as in StyleGAN2).
    """

    needs_real_logits = True
    outputs_are_logits = False  # differences of scores matter, not a sigmoid of one score

    def __init__(self, r1: float, r2: float, every: int) -> None:
        self.r1, self.r2, self.penalty_every = r1, r2, every

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, torch.Tensor]:
        loss = F.softplus(fake_logits - real_logits).mean()
        return {"loss": loss, "real": real_logits.mean(), "fake": fake_logits.mean()}

    def generator_loss(self, fake_logits: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
        return F.softplus(real_logits - fake_logits).mean()

    def penalty(self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                labels: torch.Tensor | None, fake_labels: torch.Tensor | None = None) -> torch.Tensor | None:
        total = None
        for weight, images, image_labels in ((self.r1, real, labels), (self.r2, fake, fake_labels)):
            if weight:
                term = 0.5 * weight * self.penalty_every * gradient_norms(discriminator, images, image_labels).mean()
                total = term if total is None else total + term
        return total
