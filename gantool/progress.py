"""Live feedback while training: a Rich progress bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from gantool.consoles import clean

METRIC_FORMAT = "D {d_loss:.3f} (real {d_real:.3f} fake {d_fake:.3f})  G {g_loss:.3f}  D(x) {d_x:.2f}  " \
                "D(G(z)) {d_g_z:.2f}  {images_per_s:.0f} img/s"


class TrainingDisplay:
    """Shows step, epoch and the latest logged metrics; `quiet` shows nothing but errors."""

    def __init__(self, total_steps: int, *, quiet: bool = False, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.quiet = quiet
        self.interactive = self.console.is_terminal and not quiet
        self.total = total_steps
        self.progress: Progress | None = None
        if self.interactive:
            self.progress = Progress(
                TextColumn("epoch {task.fields[epoch]}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[metrics]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self.task = self.progress.add_task("train", total=total_steps, epoch=0, metrics="")

    def __enter__(self) -> TrainingDisplay:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def message(self, text: str | Text) -> None:
        """A line of news; plain text is printed as written (names and paths may hold `[` or control codes)."""
        if not self.quiet:
            self.console.print(text if isinstance(text, Text) else Text(clean(text)), highlight=False)

    def advance(self, step: int, epoch: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=step, epoch=epoch)

    def metrics(self, step: int, epoch: int, values: Mapping[str, Any]) -> None:
        text = METRIC_FORMAT.format(**values)
        if self.progress is not None:
            self.progress.update(self.task, completed=step, epoch=epoch, metrics=text)
        elif not self.quiet:
            print(f"step {step}/{self.total} epoch {epoch}  {text}", file=sys.stderr, flush=True)

    def epoch_done(self, epoch: int, values: Mapping[str, Any]) -> None:
        """One line per finished epoch: its time, speed and mean losses."""
        if self.quiet:
            return
        line = (f"epoch {epoch} done in {values['seconds']:.1f} s ({values['images_per_s']:.0f} img/s)  "
                f"D {values['d_loss']:.3f}  G {values['g_loss']:.3f}  D(x) {values['d_x']:.2f}  "
                f"D(G(z)) {values['d_g_z']:.2f}")
        if self.progress is not None:
            self.progress.console.print(line, highlight=False)
        else:
            print(line, file=sys.stderr, flush=True)
