"""The two Rich consoles every command prints through: results to stdout, errors and warnings to stderr.

Text that comes from the user, a file or a plugin never reaches them as markup or as terminal control codes:
`clean` drops control characters (ANSI escapes included) and `literal` also escapes Rich markup, so a `[/]`
in a path or an escape sequence in metadata is printed as harmless text.
"""

import re

from rich.console import Console
from rich.markup import escape

err_console = Console(stderr=True)
out_console = Console()

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
