"""The pluggy hook specifications every gantool plugin may implement (entry-point group `gantool`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "gantool"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[[str, Callable[..., Any]], None]


@hookspec
def register_generators(register: Register) -> None:
    """Call register(name, factory) for each generator; factory(spec, **options) builds it."""


@hookspec
def register_discriminators(register: Register) -> None:
    """Call register(name, factory) for each discriminator; factory(spec, **options) builds it."""


@hookspec
def register_losses(register: Register) -> None:
    """Call register(name, factory) for each loss; factory(**options) builds it."""


@hookspec
def register_datasets(register: Register) -> None:
    """Call register(name, factory) for each dataset; factory(**options) returns a DatasetBundle."""


@hookspec
def register_augmentations(register: Register) -> None:
    """Call register(name, factory) for each augmentation; factory(**options) builds it (see interfaces)."""


@hookspec
def register_trackers(register: Register) -> None:
    """Call register(name, factory) for each experiment tracker; factory(**options) builds it (see interfaces)."""


@hookspec
def register_commands(app: Any, registry: Callable[[], Any]) -> None:
    """Add Typer subcommands to the gantool app; registry() gives the Registry, for commands to call when run."""
