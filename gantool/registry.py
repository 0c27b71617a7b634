"""The plugin registry: entry-point discovery with isolation, allow-list, and name resolution.

Plugins are loaded one entry point at a time; one that fails on import or in a hook is recorded with
its error and skipped (fatal with GANTOOL_STRICT_PLUGINS=1), so a broken package never takes the CLI
down. GANTOOL_LOAD_PLUGINS=a,b loads only the named third-party distributions; built-ins always load.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from gantool import hookspecs
from gantool.errors import GantoolError, GantoolWarning, did_you_mean
from gantool.kinds import BY_NAME, KINDS

ENTRY_POINT_GROUP = "gantool"
BUILTIN_DISTRIBUTION = "gantool"


@dataclass
class PluginInfo:
    """One plugin as `list-plugins` shows it."""

    name: str
    package: str
    version: str
    provides: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def status(self) -> str:
        return "ok" if self.error is None else "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "plugin": self.name,
            "package": self.package,
            "version": self.version,
            "provides": self.provides,
            "status": self.status,
            "error": self.error,
        }


@dataclass(frozen=True)
class Component:
    """A registered factory with the plugin it came from."""

    kind: str
    name: str
    factory: Callable[..., Any]
    plugin: PluginInfo

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin.name}:{self.name}"


class PluginWarning(GantoolWarning):
    """A plugin failed to load or register and was skipped."""


class Registry:
    """Plugins found through entry points (plus any given in-process), and the components they register."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.components: dict[str, list[Component]] = {kind.name: [] for kind in KINDS}
        self.strict = os.environ.get("GANTOOL_STRICT_PLUGINS", "") not in ("", "0")

    def load_entry_points(self) -> None:
        """Load every allowed plugin of the `gantool` entry-point group, isolating failures."""
        allowed = _allowed_distributions()
        entry_points = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        if allowed is not None:
            _warn_unmatched(allowed, {ep.dist.metadata["Name"] for ep in entry_points if ep.dist is not None})
        for entry_point in entry_points:
            dist = entry_point.dist
            package = dist.metadata["Name"] if dist is not None else "unknown"
            version = dist.version if dist is not None else "unknown"
            if allowed is not None and package != BUILTIN_DISTRIBUTION and _normalize(package) not in allowed:
                continue
            info = PluginInfo(entry_point.name, package, version)
            try:
                module = entry_point.load()
            except (Exception, SystemExit) as exc:  # a broken plugin must not take the CLI down
                self.plugins.setdefault(info.name, info)  # listed with its error by list-plugins
                self._fail(info, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self.add_plugin(module, info)

    def add_plugin(self, plugin: object, info: PluginInfo | str) -> PluginInfo:
        """Register an in-process plugin object or module (tests, embedding) and collect its components."""
        if isinstance(info, str):
            info = PluginInfo(info, "(in-process)", "")
        if info.name in self.plugins:
            raise GantoolError(f"two plugins are named {info.name!r} ({self.plugins[info.name].package} "
                               f"and {info.package}); uninstall one of them")
        self.plugins[info.name] = info
        try:
            self.manager.register(plugin, name=info.name)
        except Exception as exc:
            self._fail(info, f"registration failed: {exc}")
            return info
        for kind in KINDS:
            for impl in getattr(self.manager.hook, kind.hook).get_hookimpls():
                if impl.plugin_name != info.name:
                    continue
                found: list[Component] = []

                def register(name: str, factory: Callable[..., Any], _kind=kind.name, _found=found) -> None:
                    _found.append(Component(_kind, _check_name(name), factory, info))

                try:
                    impl.function(register=register)
                except (Exception, SystemExit) as exc:
                    self._fail(info, f"{kind.hook} failed: {type(exc).__name__}: {exc}")
                    break
                self.components[kind.name].extend(found)
                info.provides.extend(f"{kind.name}:{component.name}" for component in found)
        return info

    def register_commands(self, app: Any) -> None:
        """Let plugins add subcommands, the built-ins first, then the others by plugin name; a failing plugin is
        reported, not fatal. A command may not take the name of a built-in one or of another plugin's: the
        plugin that adds it is skipped with the reason, and the command already there is kept.

        A hook may take `app` alone, or also `registry` (a function returning this registry)."""
        arguments = {"app": app, "registry": lambda: self}
        owners: dict[str, PluginInfo | None] = {name: None for name in _command_names(app)}  # None: gantool's own
        impls = self.manager.hook.register_commands.get_hookimpls()
        for impl in sorted(impls, key=lambda impl: (self.plugins[impl.plugin_name].package != BUILTIN_DISTRIBUTION,
                                                    impl.plugin_name)):
            info = self.plugins[impl.plugin_name]
            before = len(app.registered_commands), len(app.registered_groups)
            try:
                impl.function(**{name: arguments[name] for name in impl.argnames})
                added = _command_names(app, *before)
                _check_command_names(added, owners)
            except (Exception, SystemExit) as exc:
                del app.registered_commands[before[0]:], app.registered_groups[before[1]:]  # none of its commands
                error = str(exc) if isinstance(exc, GantoolError) else f"{type(exc).__name__}: {exc}"
                self._fail(info, f"register_commands failed: {error}")
                continue
            owners |= dict.fromkeys(added, info)
            info.provides.extend(f"command:{name}" for name in added)

    def _fail(self, info: PluginInfo, error: str) -> None:
        info.error = error
        if self.manager.has_plugin(info.name):
            self.manager.unregister(name=info.name)
        for kind in self.components:
            self.components[kind] = [c for c in self.components[kind] if c.plugin is not info]
        info.provides.clear()
        message = f"plugin {info.name!r} from {info.package} {info.version} was skipped: {error}"
        if self.strict:
            raise GantoolError(message + " (GANTOOL_STRICT_PLUGINS is set; unset it to skip broken plugins)")
        warnings.warn(message, PluginWarning, stacklevel=2)

    def names(self, kind: str) -> list[str]:
        """The names registered for a kind, sorted."""
        return sorted({component.name for component in self.components[kind]})

    def get(self, kind: str, name: str) -> Component:
        """Resolve `name` or `plugin:name` to one component, or fail naming the known ones."""
        plugin_name, _, short = name.rpartition(":")
        matches = [
            c for c in self.components[kind] if c.name == short and (not plugin_name or c.plugin.name == plugin_name)
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            owners = " and ".join(f"{c.plugin.package} ({c.qualified_name})" for c in matches)
            raise GantoolError(f"{kind} {short!r} is registered by {owners}; choose one with the qualified name")
        known = self.names(kind)
        hint = did_you_mean(short, known)
        listing = ", ".join(known) or "none installed"
        raise GantoolError(f"unknown {kind} {name!r}{hint}; known {BY_NAME[kind].plural}: {listing} "
                           "(see gantool list-plugins)")


def _command_names(app: Any, commands_from: int = 0, groups_from: int = 0) -> list[str]:
    """The names of the subcommands (and named groups) a Typer app holds, from the given list positions on."""
    from typer.main import get_command_name

    names = [command.name or get_command_name(command.callback.__name__)
             for command in app.registered_commands[commands_from:]]
    for group in app.registered_groups[groups_from:]:
        name = group.name if isinstance(group.name, str) else group.typer_instance.info.name
        names += [name] if isinstance(name, str) else _command_names(group.typer_instance)
    return names


def _check_command_names(added: list[str], owners: dict[str, PluginInfo | None]) -> None:
    """Refuse a command name that is taken: by gantool's own commands, another plugin's, or twice by one plugin."""
    for index, name in enumerate(added):
        if name in added[:index]:
            raise GantoolError(f"it adds two commands named {name!r}; the plugin's authors must rename one")
        if name not in owners:
            continue
        owner = owners[name]
        if owner is None or owner.package == BUILTIN_DISTRIBUTION:
            raise GantoolError(f"its command {name!r} would replace gantool's own {name!r}; the plugin's authors "
                               "must rename it")
        raise GantoolError(f"its command {name!r} is already added by plugin {owner.name!r} ({owner.package}); "
                           "uninstall one of the two, or ask their authors to rename it")


def _check_name(name: str) -> str:
    if not name or name != name.lower() or " " in name or "_" in name or ":" in name:
        raise ValueError(f"component name {name!r} must be lower-case words joined by hyphens")
    return name


def _allowed_distributions() -> set[str] | None:
    value = os.environ.get("GANTOOL_LOAD_PLUGINS")
    if value is None:
        return None
    return {_normalize(part) for part in value.split(",") if part.strip()}


def _warn_unmatched(allowed: set[str], installed: set[str]) -> None:
    """One warning per GANTOOL_LOAD_PLUGINS name that no installed plugin distribution has, with the closest."""
    names = {_normalize(package): package for package in installed}
    for wanted in sorted(allowed - set(names)):
        listing = ", ".join(sorted(names.values())) or "none"
        warnings.warn(f"GANTOOL_LOAD_PLUGINS names {wanted!r}, which is no installed plugin distribution"
                      f"{did_you_mean(wanted, names)}; installed: {listing}", PluginWarning, stacklevel=3)


def _normalize(distribution: str) -> str:
    """Distribution names compare as pip does: case, '-', '_' and '.' do not matter."""
    return re.sub(r"[-_.]+", "-", distribution.strip()).lower()


def load_registry(extra_plugins: Iterable[tuple[object, str]] = ()) -> Registry:
    """A registry with every installed plugin, plus (plugin, name) pairs given in-process."""
    registry = Registry()
    registry.load_entry_points()
    for plugin, name in extra_plugins:
        registry.add_plugin(plugin, name)
    return registry
