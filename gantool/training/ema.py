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
        self._floating = [p.is_floating_point() for p in generator.parameters()]
        self._averaged = [e for e, floating in zip(self.model.parameters(), self._floating, strict=True) if floating]
        # Batch norm's running statistics are measured afresh before any use (sampling_model), so only the
        # other buffers (rare: a spectral norm's vectors, say) are copied after every update.
        measured = {id(b) for m in self.model.modules() if is_recalibrated(m) for b in m.buffers(recurse=False)}
        buffers = list(self.model.buffers())
        self._copied = [i for i, b in enumerate(buffers) if id(b) not in measured]
        self._buffers = [buffers[i] for i in self._copied]
        self._calibrated_at: int | None = None

    def current_decay(self) -> float:
        """The decay of the next update: the warm-up's (1 + t) / (10 + t) until it exceeds `decay`."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        """ema = decay * ema + (1 - decay) * live for parameters; buffers other than batch norm's copied."""
        if self._averaged:
            live = [p for p, floating in zip(generator.parameters(), self._floating, strict=True) if floating]
            torch._foreach_lerp_(self._averaged, live, 1.0 - self.current_decay())
        if self._copied:
            buffers = list(generator.buffers())
            torch._foreach_copy_(self._buffers, [buffers[i] for i in self._copied])
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
    norms = [m for m in model.modules() if is_recalibrated(m)]
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


def is_recalibrated(module: nn.Module) -> bool:
    """Whether recalibrate_batch_norm measures this module's buffers (a batch norm with running statistics)."""
    return isinstance(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats
