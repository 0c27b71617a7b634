"""Clean stops: the first SIGINT or SIGTERM asks training to stop after the current step; a second stops at once.

Schedulers send SIGTERM and users press Ctrl-C; either way the run should end with a checkpoint it can
resume from, and the exit code tells a script which signal ended it (128 + the signal number).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from gantool.storage.rundir import RunDir

if TYPE_CHECKING:
    from gantool.training.distributed import Cluster

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Records the first stop signal; the trainer polls `requested` between steps."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        """The shell convention for a process ended by a signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + (self.signum or 0)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "no signal"

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """First signal: remember it. Second: stop now (StopNow unwinds, temp files are removed)."""
        if self.signum is not None:
            raise StopNow(signum)
        self.signum = signum

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Catch SIGINT and SIGTERM inside the block, restoring the previous handlers afterwards."""
        if threading.current_thread() is not threading.main_thread():
            yield self  # signals only reach the main thread; elsewhere there is nothing to install
            return
        previous = {signum: signal.signal(signum, self.handle) for signum in STOP_SIGNALS}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


class StopNow(KeyboardInterrupt):
    """A second stop signal: training ends at once, without a new checkpoint."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal that ended the run, as for a clean stop."""
        return 128 + self.signum


class TrainingStopped(Exception):
    """Raised by the trainer after a stop signal, once the current step is done and saved."""

    def __init__(self, step: int, checkpoint: Path) -> None:
        super().__init__(f"stopped after step {step}; checkpoint {checkpoint}")
        self.step, self.checkpoint = step, checkpoint


class TrainingInterrupted(Exception):
    """A run that stopped on a signal with its checkpoint saved: the message says how to continue; `exit_code`
    is the shell's code for the signal; only the main process of a distributed run reports it."""

    def __init__(self, message: str, exit_code: int, *, is_main: bool = True) -> None:
        super().__init__(message)
        self.exit_code, self.is_main = exit_code, is_main


def stop_message(request: StopRequest, stopped: TrainingStopped, run_dir: Path) -> str:
    """What the user needs after a clean stop: why, where the checkpoint is, and how to continue."""
    return (f"{request.name} received: stopped after step {stopped.step}, checkpoint saved to {stopped.checkpoint}; "
            f"continue with: gantool train --resume {run_dir}")


def stop_now_message(stop: StopNow, checkpoint: Path | None, run_dir: Path) -> str:
    """What the user needs after a second signal: that nothing new was saved, and what to run next."""
    said = f"{signal.Signals(stop.signum).name} received while stopping: stopped at once"
    if checkpoint is None:
        return f"{said}, before the run's first checkpoint; start it again with: {RunDir(run_dir).restart_command}"
    return (f"{said}, without a new checkpoint (the newest is {checkpoint}); continue with: gantool train "
            f"--resume {run_dir}")


def any_rank(cluster: Cluster, flag: bool) -> bool:
    """True on every process when `flag` is true on any: ranks must stop and save after the same step."""
    if not cluster.active:
        return flag
    import torch
    import torch.distributed as dist

    shared = torch.tensor([int(flag)], device=cluster.comm_device)
    dist.all_reduce(shared, op=dist.ReduceOp.MAX)
    return bool(shared.item())
