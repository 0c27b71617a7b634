"""Trackers are a plugin kind: --track NAME hands them the run (config, metrics, grids, evaluations, export, end);
one that fails is one warning line and the run goes on, whole; tensorboard is the built-in one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pytest

from gantool import hookimpl
from gantool.options import Option
from gantool.testing import check_tracker
from tests.conftest import TINY

EVENTS: list[tuple] = []


class Recorder:
    def __init__(self, fail_in: str) -> None:
        self.fail_in = fail_in

    def _event(self, name: str, *args) -> None:
        EVENTS.append((name, *args))
        if name == self.fail_in:
            raise ConnectionError("server down")

    def start(self, run, config):
        self._event("start", Path(run), dict(config))

    def log_metrics(self, step, values):
        self._event("log_metrics", step, dict(values))

    def log_samples(self, step, grid):
        self._event("log_samples", step, Path(grid))

    def log_evaluation(self, step, values, protocol):
        self._event("log_evaluation", step, dict(values))

    def log_export(self, export):
        self._event("log_export", Path(export))

    def end(self, state):
        self._event("end", state)


def recorder(*, fail_in: Annotated[str, Option("method that raises, or none")] = "none") -> Recorder:
    """Records every event; fails in one method on request."""
    return Recorder(fail_in)


class RecorderPlugin:
    @hookimpl
    def register_trackers(self, register):
        register("recorder", recorder)


PLUGIN = [(RecorderPlugin(), "recording")]


@pytest.fixture(autouse=True)
def fresh_events():
    EVENTS.clear()


def test_a_tracker_receives_the_whole_run(cli, tmp_path):
    run = tmp_path / "run"
    result = cli("train", *TINY, "--track", "recorder", "--sample-every", "2", "--eval-every", "3", "--eval-num", "16",
                 "--out", str(run), extra_plugins=PLUGIN)
    assert result.code == 0, result.err
    names = [event[0] for event in EVENTS]
    assert names[0] == "start" and names[-2:] == ["log_export", "end"] and EVENTS[-1] == ("end", "finished")
    start = EVENTS[0]
    assert start[1] == run and start[2]["track"] == ["recorder"] and start[2]["options"]["gen"]["depth"] == 8
    assert [event[1] for event in EVENTS if event[0] == "log_metrics"] == [1, 2, 3]
    assert [event[1] for event in EVENTS if event[0] == "log_samples"] == [2, 3]
    (evaluation,) = [event for event in EVENTS if event[0] == "log_evaluation"]
    assert evaluation[1] == 3 and evaluation[2]["frechet_distance"] > 0
    assert EVENTS[-2] == ("log_export", run / "generator.safetensors")


@pytest.mark.parametrize("method", ["start", "log_metrics", "log_samples"])
def test_a_failing_tracker_is_one_line_and_the_run_goes_on_whole(cli, tmp_path, method):
    run = tmp_path / "run"
    result = cli("train", *TINY, "--track", "recorder", "--set", f"track.fail_in={method}", "--out", str(run),
                 extra_plugins=PLUGIN)
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "tracker 'recorder' failed" in line]
    assert len(warnings) == 1 and f"in {method}: ConnectionError: server down" in warnings[0]
    assert [event[0] for event in EVENTS].count(method) == 1  # dropped after its failure ...
    assert EVENTS[-1] == ("end", "failed")  # ... and told to let go of what it holds
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3] and (run / "generator.safetensors").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--track", "recorder", "--set", "track.colour=red"], "no tracker of this run (recorder) has that option"),
    (["--set", "track.fail_in=start"], "was given without --track"),
    (["--track", "recordr"], "unknown tracker 'recordr' (did you mean 'recorder'?)"),
])
def test_bad_tracker_settings_are_one_line_before_the_run(cli, tmp_path, args, message):
    result = cli("train", *TINY, *args, "--out", str(tmp_path / "run"), extra_plugins=PLUGIN)
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert not (tmp_path / "run").exists()


def test_trackers_are_listed_and_described(cli):
    listing = cli("list-plugins", "--json", extra_plugins=PLUGIN)
    provides = {plugin["plugin"]: plugin["provides"] for plugin in json.loads(listing.out)}
    assert "tracker:tensorboard" in provides["builtins"] and provides["recording"] == ["tracker:recorder"]
    described = cli("describe", "recorder", extra_plugins=PLUGIN)
    assert described.code == 0 and "track.fail_in" in described.out


def test_check_tracker_passes_a_good_tracker_and_names_a_broken_one(tmp_path):
    check_tracker(recorder)
    assert [event[0] for event in EVENTS] == ["start", "log_metrics", "log_samples", "log_evaluation", "log_export",
                                              "end"]

    class Scribbler(Recorder):
        def log_samples(self, step, grid):
            Path(grid).write_bytes(b"")

    with pytest.raises(AssertionError, match=r"changed the run's files \['samples/step-0000002.png'\]"):
        check_tracker(lambda: Scribbler("none"))
    with pytest.raises(AssertionError, match="which lacks log_metrics, log_samples, log_evaluation, log_export, end"):
        check_tracker(lambda: type("Half", (), {"start": lambda self, run, config: None})())


def test_the_tensorboard_tracker_keeps_the_contract():
    pytest.importorskip("tensorboard")
    from gantool_builtins.trackers import tensorboard

    check_tracker(tensorboard)
