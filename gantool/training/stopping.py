"""Early stopping: end training when a monitored quantity has stopped improving for N epochs."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass
class Patience:
    """Tracks the best value (lower is better) of a per-epoch quantity and the epochs since it improved."""

    patience: int
    name: str = "g_loss"
    best: float = math.inf
    best_epoch: int = -1
    epochs_without_improvement: int = 0

    def update(self, value: float, epoch: int) -> bool:
        """Record the value of a finished epoch; True when it is a new best."""
        if value < self.best:
            self.best, self.best_epoch, self.epochs_without_improvement = value, epoch, 0
            return True
        self.epochs_without_improvement += 1
        return False

    @property
    def exhausted(self) -> bool:
        return self.epochs_without_improvement >= self.patience

    def state(self) -> dict[str, float | int | str]:
        """JSON-able state for checkpoints (infinity becomes None)."""
        data = asdict(self)
        data["best"] = None if math.isinf(self.best) else self.best
        return data

    def load(self, state: dict) -> None:
        self.best = math.inf if state.get("best") is None else float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.epochs_without_improvement = int(state["epochs_without_improvement"])
