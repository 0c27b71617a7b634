"""The two Rich consoles every command prints through: results to stdout, errors and warnings to stderr."""

from rich.console import Console

err_console = Console(stderr=True)
out_console = Console()
