"""Where a run's numbers go: one JSON line each in metrics.jsonl (rank 0 only), the run's experiment trackers
(--track, rank 0 only), and the progress display."""

from __future__ import annotations

import json
import os
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import Any

from gantool.storage.rundir import RunDir
from gantool.storage.trackers import Trackers
from gantool.training.progress import TrainingDisplay


class RunLog:
    """Open for the length of a run (`with RunLog(...) as log`); each line is written whole or not at all."""

    def __init__(self, run: RunDir, display: TrainingDisplay, *, writes: bool,
                 trackers: Trackers | None = None) -> None:
        self.path = run.metrics if writes else Path(os.devnull)
        self.display = display
        self.trackers = trackers if trackers is not None and writes else Trackers()

    def __enter__(self) -> RunLog:
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        os.close(self.fd)

    def _write(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record) + "\n").encode("utf-8")
        size = os.fstat(self.fd).st_size
        try:
            written = 0
            while written < len(line):
                written += os.write(self.fd, line[written:])
        except OSError as exc:  # a full disk can take half a line: cut it off, so readers never meet it
            with suppress(OSError):
                os.ftruncate(self.fd, size)
            raise OSError(exc.errno, exc.strerror, os.fspath(self.path)) from None

    def sample_grid(self, step: int, grid: Path) -> None:
        """A fixed-noise sample grid written at `step`, for the trackers."""
        self.trackers.samples(step, grid)

    def exported(self, export: Path) -> None:
        """The run's export, written at its end, for the trackers."""
        self.trackers.export(export)

    def metrics(self, step: int, epoch: int, values: dict[str, float]) -> None:
        """One logged line of training metrics (means since the last line)."""
        self._write({"step": step, "epoch": epoch, **values})
        self.trackers.metrics(step, values)
        self.display.metrics(step, epoch, values)

    def evaluation(self, step: int, epoch: int, values: dict[str, float], protocol: dict[str, Any]) -> None:
        """One evaluation of the sampler (--eval-every), with the protocol it was measured under."""
        self._write({"step": step, "epoch": epoch, "eval": values, "eval_protocol": protocol})
        self.trackers.evaluation(step, values, protocol)
        self.display.message(f"step {step} evaluation: " + ", ".join(
            f"{key.replace('_', ' ')} {value:.4g}" for key, value in values.items()))
