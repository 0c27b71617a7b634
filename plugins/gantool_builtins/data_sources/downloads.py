"""Opt-in downloads through torchvision's downloader, bounded in time so that no network fails fast."""

from __future__ import annotations

import contextlib
import http.client
import socket
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from gantool.errors import GantoolError, first_line

TIMEOUT_S = 15.0  # seconds a name lookup, a connection or a read may stall before the download gives up


@contextlib.contextmanager
def socket_timeout(seconds: float) -> Iterator[None]:
    """Every new socket times out after `seconds` (torchvision's urlopen calls pass no timeout of their own)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def resolve_host(url: str, seconds: float) -> None:
    """Look the host up in a thread: socket timeouts do not cover name lookups, which can hang offline."""
    host = urllib.parse.urlsplit(url).hostname or ""
    outcome: list[BaseException | None] = []

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, None)
            outcome.append(None)
        except OSError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        raise TimeoutError(f"looking up {host} took over {seconds:g} s")
    if outcome[0] is not None:
        raise outcome[0]


def fetch(urls: list[str], folder: Path, filename: str, md5: str | None, what: str) -> Path:
    """Download `filename` into `folder` from the first of `urls` that works, checking its MD5; one line if none."""
    from torchvision.datasets.utils import download_url

    target = folder / filename
    failures = []
    for url in urls:
        try:
            resolve_host(url, TIMEOUT_S)
            with socket_timeout(TIMEOUT_S), contextlib.redirect_stdout(sys.stderr):
                download_url(url, str(folder), filename, md5)
            return target
        except (OSError, RuntimeError, http.client.HTTPException) as exc:
            failures.append(f"{url}: {first_line(exc)}")
            target.unlink(missing_ok=True)  # a partial or corrupted file would pass for data later
    raise GantoolError(f"{what}: could not download {filename} ({'; '.join(failures)}); check the network, or put "
                       f"the file into {folder} yourself")
