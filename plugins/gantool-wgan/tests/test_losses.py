"""The losses compute what their papers define, checked on values worked out by hand."""

import pytest
import torch
from torch import nn

from gantool_wgan.factories import wgan_gp


def test_wasserstein_critic_loss_is_fake_minus_real():
    parts = wgan_gp().discriminator_loss(torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0]))
    assert parts["loss"].item() == pytest.approx(-0.5 - 2.0)
    assert wgan_gp().generator_loss(torch.tensor([-1.0, 0.0])).item() == pytest.approx(0.5)


def test_the_critic_says_its_outputs_are_scores_not_logits():
    assert wgan_gp().outputs_are_logits is False  # gantool shows D(x) as the mean score, not a sigmoid of it


class Linear(nn.Module):
    """f(x) = w . x: its input gradient is w everywhere, so the penalty is weight * (|w| - 1)^2 exactly."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x, labels=None):
        return x.flatten(1) @ self.w


def test_gradient_penalty_is_exact_on_a_linear_critic():
    critic = Linear(torch.tensor([3.0, 4.0, 0.0, 0.0]))  # |w| = 5
    real, fake = torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2)
    value = wgan_gp(weight=2.0).penalty(critic, real, fake, None)
    assert value.item() == pytest.approx(2.0 * (5.0 - 1.0) ** 2)


def test_penalty_gradient_pulls_the_critic_towards_norm_one():
    critic = Linear(torch.tensor([3.0, 4.0, 0.0, 0.0]))
    optimizer = torch.optim.SGD(critic.parameters(), lr=0.01)
    wgan_gp().penalty(critic, torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2), None).backward()
    optimizer.step()
    assert 1.0 < critic.w.norm().item() < 5.0


def test_weight_zero_turns_the_penalty_off():
    assert wgan_gp(weight=0.0).penalty(Linear(torch.ones(4)), torch.zeros(2, 1, 2, 2), torch.zeros(2, 1, 2, 2),
                                       None) is None


class BatchNormCritic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv, self.norm = nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)

    def forward(self, x, labels=None):
        return self.norm(self.conv(x)).mean((1, 2, 3))


def test_batch_norm_critic_gets_a_warning():
    with pytest.warns(UserWarning, match="use --disc wgan"):
        wgan_gp().penalty(BatchNormCritic(), torch.randn(2, 1, 4, 4), torch.randn(2, 1, 4, 4), None)
