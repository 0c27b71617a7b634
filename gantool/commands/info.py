"""`gantool list-plugins` and `gantool describe`: what is installed and which options each part takes."""

import json
from collections.abc import Callable
from pathlib import PurePath
from typing import Annotated

import typer
from rich.table import Table

from gantool.completion import part_names
from gantool.errors import GantoolError, did_you_mean, one_of
from gantool.kinds import KINDS, PartKind
from gantool.registry import Registry


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    from gantool.consoles import out_console

    @app.command("list-plugins")
    def list_plugins(
        json_: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
    ) -> None:
        """Show every installed plugin: package, version, status and the parts it provides."""
        from gantool.discovery import installed

        plugins = installed(registry())
        if json_:
            print(json.dumps([plugin.to_dict() for plugin in plugins], indent=2))
            return
        table = Table(title="gantool plugins")
        for column in ("plugin", "package", "version", "status", "provides"):
            table.add_column(column, overflow="fold")
        for plugin in plugins:
            status = "[green]ok[/]" if plugin.error is None else f"[red]error[/]: {plugin.error}"
            table.add_row(plugin.name, plugin.package, plugin.version, status, ", ".join(plugin.provides))
        out_console.print(table)

    @app.command(help=f"Show the options of a {one_of([kind.name for kind in KINDS])}: types, defaults, help.")
    def describe(name: Annotated[str, typer.Argument(help="A component name, e.g. dcgan or smoothed-bce.",
                                                     autocompletion=part_names())]) -> None:
        from gantool.options import option_specs

        asked = name
        if not _kinds_named(registry(), name):  # names are lower case: DCGAN means dcgan
            name = name.lower()
        found = _kinds_named(registry(), name)
        if not found:
            every = sorted({n for kind in KINDS for n in registry().names(kind.name)})
            raise GantoolError(f"no component is named {asked!r}{did_you_mean(asked.rpartition(':')[2], every)}; "
                               f"installed: {', '.join(every)}")
        for kind in found:
            component = registry().get(kind.name, name)
            table = Table(title=f"{kind.name} {component.name} ({component.plugin.package} {component.plugin.version})",
                          caption=(component.factory.__doc__ or "").strip().splitlines()[0] if component.factory.__doc__
                          else None)
            for column in ("option", "type", "default", "help"):
                table.add_column(column, overflow="fold")
            for spec in option_specs(component.factory):
                default = "(required)" if spec.required else repr(as_typed(spec.default))
                bounds = " ".join(part for part in (
                    f"min {spec.min}" if spec.min is not None else "", f"max {spec.max}" if spec.max is not None else ""
                ) if part)
                help_text = f"{spec.help} [{bounds}]" if bounds else spec.help
                table.add_row(f"{kind.prefix}.{spec.name}", spec.type_name(), default, help_text)
            out_console.print(table)


def _kinds_named(registry: Registry, name: str) -> list[PartKind]:
    """The kinds that have a component called `name` (or `plugin:name`)."""
    return [kind for kind in KINDS if name.rpartition(":")[2] in registry.names(kind.name)]


def as_typed(value: object) -> object:
    """A default as it would be written after --set: paths as text, sequences comma-separated."""
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, tuple | list):
        return ",".join(map(str, value))
    return value
