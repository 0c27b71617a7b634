"""The loss contract: D's loss as named scalars, G's loss in either form (fake logits alone, or with the real
logits for a relativistic loss), and an optional gradient penalty that reaches D's weights."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from gantool.interfaces import DataSpec, generator_loss_of, needs_real_logits, takes_parameter
from gantool.testing.common import DEFAULT_SPECS, fail, labels_for, name_of, resolved, scalar


class _LinearCritic(nn.Module):
    """The smallest discriminator: one linear layer on the flattened image (used to test penalties)."""

    def __init__(self, spec: DataSpec) -> None:
        super().__init__()
        self.num_classes = 0
        self.linear = nn.Linear(spec.channels * spec.height * spec.width, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.linear(x.flatten(1)).flatten()


def _logits(seed: torch.Generator) -> torch.Tensor:
    return (torch.randn(8, generator=seed) * 0.3).requires_grad_(True)


def check_loss(factory: Callable[..., Any], options: Mapping[str, Any] | None = None, *,
               discriminator: nn.Module | None = None, spec: DataSpec = DEFAULT_SPECS[0]) -> Any:
    """Build a loss and check its D and G parts (in the form it declares) and `penalty`, if defined, on random
    logits."""
    what = f"loss {name_of(factory)}"
    loss = factory(**resolved(factory, options))
    for method in ("discriminator_loss", "generator_loss"):
        if not callable(getattr(loss, method, None)):
            fail(f"{what} has no {method} method; see gantool.interfaces.Loss")
    _check_discriminator_loss(loss, what)
    _check_generator_loss(loss, what)
    if getattr(loss, "penalty", None) is not None:
        _check_penalty(loss, what, discriminator or _LinearCritic(spec), spec)
    return loss


def _check_discriminator_loss(loss: Any, what: str) -> None:
    seed = torch.Generator().manual_seed(0)
    real, fake = _logits(seed), _logits(seed)
    parts = loss.discriminator_loss(real, fake)
    if not isinstance(parts, Mapping) or "loss" not in parts:
        fail(f"{what}.discriminator_loss returned {type(parts).__name__}; it must return a mapping with a 'loss' "
             "entry (and optionally 'real' and 'fake' parts to log)")
    for key, value in parts.items():
        scalar(value, f"{what}.discriminator_loss()[{key!r}]")
    parts["loss"].backward()
    if real.grad is None or fake.grad is None:
        fail(f"{what}.discriminator_loss()['loss'] must depend on both real and fake logits")
    better = loss.discriminator_loss(real.detach() + 0.5, fake.detach() - 0.5)["loss"]
    if not float(better) < float(parts["loss"].detach()):
        fail(f"{what}: D's loss must fall when real logits rise and fake logits fall (higher logit = more real)")


def _check_generator_loss(loss: Any, what: str) -> None:
    """G's loss as the trainer calls it: `generator_loss(fake_logits, real_logits)` when the loss declares
    `needs_real_logits = True` (and it must then use both), `generator_loss(fake_logits)` otherwise."""
    paired = needs_real_logits(loss)
    seed = torch.Generator().manual_seed(3)
    fake = _logits(seed)
    real = _logits(seed) if paired else None
    form = "generator_loss(fake_logits, real_logits)" if paired else "generator_loss(fake_logits)"
    g_loss = scalar(_generator_loss(loss, what, form, fake, real), f"{what}.{form}")
    g_loss.backward()
    if fake.grad is None or not bool(fake.grad.abs().sum() > 0):
        fail(f"{what}.{form} must depend on the fake logits")
    if real is not None and (real.grad is None or not bool(real.grad.abs().sum() > 0)):
        fail(f"{what} declares needs_real_logits = True but its {form} does not depend on the real logits; "
             "use them (a relativistic loss compares each fake with the reals) or remove needs_real_logits")
    fixed_real = None if real is None else real.detach()
    if not float(_generator_loss(loss, what, form, fake.detach() + 0.5, fixed_real)) < float(g_loss.detach()):
        fail(f"{what}: G's loss must fall when D's logits on fakes rise (G wants fakes judged real)")


def _generator_loss(loss: Any, what: str, form: str, fake: torch.Tensor, real: torch.Tensor | None) -> Any:
    try:
        return generator_loss_of(loss, fake, real)
    except TypeError as exc:
        hint = ("a loss declaring needs_real_logits = True is called with both" if real is not None else
                "a generator_loss that also takes the real logits needs `needs_real_logits = True` on the loss")
        fail(f"{what}: calling {form} failed ({exc}); {hint} (see gantool.interfaces.Loss)")


def _check_penalty(loss: Any, what: str, discriminator: nn.Module, spec: DataSpec) -> None:
    seed = torch.Generator().manual_seed(1)
    real = torch.rand(4, spec.channels, spec.height, spec.width, generator=seed) * 2 - 1
    fake = torch.rand(4, spec.channels, spec.height, spec.width, generator=seed) * 2 - 1
    labels = labels_for(getattr(discriminator, "num_classes", 0), 4)
    discriminator.zero_grad(set_to_none=True)
    by_name = {"fake_labels": labels} if takes_parameter(loss.penalty, "fake_labels") else {}  # as the trainer calls it
    value = loss.penalty(discriminator, real, fake, labels, **by_name)
    if value is None:
        return
    scalar(value, f"{what}.penalty()")
    if value.requires_grad:
        value.backward()
    if not any(p.grad is not None for p in discriminator.parameters()):
        fail(f"{what}.penalty() does not reach D's weights; a gradient penalty needs "
             "torch.autograd.grad(..., create_graph=True)")
