"""The two Rich consoles every command prints through: results to stdout, errors and warnings to stderr."""

from typing import Any

from rich.console import Console


class LineConsole(Console):
    """A Console that never wraps a line when its output is not a terminal, so each record stays on one line for
    scripts, and leaves a closed pipe to the CLI (which ends quietly) instead of exiting 1 itself."""

    def print(self, *objects: Any, soft_wrap: bool | None = None, **options: Any) -> None:
        super().print(*objects, soft_wrap=not self.is_terminal if soft_wrap is None else soft_wrap, **options)

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


err_console = LineConsole(stderr=True)
out_console = LineConsole()
