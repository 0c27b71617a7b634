"""A trial's `gantool train`, each in a process of its own, forked from a server process that imported torch and
gantool's trainer once: a trial then starts at once instead of importing them again (seconds of CPU on 2 cores),
and stays as isolated as a fresh process (its own signals, memory and exit code; a crash or a kill ends it only)."""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

PRELOAD = ["gantool.cli", "gantool.training.run", "gantool.training.trainer", "torch.optim"]
_context: Any = None


def _forkserver() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


class TrainProcess:
    """`gantool train ARGUMENTS` with its output in `log`; polled, signalled and waited for like a subprocess."""

    def __init__(self, arguments: list[str], log: Path) -> None:
        self.process = _forkserver().Process(target=_train, args=(arguments, str(log)), name="gantool-trial")
        self.process.start()

    def poll(self) -> int | None:
        """Its exit code (negative: the signal that ended it), or None while it runs."""
        return self.process.exitcode

    def send_signal(self, signum: int) -> None:
        if self.process.exitcode is None and self.process.pid is not None:
            os.kill(self.process.pid, signum)

    def wait(self, timeout: float | None = None) -> int | None:
        self.process.join(timeout)
        return self.process.exitcode

    def kill(self) -> None:
        self.process.kill()


def _train(arguments: list[str], log: str) -> None:
    """In the trial's process: its output to the log file, then the command as `gantool train` runs it."""
    sys.stdout.flush(), sys.stderr.flush()
    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1), os.dup2(output, 2), os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    from gantool.cli import main

    main(["train", *arguments])
