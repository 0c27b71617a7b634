"""The built-in subcommands, one module per group, each with `add_to(app, registry)`.

The built-ins plugin adds them through the `register_commands` hook, as any plugin adds its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

    from gantool.registry import Registry

# In the order `gantool --help` lists them.
MODULES = ("train", "sweep", "runs", "generate", "interpolate", "evaluate", "export", "inspect", "check_data", "info")


def add_builtin_commands(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    """Add every built-in subcommand to `app`; the command modules import nothing heavy."""
    from importlib import import_module

    for name in MODULES:
        import_module(f"gantool.commands.{name}").add_to(app, registry)
