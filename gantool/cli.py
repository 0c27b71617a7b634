"""The command line: a Typer app built by `create_app`, composing parts by name from the registry.

Heavy modules (torch, the trainer) are imported inside the commands, so `gantool --help` and
`gantool list-plugins` start quickly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import warnings
from collections.abc import Iterable
from typing import Annotated, Any

import typer
from rich.markup import escape

from gantool import __version__
from gantool._click_compat import exceptions as click_errors
from gantool.consoles import err_console
from gantool.errors import BROKEN_PIPE, EXIT_CODES, GantoolError, GantoolWarning
from gantool.registry import BUILTIN_DISTRIBUTION, load_registry


def create_app(extra_plugins: Iterable[tuple[object, str]] = ()) -> typer.Typer:
    """Build the app; `extra_plugins` are (plugin, name) pairs registered in-process (tests, embedding)."""
    app = typer.Typer(
        name="gantool",
        help="Train, sample and evaluate GANs composed from plugin parts by name.",
        epilog="Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()) + ".",
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root_options)
    registry = load_registry(extra_plugins)
    registry.register_commands(app)  # the built-in commands come through this hook too
    if not any(plugin.package == BUILTIN_DISTRIBUTION and plugin.error is None for plugin in registry.plugins.values()):
        raise GantoolError("gantool's built-in plugin did not load, so no command is available; reinstall gantool "
                           "(pip install --force-reinstall gantool)")
    return app


def _print_version(value: bool) -> None:
    if value:
        print(f"gantool {__version__}")
        raise typer.Exit()


def _root_options(version: Annotated[bool, typer.Option(
    "--version", callback=_print_version, is_eager=True, help="Print gantool's version and exit.")] = False) -> None:
    """Train, sample and evaluate GANs composed from plugin parts by name."""


def _leave_closed_pipe() -> None:
    """End quietly when the reader of our output has gone (`gantool ... | head`), as other command-line tools do."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: stdout is not a file (tests capture it)
        # later writes, and Python's own flush at exit, then go nowhere instead of failing again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(BROKEN_PIPE)


def _show_warning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    if issubclass(category, GantoolWarning):
        err_console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)
    else:
        _default_showwarning(message, category, *args, **kwargs)


_default_showwarning = warnings.showwarning


def main(argv: list[str] | None = None, *, extra_plugins: Iterable[tuple[object, str]] = ()) -> None:
    """Console entry point: user errors become one line on stderr and exit code 2."""
    warnings.showwarning = _show_warning
    try:
        command = typer.main.get_command(create_app(extra_plugins))
        args = list(sys.argv[1:] if argv is None else argv)
        code = command.main(args=args, prog_name="gantool", standalone_mode=False, obj={"argv": args})
        sys.stdout.flush()  # here, so that a closed pipe is noticed now rather than at interpreter exit
    except GantoolError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except getattr(click_errors, "NoArgsIsHelpError", ()):
        sys.exit(0)
    except click_errors.UsageError as exc:
        where = f" (see {exc.ctx.command_path} --help)" if exc.ctx else ""
        err_console.print(f"[bold red]error:[/] {exc.format_message()}{where}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click_errors.ClickException as exc:
        err_console.print(f"[bold red]error:[/] {exc.format_message()}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        _leave_closed_pipe()
    except SystemExit as exc:  # Typer turns a closed pipe into exit 1, which the table keeps for bugs
        if isinstance(exc.__context__, OSError) and exc.__context__.errno == errno.EPIPE:
            _leave_closed_pipe()
        raise
    except Exception as exc:  # a bug in gantool or a plugin: one line by default, the traceback on request
        if os.environ.get("GANTOOL_DEBUG"):
            raise
        err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc} (set GANTOOL_DEBUG=1 to see "
                          "the traceback, and please report it)", highlight=False, soft_wrap=True)
        sys.exit(1)
    if isinstance(code, int) and code:  # typer.Exit(code), and Ctrl-C as 130, come back as a return value
        sys.exit(code)
