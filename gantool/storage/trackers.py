"""The experiment trackers of a run (`--track NAME`, `--set track.KEY=VALUE`): built and checked before training,
then fed by the run log on rank 0. A tracker that fails is reported in one line and dropped; the run goes on."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from gantool.errors import GantoolError, GantoolWarning, did_you_mean, first_line
from gantool.options import option_specs, resolve_options
from gantool.registry import Registry


class TrackerWarning(GantoolWarning):
    """A tracker failed and was dropped; the run goes on and its own files are complete."""


class Trackers:
    """Hands each event of a run to every tracker still working, in the order they were named."""

    def __init__(self, trackers: Sequence[tuple[str, Any]] = ()) -> None:
        self.active = list(trackers)
        self.ended = False

    def __bool__(self) -> bool:
        return bool(self.active)

    def _call(self, method: str, *args: Any) -> None:
        for name, tracker in list(self.active):
            try:
                getattr(tracker, method)(*args)
            except Exception as exc:  # a tracker must never stop or corrupt the run
                self.active.remove((name, tracker))
                warnings.warn(TrackerWarning(f"tracker {name!r} failed in {method}: {type(exc).__name__}: "
                                             f"{first_line(exc, '')}; the run goes on without it (its own files "
                                             "are complete)"), stacklevel=3)
                if method != "end":  # let it release what it holds (a connection, an open file)
                    with suppress(Exception):  # it was already reported once
                        tracker.end("failed")

    def start(self, run: Path, config: Mapping[str, Any]) -> None:
        self._call("start", run, config)

    def metrics(self, step: int, values: Mapping[str, float]) -> None:
        self._call("log_metrics", step, values)

    def samples(self, step: int, grid: Path) -> None:
        self._call("log_samples", step, grid)

    def evaluation(self, step: int, values: Mapping[str, float], protocol: Mapping[str, Any]) -> None:
        self._call("log_evaluation", step, values, protocol)

    def export(self, path: Path) -> None:
        self._call("log_export", path)

    def end(self, state: str) -> None:
        """The run ended as `state` (finished, stopped or failed); each tracker hears it once."""
        if not self.ended:
            self.ended = True
            self._call("end", state)


def tracker_names(track: Sequence[str], tensorboard: bool) -> list[str]:
    """The trackers a run uses: --track's, in order and once each, and `tensorboard` for --tensorboard (its alias)."""
    names = list(dict.fromkeys(track))
    if tensorboard and "tensorboard" not in names:
        names.append("tensorboard")
    return names


def build_trackers(registry: Registry, names: Sequence[str], options: Mapping[str, Any]) -> Trackers:
    """Resolve and build the named trackers; each `track.KEY` goes to every named tracker that has that option, and
    a key none of them has (or one given without --track) is refused in one line before anything starts."""
    from gantool.assembly import construct

    components = [registry.get("tracker", name) for name in names]
    if options and not components:
        raise GantoolError(f"--set track.{next(iter(options))} was given without --track; name a tracker (e.g. "
                           "--track tensorboard) or drop the track.* settings")
    known = {component.name: {spec.name for spec in option_specs(component.factory)} for component in components}
    every = set().union(*known.values())
    for key in options:
        if key not in every:
            listing = ", ".join(sorted(every)) or "none"
            raise GantoolError(f"--set track.{key}: no tracker of this run ({', '.join(names)}) has that option"
                               f"{did_you_mean(key, every)}; their options: {listing} (see gantool describe NAME)")
    built = []
    for component in components:
        mine = {key: value for key, value in options.items() if key in known[component.name]}
        built.append((component.name, construct(component, **resolve_options(component.factory, mine, "track"))))
    return Trackers(built)
