"""Data-parallel training: two CPU processes through torchrun (gloo) give one run and identical replicas."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gantool.errors import ReplicaMismatchError
from gantool.storage.checkpoint import load_tensors
from gantool.storage.rundir import checkpoint_path, latest_checkpoint, write_latest_pointer
from gantool.training.distributed import REPORT_ENV, checksums, compare_checksums
from gantool.training.launch import torchrun_command, without_nproc
from tests.conftest import TINY, run_subprocess

STEPS = 4
ARGS = [*TINY[:6], "--max-steps", str(STEPS), "--checkpoint-every", "2", "--log-every", "1", "--device", "cpu",
        "--ema", "0.9", "--g-steps", "2", "--quiet"]  # TINY's sizes; 4 steps, a checkpoint halfway; an EMA copy of G
# with its own batch-norm buffers and two G steps per D step, which must stay identical across ranks too
ENV = {"OMP_NUM_THREADS": "1"}  # two processes share the CI machine's cores


def replicated_state(checkpoint: Path) -> dict[str, torch.Tensor]:
    """A checkpoint's tensors that every rank must hold identically (all but the per-rank RNG states)."""
    tensors, _ = load_tensors(checkpoint)
    return {name: tensor for name, tensor in tensors.items() if not name.startswith("rng.")}


@pytest.fixture(scope="module")
def two_rank_run(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """A 4-step run of 2 gloo processes started by torchrun, each rank reporting its checkpoint checksums."""
    base = tmp_path_factory.mktemp("dist")
    run_dir, reports = base / "run", base / "reports"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               "-m", "gantool", "train", "--out", str(run_dir), *ARGS]
    env = {**os.environ, **ENV, REPORT_ENV: str(reports)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir, reports, result


def test_two_processes_write_one_set_of_outputs(two_rank_run):
    run_dir, _, result = two_rank_run
    assert result.stdout.split() == [str(run_dir)], "only rank 0 prints the run directory"
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == list(range(1, STEPS + 1)), "one metrics line per step, not one per rank"
    assert sorted(p.name for p in (run_dir / "checkpoints").glob("*.safetensors")) == [
        checkpoint_path(run_dir, 2).name, checkpoint_path(run_dir, 4).name]
    assert sorted(p.name for p in run_dir.iterdir()) == [
        ".lock", "checkpoints", "config.toml", "generator.safetensors", "loss.png", "metrics.jsonl", "samples",
        "samples.gif"]
    _, state = load_tensors(latest_checkpoint(run_dir))
    assert state["step"] == STEPS and state["world_size"] == 2


def test_both_ranks_end_with_the_weights_that_were_saved(two_rank_run):
    run_dir, reports, _ = two_rank_run
    rank0, rank1 = (json.loads((reports / f"rank{r}.json").read_text()) for r in (0, 1))
    assert rank0["step"] == rank1["step"] == STEPS
    saved = replicated_state(latest_checkpoint(run_dir))
    expected = dict(zip(saved, checksums(saved).tolist(), strict=True))
    assert rank1["checksums"] == expected, "rank 1's replica differs from the checkpoint rank 0 wrote"
    assert rank0["checksums"] == expected
    for net in ("g.", "ema."):
        assert any(name.startswith(net) and "running_mean" in name for name in expected), "BN statistics compared"


def test_ranks_draw_different_noise(two_rank_run):
    run_dir, _, _ = two_rank_run
    tensors, _ = load_tensors(latest_checkpoint(run_dir))
    assert not torch.equal(tensors["rng.noise"], tensors["rng.noise.rank1"])


def test_nproc_resume_continues_exactly_like_the_uninterrupted_run(two_rank_run, tmp_path):
    run_dir, _, _ = two_rank_run
    resumed = tmp_path / "resumed"
    shutil.copytree(run_dir, resumed)
    checkpoint_path(resumed, 4).unlink()  # as if the run had stopped right after its step-2 checkpoint
    write_latest_pointer(resumed, checkpoint_path(resumed, 2))
    result = run_subprocess("train", "--nproc", "2", "--resume", str(resumed), "--max-steps", str(STEPS), "--quiet",
                            env=ENV, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    again, before = replicated_state(checkpoint_path(resumed, 4)), replicated_state(checkpoint_path(run_dir, 4))
    assert again.keys() == before.keys()
    assert all(torch.equal(again[name], before[name]) for name in before)


def test_resuming_with_another_process_count_is_refused(cli, two_rank_run, tmp_path):
    run_dir, _, _ = two_rank_run
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    result = cli("train", "--resume", str(copy), "--max-steps", "6")
    assert result.code == 2 and "2 training process" in result.err
    assert latest_checkpoint(copy) == checkpoint_path(copy, 4)


def test_a_replica_that_drifted_stops_the_run_naming_rank_and_tensor():
    weights = {"g.a": torch.ones(3), "g.b": torch.zeros(2)}
    drifted = {"g.a": torch.ones(3), "g.b": torch.tensor([0.0, torch.finfo(torch.float32).tiny])}
    compare_checksums(list(weights), torch.stack([checksums(weights), checksums(weights)]), step=5)
    with pytest.raises(ReplicaMismatchError, match=r"step 5 .* rank 1 .*g\.b"):
        compare_checksums(list(weights), torch.stack([checksums(weights), checksums(drifted)]), step=5)


def test_nproc_passes_the_same_arguments_to_torchrun():
    argv = ["train", "--nproc", "2", "--batch-size", "8", "--nproc=3", "--out", "r"]
    assert without_nproc(argv) == ["train", "--batch-size", "8", "--out", "r"]
    command = torchrun_command(2, argv)
    assert command[1:6] == ["-m", "gantool.training.launch", "--standalone", "--nproc-per-node", "2"]
    assert command[6:] == ["-m", "gantool", "train", "--batch-size", "8", "--out", "r"]


def test_nproc_inside_torchrun_is_refused(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    result = cli("train", "--nproc", "2", "--out", str(tmp_path / "r"), *TINY)
    assert result.code == 2 and "already runs under torchrun" in result.err
    assert not (tmp_path / "r").exists()


def test_nproc_returns_the_processes_own_exit_code_without_torchruns_traceback(two_rank_run):
    run_dir, _, _ = two_rank_run
    before = (run_dir / "metrics.jsonl").read_bytes()
    result = run_subprocess("train", "--nproc", "2", "--out", str(run_dir), *ARGS, env=ENV, timeout=300)
    assert result.returncode == 2
    assert "already holds a run" in result.stderr and "Traceback" not in result.stderr
    assert (run_dir / "metrics.jsonl").read_bytes() == before
