"""The settings of a training run, and their round trip through the run's `config.toml`."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from gantool.errors import GantoolError


@dataclass
class TrainConfig:
    """Everything `gantool train` needs; the run's config.toml holds exactly these fields."""

    gen: str = "dcgan"
    disc: str | None = None
    loss: str = "bce"
    dataset: str = "mnist5k"
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    epochs: int = 20
    max_steps: int | None = None
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    seed: int = 0
    device: str = "auto"
    sample_every: int = 200
    checkpoint_every: int = 500
    log_every: int = 20
    keep: int = 3

    def to_toml_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_toml_dict(cls, data: dict[str, Any], source: str) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - {"plugins", "gantool"})
        if unknown:
            raise GantoolError(f"{source} has unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        return cls(**{key: value for key, value in data.items() if key in known})


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file, failing in one line on missing or malformed files."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GantoolError(f"config file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GantoolError(f"config file {path} is not valid TOML: {exc}") from None
