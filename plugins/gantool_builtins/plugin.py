"""Entry point of the built-in plugins: registers each part by name without importing torch.

The factories live in torch-free modules and import their torch code only when called, so
`gantool --help` and `gantool list-plugins` stay fast.
"""

from gantool import hookimpl
from gantool_builtins import architectures, augmentations, datasets, losses, trackers


@hookimpl
def register_generators(register):
    for name, factory in architectures.GENERATORS.items():
        register(name, factory)


@hookimpl
def register_discriminators(register):
    for name, factory in architectures.DISCRIMINATORS.items():
        register(name, factory)


@hookimpl
def register_losses(register):
    for name, factory in losses.LOSSES.items():
        register(name, factory)


@hookimpl
def register_datasets(register):
    for name, factory in datasets.DATASETS.items():
        register(name, factory)


@hookimpl
def register_augmentations(register):
    for name, factory in augmentations.AUGMENTATIONS.items():
        register(name, factory)


@hookimpl
def register_trackers(register):
    for name, factory in trackers.TRACKERS.items():
        register(name, factory)


@hookimpl
def register_commands(app, registry):
    from gantool.commands import add_builtin_commands

    add_builtin_commands(app, registry)
