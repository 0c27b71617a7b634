"""An exponential moving average of the generator's weights, for smoother samples and exports.

Parameters are averaged; buffers (batch-norm running mean/var and counters) are copied from the live
generator, because averaging running statistics of different weights describes no network at all.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Holds `model`, a frozen copy of the generator updated by `update` after every G step."""

    def __init__(self, generator: nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = copy.deepcopy(generator).requires_grad_(False)
        self._pairs = [(e, p) for e, p in zip(self.model.parameters(), generator.parameters(), strict=True)
                       if p.is_floating_point()]

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        """ema = decay * ema + (1 - decay) * live for parameters; buffers copied."""
        if self._pairs:
            averaged, live = zip(*self._pairs, strict=True)
            torch._foreach_lerp_(list(averaged), list(live), 1.0 - self.decay)
        for mine, theirs in zip(self.model.buffers(), generator.buffers(), strict=True):
            mine.copy_(theirs)
