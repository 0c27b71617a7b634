"""The settings of features learned from the real images (torch-free, so the command line can show them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gantool import arguments
from gantool.arguments import Bounds
from gantool.errors import GantoolError

EPOCHS = Bounds(1, 1000)
WIDTH = Bounds(1, 256)


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

    @property
    def feature_dim(self) -> int:
        return 8 * self.width


def settings_from(options: Mapping[str, Any] | None) -> ContrastiveSettings:
    """Settings from `{"seed": 1, "epochs": 10, "width": 16}` (None values left at their defaults), each checked as
    --learned-seed, --learned-epochs and --learned-width are; other keys refused."""
    given = {key: value for key, value in arguments.table(options, "learned").items() if value is not None}
    checks = {"seed": lambda value: arguments.seed(value, "learned seed"),
              "epochs": lambda value: arguments.whole(value, "learned epochs", EPOCHS),
              "width": lambda value: arguments.whole(value, "learned width", WIDTH)}
    unknown = sorted(set(given) - set(checks))
    if unknown:
        raise GantoolError(f"learned features have no setting {unknown[0]!r}; they take {', '.join(checks)}")
    return ContrastiveSettings(**{key: checks[key](value) for key, value in given.items()})
