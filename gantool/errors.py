"""Errors a user can cause and fix; the CLI prints them as one line and exits with their code."""

import difflib
from collections.abc import Iterable, Sequence

# Every status gantool exits with, listed by `gantool --help` and in docs/user-guide.md's table (a test compares).
EXIT_CODES = {
    0: "done",
    1: "an internal error (a bug, please report it)",
    2: "a problem you can fix, named in one line",
    3: "training diverged (the last good checkpoint is kept)",
    4: "check-data: the data is usable but some files were left out (listed)",
    130: "stopped by Ctrl-C after saving a checkpoint",
    141: "the output's reader went away (a closed pipe, as in | head), quietly",
    143: "stopped by SIGTERM after saving a checkpoint",
}
FILES_LEFT_OUT = 4
BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program that stops at a closed pipe


class GantoolError(Exception):
    """A problem the user can fix: the message names the problem and the fix."""

    exit_code = 2


class DivergenceError(GantoolError):
    """Training produced non-finite values; the last good checkpoint is kept."""

    exit_code = 3


class ReplicaMismatchError(GantoolError):
    """The processes of a distributed run no longer hold the same weights; nothing mismatched is saved."""

    exit_code = 3


class GantoolWarning(UserWarning):
    """Something the user should know that does not stop the command; the CLI prints it as one line."""


def one_of(words: Sequence[str]) -> str:
    """Alternatives as a message lists them: "gen, disc, loss or data"."""
    return " or ".join((", ".join(words[:-1]), words[-1])) if len(words) > 1 else "".join(words)


def first_line(exc: BaseException, empty: str | None = None) -> str:
    """An exception's message cut to its first line, for one-line errors; `empty` (by default the exception's
    type name) when it has no message."""
    return (str(exc).strip().splitlines() or [type(exc).__name__ if empty is None else empty])[0]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the known name closest to a mistyped one (case aside), or "" when none is close."""
    by_lower = {name.lower(): name for name in known}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""
