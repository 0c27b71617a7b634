"""--update simultaneous: both losses from one forward pass, G's gradient through D as it was before the step, both
optimisers stepped after. One step of the trainer is compared, weight for weight, with the same step written out by
hand, and with the alternating step on the same seed and batch."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from tests.test_trainer_options import first_batches, make_trainer


def one_step(trainer) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run the trainer's first step; returns its real batch and the noise it drew (recorded as it was drawn)."""
    drawn = []
    original = trainer._noise_batch
    trainer._noise_batch = lambda count: drawn.append(original(count)) or drawn[-1]
    (real, labels), = first_batches(trainer, 1)
    trainer.train_step(real, labels)
    (z, _), = drawn
    return real, labels, z


def hand_written_simultaneous_step(generator, discriminator, config, real, z) -> None:
    """The Keras/TF2 two-tape step with PyTorch's own pieces: one forward pass, both gradients, then both updates."""
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=tuple(config.betas_g))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=tuple(config.betas_d))
    fake = generator(z)
    real_logits, fake_logits = discriminator(real), discriminator(fake)
    d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
              + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    g_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    d_grads = torch.autograd.grad(d_loss, list(discriminator.parameters()), retain_graph=True)
    g_grads = torch.autograd.grad(g_loss, list(generator.parameters()))
    for params, grads in ((discriminator.parameters(), d_grads), (generator.parameters(), g_grads)):
        for param, grad in zip(params, grads, strict=True):
            param.grad = grad
    opt_d.step()
    opt_g.step()


def assert_same_weights(module, reference) -> None:
    for (name, value), expected in zip(module.state_dict().items(), reference.state_dict().values(), strict=True):
        assert torch.allclose(value.float(), expected.float(), rtol=1e-5, atol=1e-7), name


def test_simultaneous_step_matches_a_hand_written_one_and_differs_from_alternating(tmp_path):
    simultaneous = make_trainer(tmp_path / "simultaneous", update="simultaneous", ema=0)
    generator, discriminator = copy.deepcopy(simultaneous.G), copy.deepcopy(simultaneous.D)  # before the step
    real, _, z = one_step(simultaneous)
    hand_written_simultaneous_step(generator, discriminator, simultaneous.config, real, z)
    assert_same_weights(simultaneous.G, generator)
    assert_same_weights(simultaneous.D, discriminator)  # batch-norm statistics too: D saw the real, then the fake batch

    alternating = make_trainer(tmp_path / "alternating", ema=0)
    real_alternating, _, z_alternating = one_step(alternating)
    assert torch.equal(real_alternating, real) and torch.equal(z_alternating, z), "the same seed, batch and noise"
    # D's update is the same either way; G's differs, as it went through D before rather than after D's update
    for (name, param), same in zip(alternating.D.named_parameters(), simultaneous.D.parameters(), strict=True):
        assert torch.allclose(param, same, rtol=1e-5, atol=1e-7), name
    differences = [float((mine - theirs).detach().abs().max())
                   for mine, theirs in zip(alternating.G.parameters(), simultaneous.G.parameters(), strict=True)]
    assert max(differences) > 1e-4


def test_simultaneous_takes_one_g_step_per_d_step(cli):
    result = cli("train", "--update", "simultaneous", "--g-steps", "2", "--max-steps", "1", "--quiet")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "--g-steps 1" in result.err and "--update alternating" in result.err


@pytest.mark.parametrize("settings", [{"d_steps": 2}, {"gen": "mlp", "options": {}}])
def test_simultaneous_runs_with_d_only_steps_and_other_architectures(tmp_path, settings):
    trainer = make_trainer(tmp_path, update="simultaneous", **settings)
    g_before = [param.detach().clone() for param in trainer.G.parameters()]
    for real, labels in first_batches(trainer, 2):
        values = trainer.train_step(real, labels)
        trainer.step += 1
    assert torch.isfinite(values).all()
    assert any(not torch.equal(before, after) for before, after in zip(g_before, trainer.G.parameters(),
                                                                         strict=True)), "G was updated"
