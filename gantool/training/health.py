"""Training health: stop on non-finite values, warn when D wins outright or G's samples lose their variety.

Non-finite losses or weights are fatal (DivergenceError, exit 3) and are caught before a checkpoint is
written, so the last checkpoint on disk is always a good one. The two classic failure modes that still
produce numbers, a discriminator that has won and a generator that draws one image, only warn: the run
may recover, and the user decides.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gantool.errors import DivergenceError, GantoolWarning

if TYPE_CHECKING:
    import torch

D_LOSS_FLOOR = 1e-2  # a non-negative D loss below this means D separates real from fake almost perfectly
D_LOSS_WINDOW = 200  # ... for this many steps in a row (half the run for shorter runs)
VARIETY_FLOOR = 1e-3  # mean per-pixel spread across a sample grid below which images are one image
VARIETY_DROP = 0.05  # ... or a spread fallen below this fraction of the run's best (young nets start near flat)


class HealthWarning(GantoolWarning):
    """Training goes on, but its numbers show a known failure mode."""


def nonfinite_names(tensors: Mapping[str, torch.Tensor]) -> list[str]:
    """Names of floating-point tensors holding NaN or infinity (one device sync for all of them)."""
    import torch

    named = [(name, tensor) for name, tensor in tensors.items() if tensor.is_floating_point() and tensor.numel()]
    if not named:
        return []
    finite = torch.stack([torch.isfinite(tensor).all() for _, tensor in named]).cpu()
    return [name for (name, _), ok in zip(named, finite.tolist(), strict=True) if not ok]


def diverged(step: int, what: str, last_good: Path | None) -> DivergenceError:
    """The error that ends a diverged run, naming what broke and the checkpoint that is still good."""
    kept = f"the last good checkpoint is {last_good}" if last_good else "no checkpoint was written before it"
    return DivergenceError(f"training diverged at step {step}: {what} became non-finite (NaN or infinity); "
                           f"{kept}. Lower the learning rates or change the loss, then resume or start again")


class HealthMonitor:
    """Watches logged metrics and sample grids of one run; warns once per episode of each failure mode."""

    def __init__(self, total_steps: int) -> None:
        self.window = max(1, min(D_LOSS_WINDOW, total_steps // 2))
        self.low_since: int | None = None
        self.warned_d = self.warned_variety = False
        self.peak_spread = 0.0

    def check_metrics(self, step: int, values: Mapping[str, float], last_good: Path | None) -> None:
        """Raise on non-finite metrics; warn when D's loss has stayed near zero for the window."""
        bad = [name for name, value in values.items() if not math.isfinite(value)]
        if bad:
            raise diverged(step, ", ".join(bad), last_good)
        d_loss = values.get("d_loss")
        if d_loss is None or not 0.0 <= d_loss < D_LOSS_FLOOR:
            self.low_since, self.warned_d = None, False
            return
        if self.low_since is None:
            self.low_since = step
        if step - self.low_since + 1 >= self.window and not self.warned_d:
            self.warned_d = True
            warnings.warn(f"D's loss has stayed below {D_LOSS_FLOOR} since step {self.low_since} ({d_loss:.2g} at "
                          f"step {step}): D wins outright and G learns nothing; lower lr_d, raise lr_g or try "
                          "another loss", HealthWarning, stacklevel=2)

    def check_samples(self, step: int, images: torch.Tensor, last_good: Path | None) -> None:
        """Warn when the fixed-noise samples are nearly identical (mode collapse)."""
        if len(images) < 2:
            return
        spread = float(images.detach().float().std(dim=0).mean())
        if not math.isfinite(spread):
            raise diverged(step, "the generator's samples", last_good)
        self.peak_spread = max(self.peak_spread, spread)
        floor = max(VARIETY_FLOOR, VARIETY_DROP * self.peak_spread)
        if spread >= floor:
            self.warned_variety = False
            return
        if not self.warned_variety:
            self.warned_variety = True
            warnings.warn(f"G's samples at step {step} have almost no variety (spread {spread:.2g}, best so far "
                          f"{self.peak_spread:.2g}): the generator may have collapsed to one output; lower the "
                          "learning rates or try another loss", HealthWarning, stacklevel=2)
