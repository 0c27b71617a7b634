"""Promise 3: SIGINT or SIGTERM finishes the step, saves, says where, exits 130 or 143; a second one stops at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from gantool.storage.checkpoint import load_tensors
from gantool.storage.rundir import latest_checkpoint
from gantool.training.signals import StopRequest
from tests.conftest import TINY

RUN = ["--set", "gen.depth=4", "--set", "disc.depth=4", "--batch-size", "8", "--max-steps", "1000000",
       "--checkpoint-every", "1000000", "--sample-every", "1000000", "--log-every", "1", "--quiet"]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_saves_a_checkpoint_and_exits_with_its_code(tmp_path, signum, code):
    run_dir = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "300"}
    process = subprocess.Popen([sys.executable, "-m", "gantool", "train", "--out", str(run_dir), *RUN],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    metrics = run_dir / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while not (metrics.exists() and metrics.stat().st_size):  # training has started
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    checkpoint = latest_checkpoint(run_dir)
    assert checkpoint is not None, "no checkpoint was written at the stop (checkpoint-every is a million)"
    _, state = load_tensors(checkpoint)
    assert state["step"] >= 1
    message = err.strip().splitlines()[-1]
    assert signal.Signals(signum).name in message and str(checkpoint) in message
    assert f"gantool train --resume {run_dir}" in message
    assert "Traceback" not in err


def test_second_signal_interrupts_at_once():
    request = StopRequest()
    with request.installed():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)  # let the handler run
        assert request.requested and request.exit_code == 143
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
    assert signal.getsignal(signal.SIGINT) is not request.handle, "handlers are restored after training"


@pytest.mark.parametrize(("every", "said"), [
    ("1", "without a new checkpoint (the newest is {run}/checkpoints/step-000000002.safetensors); continue with: "
          "gantool train --resume {run}"),
    ("1000", "before the run's first checkpoint; start it again with: gantool train --config {run}/config.toml "
             "--out {run}")])
def test_a_second_signal_stops_at_once_says_what_is_saved_and_exits_with_its_code(cli, tmp_path, monkeypatch,
                                                                                   every, said):
    """Two SIGTERMs during step 3, the second before the step ends: once this exited 130 saying only "aborted"."""
    from gantool.training.trainer import Trainer

    real_step = Trainer.train_step

    def step_with_two_signals(self, real, labels):
        values = real_step(self, real, labels)
        if self.step == 2:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.01)  # the first is noted
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the second raises here
        return values

    monkeypatch.setattr(Trainer, "train_step", step_with_two_signals)
    run_dir = tmp_path / "run"
    result = cli("train", "--out", str(run_dir), *TINY, "--checkpoint-every", every)
    assert result.code == 143, result.err
    last = result.err.strip().splitlines()[-1]
    assert last == "SIGTERM received while stopping: stopped at once, " + said.format(run=run_dir)
    assert "Traceback" not in result.err
