"""A throwaway PostgreSQL cluster for the tests that share a sweep's study between processes: initdb into a
temporary folder, the server on a free localhost port, stopped and removed afterwards. Root cannot run postgres,
so as root it runs as the `postgres` user (Debian's package creates it). Without a server the tests skip, naming
why; with GANTOOL_REQUIRE_POSTGRES=1 (CI) they fail instead."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _missing(reason: str) -> None:
    if os.environ.get("GANTOOL_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"GANTOOL_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


def _program(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, or where Debian keeps it (/usr/lib/postgresql/VERSION/bin)."""
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """postgresql://gantool@127.0.0.1:PORT/postgres on a cluster that lives as long as the test module."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("the PostgreSQL driver is not installed (pip install 'gantool[dev]')")
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    if initdb is None or pg_ctl is None:
        _missing("no PostgreSQL server is installed (apt-get install postgresql)")
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="gantool-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _missing("running as root, and there is no postgres user to run the server as")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-U", "gantool", "-A", "trust", "--no-sync"], check=True,
                       capture_output=True, timeout=120)
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "-o",
                        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], check=True,
                       capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        output = getattr(exc, "stderr", b"") or b""
        pytest.fail(f"the PostgreSQL test server did not start: {exc}: {output.decode(errors='replace')} {log}")
    try:
        yield f"postgresql://gantool@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
