"""An exponential moving average of the generator's weights, for smoother samples and exports.

Parameters are averaged, with the warm-up of TensorFlow's ExponentialMovingAverage: update t uses
min(decay, (1 + t) / (10 + t)), so a short run's average is not dominated by the untrained start.
Batch-norm running statistics cannot be averaged (statistics of different weights describe no network),
so before the copy samples or is exported they are measured afresh: the copy's own batch statistics over
a fixed set of noise batches.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

# Noise and labels for `count` images, drawn from the given generator (see Trainer._noise_batch).
DrawBatch = Callable[[int, torch.Generator], tuple[torch.Tensor, torch.Tensor | None]]
CALIBRATION_BATCHES = 4
CALIBRATION_BATCH_SIZE = 256
CALIBRATION_SEED = 20240229


class EMA:
    """Holds `model`, a frozen copy of the generator updated by `update` after every G step."""

    def __init__(self, generator: nn.Module, decay: float, draw: DrawBatch) -> None:
        self.decay, self.draw, self.updates = decay, draw, 0
        self.model = copy.deepcopy(generator).requires_grad_(False)
        self._pairs = [(e, p) for e, p in zip(self.model.parameters(), generator.parameters(), strict=True)
                       if p.is_floating_point()]
        self._calibrated_at: int | None = None

    def current_decay(self) -> float:
        """The decay of the next update: the warm-up's (1 + t) / (10 + t) until it exceeds `decay`."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        """ema = decay * ema + (1 - decay) * live for parameters; buffers copied until recalibrated."""
        if self._pairs:
            averaged, live = zip(*self._pairs, strict=True)
            torch._foreach_lerp_(list(averaged), list(live), 1.0 - self.current_decay())
        for mine, theirs in zip(self.model.buffers(), generator.buffers(), strict=True):
            mine.copy_(theirs)
        self.updates += 1
        self._calibrated_at = None

    def sampling_model(self) -> nn.Module:
        """The averaged generator with batch-norm statistics that fit its own weights (measured once per update)."""
        if self._calibrated_at != self.updates:
            recalibrate_batch_norm(self.model, self.draw)
            self._calibrated_at = self.updates
        return self.model


@torch.no_grad()
def recalibrate_batch_norm(model: nn.Module, draw: DrawBatch, batches: int = CALIBRATION_BATCHES,
                           batch_size: int = CALIBRATION_BATCH_SIZE) -> None:
    """Replace every batch-norm layer's running mean and variance by their average over `batches` fixed noise
    batches passed through `model` itself; a model without batch norm is left untouched."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    if not norms:
        return
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average over the calibration batches
    was_training = model.training
    model.train()
    seed = torch.Generator().manual_seed(CALIBRATION_SEED)
    try:
        for _ in range(batches):
            model(*draw(batch_size, seed))
    finally:
        for norm, momentum in zip(norms, momenta, strict=True):
            norm.momentum = momentum
        model.train(was_training)
