"""A whole plugin checked at once: registered alone, every part it provides run through its kind's check,
its commands added beside gantool's own, and its hook module kept free of torch."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any

from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool.options import option_specs
from gantool.registry import Registry
from gantool.testing.augmentations import check_augmentation
from gantool.testing.common import DEFAULT_SPECS, fail
from gantool.testing.datasets import check_dataset
from gantool.testing.discriminators import check_architecture, check_discriminator
from gantool.testing.generators import check_generator
from gantool.testing.losses import check_loss
from gantool.testing.trackers import check_tracker

BUILTIN_PLUGIN = "gantool_builtins.plugin"  # gantool's own commands come from it


def check_torch_free_import(module: str) -> None:
    """Import `module` in a fresh interpreter and fail if that imports torch (it would slow `gantool --help`)."""
    code = f"import sys, importlib; importlib.import_module({module!r}); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        fail(f"importing {module} failed: {result.stderr.strip().splitlines()[-1:]}")
    if result.stdout.strip() != "False":
        fail(f"importing {module} imports torch; import torch inside the factories, so `gantool --help` and "
             "`gantool list-plugins` stay fast")


def check_plugin(plugin: object, *, specs: Iterable[DataSpec] = DEFAULT_SPECS,
                 options: Mapping[str, Mapping[str, Any]] | None = None, datasets: bool = True) -> Registry:
    """Register a plugin (module or object) alone and check every part it provides on each spec.

    `options` maps a component name to options to build it with (e.g. tiny widths for speed); for an
    architecture each option goes to whichever of G and D has it, and G and D are also checked together.
    A part may refuse a spec it cannot serve by raising GantoolError (its one-line user error), but not
    every spec. Datasets are built with their defaults unless `datasets=False` (files or a download needed).
    """
    registry = Registry()
    info = registry.add_plugin(plugin, "plugin-under-test")
    if info.error is None:
        add_commands(registry, beside_builtins=plugin is not import_module(BUILTIN_PLUGIN))
    if info.error:
        fail(f"the plugin failed to register: {info.error}")
    if not info.provides:
        fail("the plugin registers nothing; implement register_generators, register_losses, ..., register_commands "
             "with @hookimpl")
    options = options or {}
    unknown = sorted(set(options) - {c.name for kind in registry.components.values() for c in kind})
    if unknown:
        fail(f"options were given for {unknown}, which the plugin does not register; check the names")
    _check_architectures(registry, list(specs), options)
    for component in registry.components["loss"]:
        check_loss(component.factory, options.get(component.name))
    for component in registry.components["augmentation"]:
        check_augmentation(component.factory, options.get(component.name))
    for component in registry.components["tracker"]:
        check_tracker(component.factory, options.get(component.name))
    for component in registry.components["dataset"] if datasets else ():
        check_dataset(component.factory, options.get(component.name))
    return registry


def _check_architectures(registry: Registry, specs: list[DataSpec], options: Mapping[str, Mapping[str, Any]]) -> None:
    """Each generator and discriminator on every spec it accepts (a pair of one name together), at least one."""
    generators = {c.name: c.factory for c in registry.components["generator"]}
    discriminators = {c.name: c.factory for c in registry.components["discriminator"]}
    for name in sorted(generators.keys() | discriminators.keys()):
        gen, disc = generators.get(name), discriminators.get(name)
        gen_options, disc_options = _split_options(name, options.get(name, {}), gen, disc)
        served = 0
        for spec in specs:
            try:
                if gen is not None and disc is not None:
                    check_architecture(gen, disc, spec, gen_options, disc_options)
                elif gen is not None:
                    check_generator(gen, spec, gen_options)
                else:
                    check_discriminator(disc, spec, disc_options)
                served += 1
            except GantoolError:
                continue
        if not served:
            fail(f"architecture {name!r} refused every DataSpec tried ({specs}); pass `specs` it can build")


def add_commands(registry: Registry, *, beside_builtins: bool = True) -> None:
    """Let the registry's plugins add their commands (beside gantool's own, as in the CLI): a name that clashes
    with a built-in command marks the plugin failed, with the reason."""
    import warnings

    import typer

    from gantool.commands import add_builtin_commands
    from gantool.registry import PluginWarning

    app = typer.Typer()
    if beside_builtins:
        add_builtin_commands(app, lambda: registry)
    with warnings.catch_warnings():  # the failure is reported by the check itself
        warnings.simplefilter("ignore", PluginWarning)
        registry.register_commands(app)


def _split_options(name: str, given: Mapping[str, Any], *factories: Callable[..., Any] | None) -> list[dict[str, Any]]:
    """Give each of an architecture's factories the options it declares; fail on ones neither declares."""
    declared = [{spec.name for spec in option_specs(f)} if f is not None else set() for f in factories]
    unknown = sorted(set(given) - set().union(*declared))
    if unknown:
        fail(f"option {unknown[0]!r} given for {name!r} is declared by neither its generator nor discriminator")
    return [{key: value for key, value in given.items() if key in names} for names in declared]
