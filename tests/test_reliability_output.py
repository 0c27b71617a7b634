"""Promise 9: an unwritable output folder or a full disk ends in one clear line; nothing written before is damaged."""

from __future__ import annotations

import errno
import os

import pytest

from gantool.storage.checkpoint import load_tensors
from gantool.storage.rundir import latest_checkpoint
from tests.conftest import TINY, fill_disk_from_fourth_checkpoint


def one_line(result) -> str:
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    return lines[0]


def test_output_folder_that_cannot_be_created_fails_before_training(cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("train", "--out", str(blocker / "run"), *TINY)
    assert result.code == 2
    line = one_line(result)
    assert "cannot write" in line and "--out" in line
    assert blocker.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_fails_before_training(cli, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = cli("train", "--out", str(folder / "run"), *TINY)
    finally:
        folder.chmod(0o755)
    assert result.code == 2 and "cannot write" in one_line(result)


def test_read_only_file_system_fails_before_training(cli, tmp_path, monkeypatch):
    """What a read-only mount answers (EROFS), simulated for the probe file (root ignores chmod)."""
    real_write_bytes = type(tmp_path).write_bytes

    def read_only(self, data):
        if self.name == ".write-test":
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_write_bytes(self, data)

    monkeypatch.setattr(type(tmp_path), "write_bytes", read_only)
    result = cli("train", "--out", str(tmp_path / "run"), *TINY)
    assert result.code == 2
    assert "Read-only file system" in one_line(result)
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_full_disk_mid_run_keeps_every_earlier_file(cli, tmp_path, monkeypatch):
    """From the 4th checkpoint on, the temp file is /dev/full: the kernel's real ENOSPC on write."""
    run_dir = tmp_path / "run"
    fill_disk_from_fourth_checkpoint(monkeypatch)
    result = cli("train", "--out", str(run_dir), *TINY, "--max-steps", "6", "--checkpoint-every", "1")
    assert result.code == 2
    line = one_line(result)
    assert "disk is full" in line and "step-000000004" in line and "intact" in line
    newest = latest_checkpoint(run_dir)
    assert newest.name == "step-000000003.safetensors"
    assert load_tensors(newest)[1]["step"] == 3
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "latest.json", "step-000000001.safetensors", "step-000000002.safetensors", "step-000000003.safetensors"]
    resumed = cli("train", "--resume", str(run_dir), "--max-steps", "5")
    assert resumed.code == 2, "the disk is still full"
    monkeypatch.undo()
    resumed = cli("train", "--resume", str(run_dir), "--max-steps", "5")
    assert resumed.code == 0, resumed.err


def test_atomically_written_files_honour_the_umask(cli, tmp_path, monkeypatch):
    """Exports, config, checkpoints, arrays and GIFs get 0644 under umask 022, like every other file (not 0600)."""
    import stat

    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        run = tmp_path / "run"
        assert cli("train", "--out", str(run), *TINY).code == 0
        assert cli("generate", str(run), "--num", "2", "--format", "npy", "--out", "a.npy").code == 0
        assert cli("interpolate", str(run), "--steps", "2", "--out", "a.gif").code == 0
    finally:
        os.umask(old)
    files = [run / "generator.safetensors", run / "config.toml", latest_checkpoint(run)]
    files += [tmp_path / "a.npy", tmp_path / "a.gif"]
    modes = {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in files}
    assert modes == {path.name: "0o644" for path in files}
