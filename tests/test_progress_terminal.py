"""The live progress line as a user at a terminal sees it: measured in a pseudo-terminal of a given width."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.conftest import TINY

COLOURS = re.compile(r"\x1b\[[0-9;]*m")
CURSOR = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")  # moves and erasures: a redraw starts a new line here


def run_in_terminal(args: list[str], columns: int, cwd: Path, timeout: float = 240) -> str:
    """`gantool ARGS` with a pseudo-terminal `columns` wide as its stdin, stdout and stderr; what it showed, as
    plain text (colours and cursor moves removed, so each redraw of the live display is a line of its own)."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "24", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gantool", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([leader], [], [], 1)[0]:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    assert process.wait(timeout=30) == 0, b"".join(chunks).decode(errors="replace")
    text = COLOURS.sub("", b"".join(chunks).decode("utf-8", errors="replace"))
    return "\n".join(line for line in CURSOR.sub("\n", text).splitlines() if line.strip())


def test_the_progress_line_at_80_columns_shows_step_bar_losses_speed_and_eta(tmp_path):
    args = ["train", "--out", str(tmp_path / "run"), *[arg for arg in TINY if arg != "--quiet"]]
    shown = run_in_terminal(args, 80, tmp_path)
    finals = [line for line in shown.splitlines() if line.startswith("step 3/3 ")]
    assert finals, shown
    final = finals[-1]  # what stays on the screen after the run
    assert len(final) <= 80, final
    assert re.fullmatch(r"step 3/3  ━{10,}  D \d+\.\d{3}  G \d+\.\d{3}  \d+ img/s  eta \d+:\d\d:\d\d.*", final), final
    lines = shown.splitlines()
    below = lines[len(lines) - 1 - lines[::-1].index(final) + 1]
    assert below.startswith("epoch 0  elapsed ") and "D real " in below and len(below) <= 80, shown
    run = tmp_path / "run"
    assert f"samples: {run / 'samples' / 'final.png'}  (animated: {run / 'samples.gif'})" in lines, shown
