"""The kinds of part a plugin can register, in one table: adding a kind is adding one row.

The registry reads the hook names, `--set` reads the prefixes, assembly reads whether a factory takes the
DataSpec, and `describe` / `list-plugins` read the names and plurals. Torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PartKind:
    """One kind of part: how it is named, set, registered and built."""

    name: str  # as in messages and `list-plugins`: "generator"
    prefix: str  # of its options on the command line: --set gen.depth=32
    hook: str  # the pluggy hook that registers its factories
    plural: str  # "losses", not "losss"
    takes_spec: bool  # factory(spec, **options) when true, factory(**options) when false


KINDS: tuple[PartKind, ...] = (
    PartKind("generator", "gen", "register_generators", "generators", takes_spec=True),
    PartKind("discriminator", "disc", "register_discriminators", "discriminators", takes_spec=True),
    PartKind("loss", "loss", "register_losses", "losses", takes_spec=False),
    PartKind("dataset", "data", "register_datasets", "datasets", takes_spec=False),
    PartKind("augmentation", "aug", "register_augmentations", "augmentations", takes_spec=False),
    PartKind("tracker", "track", "register_trackers", "trackers", takes_spec=False),
)
BY_NAME = {kind.name: kind for kind in KINDS}
BY_PREFIX = {kind.prefix: kind for kind in KINDS}
PREFIXES = tuple(BY_PREFIX)

