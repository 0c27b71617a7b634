"""The two Rich consoles every command prints through: results to stdout, errors and warnings to stderr.

Text that comes from the user, a file or a plugin never reaches them as markup or as terminal control codes:
`clean` drops control characters (ANSI escapes included) and `literal` also escapes Rich markup, so a `[/]`
in a path or an escape sequence in metadata is printed as harmless text.
"""

import re
from typing import Any

from rich.console import Console
from rich.markup import escape


class LineConsole(Console):
    """A Console that never wraps a line when its output is not a terminal, so each record stays on one line for
    scripts, and leaves a closed pipe to the CLI (which ends quietly) instead of exiting 1 itself."""

    def print(self, *objects: Any, soft_wrap: bool | None = None, **options: Any) -> None:
        super().print(*objects, soft_wrap=not self.is_terminal if soft_wrap is None else soft_wrap, **options)

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


err_console = LineConsole(stderr=True)
out_console = LineConsole()

# ANSI escape sequences (CSI ... final byte, OSC ... BEL/ST, two-byte ESC x), then any other C0/C1 control but
# newline and tab.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]"
                      r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: object) -> str:
    """`text` as a string without terminal control characters, so file or plugin text cannot drive the terminal."""
    return _CONTROL.sub("", str(text))


def literal(text: object) -> str:
    """`text` cleaned and escaped, to be placed inside a Rich markup string and printed exactly as written."""
    return escape(clean(text))
