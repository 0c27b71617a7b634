"""Promise 9, continued: a full disk never leaves half a line in metrics.jsonl, a line some other cut left is
dropped with a warning, and a resumed run logs each step once."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import gantool.storage.checkpoint
import gantool.storage.run_log
from tests.conftest import TINY, fill_disk_from_fourth_checkpoint


def logged_steps(run_dir: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


class FullAfter:
    """`os` for RunLog, whose disk fills up in the middle of the line of step `step`: half of it is written."""

    def __init__(self, step: int) -> None:
        self.step = step

    def __getattr__(self, name: str):
        return getattr(os, name)

    def write(self, fd: int, data: bytes) -> int:
        if data.startswith(b'{"step": %d,' % self.step):
            half = os.write(fd, data[: len(data) // 2])
            self.step = -1  # and then nothing fits
            return half
        if self.step == -1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, data)


def test_a_full_disk_mid_line_leaves_only_whole_lines_and_the_run_resumes(cli, tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    monkeypatch.setattr(gantool.storage.run_log, "os", FullAfter(4))
    result = cli("train", "--out", str(run_dir), *TINY, "--max-steps", "6", "--checkpoint-every", "1")
    assert result.code == 2
    assert "metrics.jsonl: the disk is full" in result.err
    assert logged_steps(run_dir) == [1, 2, 3], "no half line of step 4 is left"
    monkeypatch.undo()
    resumed = cli("train", "--resume", str(run_dir), "--max-steps", "6")
    assert resumed.code == 0, resumed.err
    assert logged_steps(run_dir) == [1, 2, 3, 4, 5, 6]


def test_a_half_line_left_in_metrics_is_dropped_with_a_warning_and_every_step_is_logged_once(
        cli, tmp_path, monkeypatch):
    """The disk fills at the 4th checkpoint, after step 4's line: then a cut-short line is added, as a full disk
    (or a crash of the machine) can leave it. Once the run resumed, plots were the first to choke on it."""
    run_dir = tmp_path / "run"
    fill_disk_from_fourth_checkpoint(monkeypatch)
    result = cli("train", "--out", str(run_dir), *TINY, "--max-steps", "6", "--checkpoint-every", "1")
    assert result.code == 2 and "disk is full" in result.err
    monkeypatch.undo()
    assert logged_steps(run_dir) == [1, 2, 3, 4], "step 4 was logged before its checkpoint failed"
    with (run_dir / "metrics.jsonl").open("a") as metrics:
        metrics.write('{"step": 5, "e')
    resumed = cli("train", "--resume", str(run_dir), "--max-steps", "6")
    assert resumed.code == 0, resumed.err
    assert "held 1 unreadable line(s), left by a write that was cut short" in resumed.err
    assert logged_steps(run_dir) == [1, 2, 3, 4, 5, 6], "resumed from step 3: steps 4 and on are logged once"
    assert (run_dir / "loss.png").is_file()
