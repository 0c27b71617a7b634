"""Binary cross-entropy GAN losses on logits (stable under autocast; D applies no sigmoid)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


class BCELoss:
    """Non-saturating loss; `real_target` below 1 gives one-sided label smoothing of D's real targets."""

    def __init__(self, real_target: float = 1.0) -> None:
        self.real_target = real_target

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, torch.Tensor]:
        real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, self.real_target))
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return {"loss": real + fake, "real": real, "fake": fake}

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
