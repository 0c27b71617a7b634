"""Live feedback while training: a progress display on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.progress import Progress, Task
from rich.text import Text

from gantool.consoles import LineConsole, clean

METRIC_FORMAT = "D {d_loss:.3f} (real {d_real:.3f} fake {d_fake:.3f})  G {g_loss:.3f}  D(x) {d_x:.2f}  " \
                "D(G(z)) {d_g_z:.2f}  {images_per_s:.0f} img/s"
GAP = "  "
BAR_WIDTH = (10, 40)  # the bar takes what the line leaves, within these bounds


def clock(seconds: float | None) -> str:
    """Seconds as h:mm:ss, or dashes while unknown."""
    return "-:--:--" if seconds is None else str(timedelta(seconds=int(seconds)))


def essentials(task: Task) -> tuple[str, list[str]]:
    """What every width shows: step/total before the bar; losses, speed and ETA after it."""
    values = task.fields["values"]
    after = [f"D {values['d_loss']:.3f}", f"G {values['g_loss']:.3f}", f"{values['images_per_s']:.0f} img/s"] \
        if values else []
    return f"step {task.completed:.0f}/{task.total:.0f}", [*after, f"eta {clock(task.time_remaining)}"]


def details(task: Task) -> list[str]:
    """What a wide line adds, most useful first; a narrow one shows them on a second line, as many as fit."""
    values = task.fields["values"]
    found = [f"epoch {task.fields['epoch']}", f"elapsed {clock(task.elapsed)}"]
    if values:
        found.append(f"D real {values['d_real']:.3f} fake {values['d_fake']:.3f}")
        found += [f"{name} {values[key]:.2f}" for name, key in (("D(x)", "d_x"), ("D(G(z))", "d_g_z")) if key in values]
    return found


def fitting(parts: Iterable[str], width: int) -> str:
    """The parts, in order, that fit in `width` columns joined by gaps; the first always."""
    line = ""
    for part in parts:
        candidate = f"{line}{GAP}{part}" if line else part
        if line and len(candidate) > width:
            break
        line = candidate
    return line


class ProgressLines:
    """One task as one line at any width of 80 columns or more (a second line for the details when narrow)."""

    def __init__(self, task: Task) -> None:
        self.task = task

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        before, after = essentials(self.task)
        extra = GAP.join(details(self.task))
        fixed = len(before) + len(GAP.join(after)) + 2 * len(GAP)
        one_line = width - fixed - len(GAP) - len(extra) >= BAR_WIDTH[0]
        room = width - fixed - (len(GAP) + len(extra) if one_line else 0)
        line = Text(before + GAP)
        line.append_text(self.bar(max(BAR_WIDTH[0], min(BAR_WIDTH[1], room))))
        line.append(GAP + GAP.join(after))
        if one_line:
            line.append(GAP + extra, style="dim")
            yield line
        else:
            yield line
            yield Text(fitting(details(self.task), width), style="dim")

    def bar(self, width: int) -> Text:
        """The bar, `width` cells, filled in proportion to the steps done."""
        done = round(width * self.task.completed / self.task.total) if self.task.total else 0
        return Text.assemble(("━" * done, "bar.complete" if done < width else "bar.finished"),
                             ("━" * (width - done), "bar.back"))


class LineProgress(Progress):
    """A Rich progress display whose tasks lay themselves out for the terminal's width (ProgressLines)."""

    def get_renderables(self) -> Iterable[ProgressLines]:
        yield from (ProgressLines(task) for task in self.tasks)


class TrainingDisplay:
    """Shows step, epoch and the latest logged metrics; `quiet` shows nothing but errors."""

    def __init__(self, total_steps: int, *, quiet: bool = False, console: Console | None = None) -> None:
        self.console = console or LineConsole(stderr=True)
        self.quiet = quiet
        self.interactive = self.console.is_terminal and not quiet
        self.total = total_steps
        self.progress: Progress | None = None
        if self.interactive:
            self.progress = LineProgress(console=self.console, transient=False)
            self.task = self.progress.add_task("train", total=total_steps, epoch=0, values={})

    def __enter__(self) -> TrainingDisplay:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def message(self, text: str | Text) -> None:
        """A line above the live display, printed as written (names and paths may hold `[` or control codes);
        never wrapped by gantool (the terminal folds it), so paths copy whole."""
        if not self.quiet:
            self.console.print(text if isinstance(text, Text) else Text(clean(text)), highlight=False, soft_wrap=True)

    def advance(self, step: int, epoch: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=step, epoch=epoch)

    def metrics(self, step: int, epoch: int, values: Mapping[str, Any]) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=step, epoch=epoch, values=dict(values))
        elif not self.quiet:
            print(f"step {step}/{self.total} epoch {epoch}  {METRIC_FORMAT.format(**values)}", file=sys.stderr,
                  flush=True)

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
