"""What is installed, for Python: `gantool.list_plugins()` gives what `gantool list-plugins --json` prints."""

from __future__ import annotations

from typing import Any

from gantool.registry import BUILTIN_DISTRIBUTION, PluginInfo, Registry


def installed(registry: Registry) -> list[PluginInfo]:
    """The registry's plugins as list-plugins shows them: gantool's own first, then by name."""
    return sorted(registry.plugins.values(), key=lambda p: (p.package != BUILTIN_DISTRIBUTION, p.name))


def list_plugins() -> list[dict[str, Any]]:
    """Every installed plugin as a dict: plugin, package, version, provides, status and error."""
    import typer

    from gantool.registry import load_registry

    registry = load_registry()
    registry.register_commands(typer.Typer())  # the commands a plugin adds are part of what it provides
    return [plugin.to_dict() for plugin in installed(registry)]
