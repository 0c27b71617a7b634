"""How a run stands: finished, running, stopped or failed. The training process records how it ended in
RUN/outcome.json; whether it still runs is read from the kernel's lock table, never by taking the run lock, so
looking at a run can neither block nor disturb the process training it. Torch-free."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from gantool.errors import first_line
from gantool.storage.checkpoint import atomic_write_text
from gantool.storage.rundir import RunDir, latest_checkpoint
from gantool.storage.trackers import Trackers

PROC_LOCKS = Path("/proc/locks")


@dataclass(frozen=True)
class RunState:
    """One of finished, running, stopped or failed, with the reason a stopped or failed run gave."""

    state: str
    reason: str = ""


def record_outcome(run: RunDir, state: str, reason: str) -> None:
    """Write how training ended (stopped or failed, and why); a new start of the run removes it."""
    atomic_write_text(run.outcome, json.dumps({"state": state, "reason": reason}))


@contextmanager
def ending(run: RunDir, trackers: Trackers, *, records: bool) -> Iterator[None]:
    """Around the training loop: tell the trackers how the run ended, and record a stop or failure in the run."""
    from gantool.training.signals import TrainingInterrupted

    try:
        yield
    except BaseException as exc:
        state = "stopped" if isinstance(exc, TrainingInterrupted | KeyboardInterrupt) else "failed"
        if records:
            with suppress(OSError):  # the disk that failed the run may refuse this too; the error says more
                record_outcome(run, state, first_line(exc))
        trackers.end(state)
        raise
    trackers.end("finished")


def is_running(run: RunDir) -> bool:
    """Whether a process holds the run's lock: its lock file's inode in /proc/locks (read-only); where the kernel
    has no such table, whether the PID written in the lock file is alive."""
    try:
        info = run.lock.stat()
    except OSError:
        return False
    try:
        table = PROC_LOCKS.read_text()
    except OSError:
        return _pid_alive(run.lock)
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    return any(line.split()[5] == device for line in table.splitlines() if len(line.split()) > 5 and
               line.split()[1] == "FLOCK")


def _pid_alive(lock: Path) -> bool:
    try:
        pid = int(lock.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def run_state(run: RunDir) -> RunState:
    """finished (its export exists), running (a process holds its lock), else what its training recorded; a run
    that ended without a record (killed) counts as stopped when a checkpoint lets it resume, failed otherwise."""
    if run.finished:
        return RunState("finished")
    if is_running(run):
        return RunState("running")
    try:
        record = json.loads(run.outcome.read_text(encoding="utf-8"))
        return RunState(str(record["state"]), str(record.get("reason", "")))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if latest_checkpoint(run.path) is not None:
        return RunState("stopped", "ended without a record (killed?); resume it from its last checkpoint")
    return RunState("failed", "ended before its first checkpoint without a record (killed?)")
