"""Shell completion of part names and of options' choices, from the plugin registry alone (torch-free)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

DEVICES = ("auto", "cpu", "cuda")


def starting_with(words: Iterable[str], incomplete: str) -> list[str]:
    return [word for word in words if word.startswith(incomplete)]


def choices(*words: str) -> Callable[[str], list[str]]:
    """Complete one of fixed words (--format, --precision, --device ...)."""

    def complete(incomplete: str) -> list[str]:
        return starting_with(words, incomplete)

    return complete


def part_names(*kinds: str, also: tuple[str, ...] = ()) -> Callable[[str], list[str]]:
    """Complete the names of the installed parts of these kinds (all kinds when none is given), and `also`."""

    def complete(incomplete: str) -> list[str]:
        from gantool.kinds import KINDS
        from gantool.registry import load_registry

        with warnings.catch_warnings():  # a broken plugin is for list-plugins to report, not for the shell
            warnings.simplefilter("ignore")
            registry = load_registry()
        names = {name for kind in (kinds or [kind.name for kind in KINDS]) for name in registry.names(kind)}
        names.update(also)
        return starting_with(sorted(names), incomplete)

    return complete
