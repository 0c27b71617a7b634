"""Errors a user can cause and fix; the CLI prints them as one line and exits with their code."""

from collections.abc import Sequence


class GantoolError(Exception):
    """A problem the user can fix: the message names the problem and the fix."""

    exit_code = 2


class DivergenceError(GantoolError):
    """Training produced non-finite values; the last good checkpoint is kept."""

    exit_code = 3


class ReplicaMismatchError(GantoolError):
    """The processes of a distributed run no longer hold the same weights; nothing mismatched is saved."""

    exit_code = 3


class Interrupted(GantoolError):
    """The user (or code pretending to be the user) interrupted the command before it did anything."""

    exit_code = 130


class GantoolWarning(UserWarning):
    """Something the user should know that does not stop the command; the CLI prints it as one line."""


def one_of(words: Sequence[str]) -> str:
    """Alternatives as a message lists them: "gen, disc, loss or data"."""
    return " or ".join((", ".join(words[:-1]), words[-1])) if len(words) > 1 else "".join(words)


def first_line(exc: BaseException, empty: str | None = None) -> str:
    """An exception's message cut to its first line, for one-line errors; `empty` (by default the exception's
    type name) when it has no message."""
    return (str(exc).strip().splitlines() or [type(exc).__name__ if empty is None else empty])[0]
