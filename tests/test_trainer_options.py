"""Each training knob does what it says: step counts, decay, EMA, patience, noise, precision, seed."""

from __future__ import annotations

import copy
import math
import warnings
from pathlib import Path

import pytest
import torch

from gantool.assembly import build_parts
from gantool.config import TrainConfig
from gantool.errors import GantoolError
from gantool.registry import load_registry
from gantool.training.ema import EMA, recalibrate_batch_norm
from gantool.training.noise import draw_noise
from gantool.training.progress import TrainingDisplay
from gantool.training.stopping import Patience
from gantool.training.trainer import BEST_CHECKPOINT, BEST_EXPORT, StepMeter, Trainer

TINY_OPTIONS = {"gen": {"depth": 8}, "disc": {"depth": 8}}


def make_trainer(run_dir: Path, **settings) -> Trainer:
    """A tiny CPU trainer on mnist5k, built the way `gantool train` builds one."""
    config = TrainConfig(**{"gen": "dcgan", "options": TINY_OPTIONS, "batch_size": 8, "device": "cpu", **settings})
    torch.manual_seed(config.seed)
    parts = build_parts(load_registry(), gen=config.gen, disc=config.disc, loss=config.loss,
                        dataset=config.dataset, options=config.options)
    run_dir.mkdir(parents=True, exist_ok=True)
    return Trainer(config, parts, run_dir, plugins={})


def count_steps(optimizer: torch.optim.Optimizer) -> list[int]:
    """Wrap optimizer.step to count its calls."""
    calls = [0]
    original = optimizer.step

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    optimizer.step = counted
    return calls


def first_batches(trainer: Trainer, count: int):
    batches = trainer.source.batches(0)
    return [next(batches) for _ in range(count)]


def finish_epoch(trainer: Trainer, g_loss: float = 1.0) -> None:
    """Run the end-of-epoch bookkeeping as if an epoch with this mean G loss had just ended."""
    meter = StepMeter(trainer.device)
    values = torch.zeros(6)
    values[3] = g_loss
    meter.add(values, 8)
    with warnings.catch_warnings():  # no optimizer step happened in these fake epochs; torch warns about that
        warnings.simplefilter("ignore", UserWarning)
        trainer.after_epoch(meter, TrainingDisplay(1, quiet=True))


def test_g_steps_5_steps_g_five_times_per_d_step(tmp_path):
    trainer = make_trainer(tmp_path, g_steps=5)
    d_calls, g_calls = count_steps(trainer.opt_d), count_steps(trainer.opt_g)
    (real, labels), = first_batches(trainer, 1)
    trainer.train_step(real, labels)
    assert (d_calls[0], g_calls[0]) == (1, 5)


def test_d_steps_3_steps_g_once_per_three_d_steps(tmp_path):
    trainer = make_trainer(tmp_path, d_steps=3)
    d_calls, g_calls = count_steps(trainer.opt_d), count_steps(trainer.opt_g)
    for real, labels in first_batches(trainer, 6):
        trainer.train_step(real, labels)
        trainer.step += 1
    assert (d_calls[0], g_calls[0]) == (6, 2)


def test_betas_reach_the_optimizers(tmp_path):
    trainer = make_trainer(tmp_path, betas_g=[0.0, 0.9], betas_d=[0.5, 0.99])
    assert trainer.opt_g.param_groups[0]["betas"] == (0.0, 0.9)
    assert trainer.opt_d.param_groups[0]["betas"] == (0.5, 0.99)


def test_lr_decay_changes_the_rate_at_the_named_epochs_and_survives_a_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path / "a", lr_g=2e-4, lr_d=2e-4, lr_decay_epochs=[1, 3], lr_decay_factor=0.1)
    rates = []
    for _ in range(4):
        rates.append(trainer.opt_g.param_groups[0]["lr"])
        finish_epoch(trainer)
    assert rates == pytest.approx([2e-4, 2e-5, 2e-5, 2e-6])
    assert trainer.opt_d.param_groups[0]["lr"] == pytest.approx(2e-6)
    checkpoint = trainer.save_checkpoint()
    restored = make_trainer(tmp_path / "b", lr_decay_epochs=[1, 3], lr_decay_factor=0.1)
    restored.load_checkpoint(checkpoint)
    assert restored.opt_g.param_groups[0]["lr"] == pytest.approx(2e-6)
    assert restored.sched_g.last_epoch == 4 and restored.epoch == 4


