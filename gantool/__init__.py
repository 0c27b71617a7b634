"""gantool: train, sample and evaluate GANs composed from plugin parts.

The Python API (docs/python-api.md) is imported on first use, so `import gantool` stays light (no torch).
"""

from importlib import import_module
from typing import Any

from gantool.hookspecs import hookimpl

__version__ = "0.1.0"

# Public name -> the module that defines it, imported when the name is first used.
_LAZY = {
    "load": "gantool.storage.loading",
    "LoadedGenerator": "gantool.storage.loading",
    "to_uint8": "gantool.images",
    "to_pil": "gantool.images",
    "to_grid": "gantool.images",
    "train": "gantool.training.api",
    "TrainingResult": "gantool.training.api",
    "evaluate": "gantool.evaluation.api",
    "list_plugins": "gantool.discovery",
    "load_registry": "gantool.registry",
    "GantoolError": "gantool.errors",
}
__all__ = ["__version__", "hookimpl", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gantool' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
