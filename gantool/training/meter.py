"""Per-step training metrics summed on the device and read back (one sync) only when a line is logged."""

from __future__ import annotations

import time
from collections.abc import Mapping

import torch

METRIC_NAMES = ("d_loss", "d_real", "d_fake", "g_loss", "d_x", "d_g_z")


class StepMeter:
    """Sums per-step metrics on the device; reading them (one sync) happens only when logging."""

    def __init__(self, device: torch.device) -> None:
        self.totals = torch.zeros(len(METRIC_NAMES), device=device)
        self.steps, self.images, self.started = 0, 0, time.perf_counter()

    def add(self, values: torch.Tensor, images: int) -> None:
        self.totals += values
        self.steps += 1
        self.images += images

    def read(self) -> dict[str, float]:
        """Means since the last read, images per second and seconds elapsed; then start over."""
        values = dict(zip(METRIC_NAMES, (self.totals / max(self.steps, 1)).tolist(), strict=True))
        seconds = max(time.perf_counter() - self.started, 1e-9)
        values["images_per_s"] = self.images / seconds
        values["seconds"] = seconds
        self.totals.zero_()
        self.steps, self.images, self.started = 0, 0, time.perf_counter()
        return values


@torch.no_grad()
def step_readings(d_total: torch.Tensor, d_parts: Mapping[str, torch.Tensor], g_loss: torch.Tensor,
                  real_logits: torch.Tensor, fake_logits: torch.Tensor, *, as_probabilities: bool) -> torch.Tensor:
    """One step's METRIC_NAMES as a detached tensor, left on the device; D(x) and D(G(z)) are sigmoids of D's
    outputs when they are logits (`as_probabilities`), raw mean scores otherwise."""
    zero = torch.zeros((), device=d_total.device)
    real_out, fake_out = real_logits.detach(), fake_logits.detach()
    if as_probabilities:
        real_out, fake_out = torch.sigmoid(real_out), torch.sigmoid(fake_out)
    return torch.stack([
        d_total.detach(), d_parts.get("real", zero).detach(), d_parts.get("fake", zero).detach(),
        g_loss.detach().float(), real_out.mean(), fake_out.mean(),
    ])
