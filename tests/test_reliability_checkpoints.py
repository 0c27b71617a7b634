"""Promise 1: a checkpoint is never half-written, whenever the process dies; old ones are pruned to --keep."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gantool.storage.checkpoint import atomic_write_bytes, load_tensors
from gantool.storage.rundir import latest_checkpoint, write_latest_pointer
from tests.conftest import TINY

# A fork server: imports torch and gantool once, then forks one real training process per request, so
# twenty SIGKILLs cost twenty forks instead of twenty interpreter starts. The parent never runs a torch
# op, so each child starts with fresh thread pools. Protocol: a JSON argv line in; "PID" then "PID RC" out.
FORK_SERVER = r"""
import json, os, sys
import torch  # noqa: F401  (loaded once, shared by every child)
import gantool.commands.train, gantool.training.trainer  # noqa: F401
from gantool.cli import main
from gantool.registry import load_registry

load_registry()  # imports every plugin module once

for line in sys.stdin:
    argv = json.loads(line)
    pid = os.fork()
    if pid == 0:
        log = os.open(argv.pop(), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(log, 1), os.dup2(log, 2)
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        os._exit(code)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(pid, os.waitstatus_to_exitcode(status), flush=True)
"""

SMALL = ["--set", "gen.depth=4", "--set", "disc.depth=4", "--batch-size", "8", "--checkpoint-every", "1",
         "--sample-every", "1000000", "--log-every", "50", "--keep", "2", "--quiet"]


def checkpoint_step(run_dir: Path) -> int:
    """The step of the newest checkpoint, after checking that it loads completely."""
    newest = latest_checkpoint(run_dir)
    if newest is None:
        return -1
    tensors, state = load_tensors(newest)
    assert tensors and state["step"] == int(newest.stem.split("-")[1])
    return state["step"]


def pointer_step(run_dir: Path) -> int:
    """The step `latest.json` names, read without loading (the writer may be pruning meanwhile)."""
    try:
        return int(json.loads((run_dir / "checkpoints" / "latest.json").read_text())["checkpoint"][5:14])
    except (OSError, ValueError, KeyError):
        return -1


@pytest.mark.slow
def test_sigkill_at_random_moments_never_breaks_the_newest_checkpoint(tmp_path):
    run_dir, log = tmp_path / "run", str(tmp_path / "children.log")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen([sys.executable, "-c", FORK_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env)
    rng = random.Random(20261122)
    try:
        step = -1
        for kill in range(20):
            args = ["train", "--out", str(run_dir), *SMALL] if kill == 0 else ["train", "--resume", str(run_dir)]
            server.stdin.write(json.dumps([*args, "--max-steps", "1000000", log]) + "\n")
            server.stdin.flush()
            pid = int(server.stdout.readline())
            deadline = time.monotonic() + 60
            while pointer_step(run_dir) <= step:  # wait until this process has trained (and resumed) a step
                assert time.monotonic() < deadline, Path(log).read_text()[-2000:]
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.08))  # then die at a random moment: mid-step, mid-write, mid-rename
            os.kill(pid, signal.SIGKILL)
            _, code = server.stdout.readline().split()
            assert int(code) == -signal.SIGKILL
            newest = checkpoint_step(run_dir)
            assert newest > step, "each resumed process must go on from the newest checkpoint"
            step = newest
            kept = sorted(path.name for path in (run_dir / "checkpoints").glob("step-*.safetensors"))
            assert len(kept) <= 3, kept  # --keep 2, plus one written just before the kill
        server.stdin.write(json.dumps(["train", "--resume", str(run_dir), "--max-steps", str(step + 2), log]) + "\n")
        server.stdin.flush()
        server.stdout.readline()
        _, code = server.stdout.readline().split()
        assert int(code) == 0, Path(log).read_text()[-2000:]
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    assert checkpoint_step(run_dir) == step + 2
    assert (run_dir / "generator.safetensors").is_file()
    assert not list((run_dir / "checkpoints").glob(".*.tmp")), "temp files of killed writers are cleaned up"


def test_keep_prunes_old_checkpoints(cli, tmp_path):
    run_dir = tmp_path / "run"
    result = cli("train", "--out", str(run_dir), *TINY, "--max-steps", "5", "--checkpoint-every", "1", "--keep", "2")
    assert result.code == 0, result.err
    names = sorted(path.name for path in (run_dir / "checkpoints").glob("step-*.safetensors"))
    assert names == ["step-000000004.safetensors", "step-000000005.safetensors"]
    assert json.loads((run_dir / "checkpoints" / "latest.json").read_text()) == {"checkpoint": names[-1]}


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "file.bin"
    atomic_write_bytes(target, b"old")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(Exception, match="disk is full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["file.bin"]


def test_latest_pointer_cannot_lead_outside_the_checkpoint_folder(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    (tmp_path / "evil.safetensors").write_bytes(b"x")
    write_latest_pointer(tmp_path, tmp_path / "evil.safetensors")
    (folder / "latest.json").write_text(json.dumps({"checkpoint": "../evil.safetensors"}))
    assert latest_checkpoint(tmp_path) is None
    good = folder / "step-000000007.safetensors"
    good.write_bytes(b"x")
    assert latest_checkpoint(tmp_path) == good
