"""One training process per run folder: an exclusive flock on a lock file that holds the owner's PID.

Two trainings writing into one folder would prune each other's files and leave a config.toml that describes
another run than the export. An flock belongs to the open file, so the kernel drops it when its owner dies,
however it dies (SIGKILL included): a lock left by a killed process is simply taken over. Torch-free.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from gantool.errors import GantoolError


class RunLock:
    """Held from `acquire` until `release` (or the end of a `with` block, or the process)."""

    def __init__(self, path: Path, run: Path) -> None:
        self.path, self.run = path, run
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock or fail in one line naming the process that holds it."""
        # O_NOFOLLOW: a link planted in place of the lock file must not make us write elsewhere
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise GantoolError(f"{self.run} is in use by another gantool train (PID {holder}); wait for it to end "
                               "or stop it, or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        """Let the next process in (the file stays: removing it would race with one about to lock it)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