def test_ema_averages_parameters_copies_other_buffers_and_measures_batch_norm_afresh():
    live = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    live.register_buffer("counter", torch.zeros(()))  # a buffer batch norm's recalibration does not measure
    ema = EMA(live, decay=0.75, draw=lambda count, source: (torch.randn(count, 2, generator=source),))
    ema.updates = 1000  # past the warm-up, whose decay would be 1/10 here
    before = [p.clone() for p in ema.model.parameters()]
    with torch.no_grad():
        for p in live.parameters():
            p.add_(1.0)
        live.counter.add_(3)
    live(torch.randn(4, 2))  # moves the running statistics
    ema.update(live)
    for old, new, current in zip(before, ema.model.parameters(), live.parameters(), strict=True):
        assert torch.allclose(new, 0.75 * old + 0.25 * current)
    assert ema.model.counter == 3
    expected = copy.deepcopy(ema.model)
    recalibrate_batch_norm(expected, ema.draw)
    sampler = ema.sampling_model()  # statistics of the averaged weights themselves, not copies of the live ones
    assert torch.equal(sampler[1].running_mean, expected[1].running_mean)
    assert not torch.allclose(sampler[1].running_mean, live[1].running_mean)


def test_ema_makes_the_export_and_is_checkpointed(tmp_path):
    from gantool.storage.checkpoint import load_tensors

    trainer = make_trainer(tmp_path / "a", ema=0.9)
    for real, labels in first_batches(trainer, 2):
        trainer.train_step(real, labels)
    exported, state = load_tensors(trainer.export(tmp_path / "g.safetensors"))
    assert state["ema"] == 0.9
    ema_state, live_state = trainer.ema.model.state_dict(), trainer.G.state_dict()
    assert all(torch.equal(exported[k], ema_state[k]) for k in exported)
    assert not all(torch.equal(exported[k], live_state[k]) for k in exported)
    restored = make_trainer(tmp_path / "b", ema=0.9)
    restored.load_checkpoint(trainer.save_checkpoint())
    assert all(torch.equal(v, ema_state[k]) for k, v in restored.ema.model.state_dict().items())


def test_patience_counts_epochs_without_improvement():
    patience = Patience(2)
    assert [patience.update(v, e) for e, v in enumerate([3.0, 2.0, 2.5, 2.1])] == [True, True, False, False]
    assert patience.exhausted and patience.best == 2.0 and patience.best_epoch == 1


def test_patience_stops_training_and_keeps_the_best(tmp_path):
    trainer = make_trainer(tmp_path, patience=2)
    for g_loss in (1.0, 0.5, 0.7):
        finish_epoch(trainer, g_loss)
        assert not trainer.stopped_early
    assert (tmp_path / "checkpoints" / BEST_CHECKPOINT).is_file() and (tmp_path / BEST_EXPORT).is_file()
    best_bytes = (tmp_path / BEST_EXPORT).read_bytes()
    finish_epoch(trainer, 0.9)
    assert trainer.stopped_early
    assert (tmp_path / BEST_EXPORT).read_bytes() == best_bytes, "a worse epoch must not replace the best"


def test_uniform_noise_lies_in_minus_one_to_one():
    z = draw_noise("uniform", 2000, 8, generator=torch.Generator().manual_seed(0))
    assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.99 and z.max() > 0.99
    assert not math.isclose(float(z.std()), 1.0, abs_tol=0.1)  # not a normal draw


def test_bf16_is_refused_in_one_line_where_the_cpu_lacks_it(monkeypatch):
    from gantool.training import devices

    monkeypatch.setattr(devices, "cpu_flags", lambda: {"avx2"})
    with pytest.raises(GantoolError, match="--precision fp32"):
        devices.autocast_for("bf16", torch.device("cpu"))


@pytest.mark.skipif(not __import__("gantool.training.devices").training.devices.bf16_supported(torch.device("cpu")),
                    reason="this CPU has no native bf16")
def test_bf16_training_step_runs_and_keeps_fp32_weights(tmp_path):
    trainer = make_trainer(tmp_path, precision="bf16")
    (real, labels), = first_batches(trainer, 1)
    values = trainer.train_step(real, labels)
    assert torch.isfinite(values).all()
    assert all(p.dtype == torch.float32 for p in trainer.G.parameters())


@pytest.mark.parametrize(("settings", "message"), [
    ({"betas_g": [0.5]}, "betas-g"), ({"ema": 1.5}, "--ema"), ({"lr_decay_epochs": [40, 30]}, "increasing"),
    ({"precision": "fp16"}, "fp32, bf16 or auto"), ({"noise": "gauss"}, "normal, uniform or uniform01"),
])
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(GantoolError, match=message):
        TrainConfig(**settings)
