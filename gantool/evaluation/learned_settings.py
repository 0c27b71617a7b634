"""The settings of features learned from the real images (torch-free, so the command line can show them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from gantool.config import MAX_SEED
from gantool.errors import GantoolError

LARGEST_EPOCHS = 1000
LARGEST_WIDTH = 256


@dataclass(frozen=True)
class ContrastiveSettings:
    """What shapes the learned feature space; all of it goes into the cache key."""

    seed: int = 0
    epochs: int = 20
    width: int = 16
    batch_size: int = 256
    temperature: float = 0.2
    learning_rate: float = 2e-3
    smallest_crop: float = 0.6
    """The side of the smallest crop, as a share of the image's side; crops are resized back to full size."""
    jitter: float = 0.4

    def __post_init__(self) -> None:
        for name, value, low, high in (("seed", self.seed, 0, MAX_SEED), ("epochs", self.epochs, 1, LARGEST_EPOCHS),
                                       ("width", self.width, 1, LARGEST_WIDTH)):
            if not low <= value <= high:
                raise GantoolError(f"--learned-{name} {value} is out of range: give {low} to {high}")

    @property
    def feature_dim(self) -> int:
        return 8 * self.width


def settings_from(options: Mapping[str, Any] | None) -> ContrastiveSettings:
    """Settings from `{"seed": 1, "epochs": 10, ...}` (None values left at their defaults); unknown keys refused."""
    given = {key: value for key, value in (options or {}).items() if value is not None}
    known = [field.name for field in fields(ContrastiveSettings)]
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise GantoolError(f"learned features have no setting {unknown[0]!r}; they take {', '.join(known)}")
    return ContrastiveSettings(**given)
