"""Learning-rate step decay: multiply every learning rate by a factor at named epochs."""

from __future__ import annotations

import torch


def step_decay(optimizer: torch.optim.Optimizer, epochs: list[int],
               factor: float) -> torch.optim.lr_scheduler.MultiStepLR:
    """A scheduler stepped once per finished epoch; from epoch E on the rate is multiplied by `factor`.

    With no epochs it never changes the rate, so the trainer treats every run alike.
    """
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=list(epochs), gamma=factor)
