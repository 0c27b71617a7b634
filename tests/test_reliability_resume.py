"""Promise 2: N steps, stop, resume for N more equals 2N uninterrupted steps, tensor for tensor on the CPU."""

from __future__ import annotations

import torch

from gantool.checkpoint import load_tensors
from gantool.rundir import latest_checkpoint

# Batches of 1,000 from 5,000 digits: 5 steps per epoch, so the stop lands mid-epoch and the resumed part
# crosses into the next epoch (a new order drawn from the seed and the epoch) and the learning-rate decay.
RUN = ["--set", "gen.depth=4", "--set", "disc.depth=4", "--set", "data.image_size=8", "--batch-size", "1000",
       "--device", "cpu", "--checkpoint-every", "3", "--sample-every", "3", "--log-every", "1", "--seed", "7",
       "--ema", "0.9", "--lr-decay-epochs", "1", "--d-steps", "2", "--quiet"]


def test_resumed_run_equals_uninterrupted_run(cli, tmp_path):
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert cli("train", "--out", str(whole), *RUN, "--max-steps", "6").code == 0
    assert cli("train", "--out", str(split), *RUN, "--max-steps", "3").code == 0
    _, stopped = load_tensors(latest_checkpoint(split))
    assert (stopped["step"], stopped["epoch"], stopped["position"]) == (3, 0, 3)
    result = cli("train", "--resume", str(split), "--max-steps", "6", "--quiet")
    assert result.code == 0, result.err

    expected, expected_state = load_tensors(latest_checkpoint(whole))
    got, got_state = load_tensors(latest_checkpoint(split))
    assert (got_state["step"], got_state["epoch"], got_state["position"]) == (6, 1, 1)
    assert sorted(got) == sorted(expected)
    for kind in ("g.", "d.", "ema.", "opt_g.", "opt_d.", "rng.torch", "rng.noise", "rng.python", "rng.numpy"):
        assert any(name.startswith(kind) for name in got), f"the checkpoint lacks {kind}*"
    different = [name for name in expected if not torch.equal(expected[name], got[name])]
    assert not different, f"resumed run differs in {different[:5]}"
    assert got_state["sched_g"] != stopped["sched_g"], "the decay at epoch 1 happened after the resume"
    for key in ("opt_g", "opt_d", "sched_g", "sched_d", "step", "epoch", "position"):
        assert got_state[key] == expected_state[key], key
    for grid in ("step-0000006.png", "final.png"):
        assert (split / "samples" / grid).read_bytes() == (whole / "samples" / grid).read_bytes(), grid
    assert (split / "generator.safetensors").read_bytes() == (whole / "generator.safetensors").read_bytes()
