"""The discriminator contract (raw logits shaped (N,), gradients to the input), and G and D checked together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from gantool.interfaces import DataSpec
from gantool.testing.common import check_every_parameter_gets_gradient, class_count, fail, labels_for, name_of, resolved
from gantool.testing.generators import check_generator

# Autograd nodes that only reshape: a sigmoid hidden behind them is still a sigmoid on the output.
_RESHAPE_NODES = ("View", "Reshape", "UnsafeView", "Squeeze", "Unsqueeze", "Flatten", "Select", "Clone", "Alias")


def _hidden_sigmoid(output: torch.Tensor) -> bool:
    node = output.grad_fn
    while node is not None and node.name().startswith(_RESHAPE_NODES):
        node = node.next_functions[0][0] if node.next_functions else None
    return node is not None and node.name().startswith("Sigmoid")


def check_discriminator(factory: Callable[..., Any], spec: DataSpec, options: Mapping[str, Any] | None = None,
                        *, batch: int = 4) -> nn.Module:
    """Build a discriminator for `spec` and check: raw logits (N,), labels used, gradients to input and weights."""
    what = f"discriminator {name_of(factory)} for {spec}"
    discriminator = factory(spec, **resolved(factory, options))
    if not isinstance(discriminator, nn.Module):
        fail(f"{what} returned {type(discriminator).__name__}; a discriminator must be a torch.nn.Module")
    num_classes = class_count(discriminator, spec, what)
    labels = labels_for(num_classes, batch)
    discriminator.train()
    images = torch.rand(batch, spec.channels, spec.height, spec.width, generator=torch.Generator().manual_seed(0))
    images = (images * 2 - 1).requires_grad_(True)
    logits = discriminator(images, labels)
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (batch,):
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        fail(f"{what} returned {shape} for {batch} images; the contract is one logit per image, shape (N,) "
             "(flatten the last layer's output)")
    if not logits.is_floating_point() or not bool(torch.isfinite(logits).all()):
        fail(f"{what} returned non-finite or non-float logits")
    if _hidden_sigmoid(logits):
        fail(f"{what} ends in a sigmoid; return raw logits: the losses apply the sigmoid themselves, stably")
    logits.sum().backward()
    if images.grad is None or not bool(images.grad.abs().sum() > 0):
        fail(f"{what}: no gradient flows back to the input images, so G cannot learn from D")
    check_every_parameter_gets_gradient(discriminator, what)
    if num_classes:
        with torch.no_grad():
            other = discriminator(images.detach(), (labels + 1) % num_classes)
        if torch.equal(other, logits.detach()):
            fail(f"{what} ignores its labels: changing them did not change any logit")
    return discriminator


def check_architecture(generator_factory: Callable[..., Any], discriminator_factory: Callable[..., Any],
                       spec: DataSpec, gen_options: Mapping[str, Any] | None = None,
                       disc_options: Mapping[str, Any] | None = None) -> None:
    """Check G and D each, then together: D accepts G's images and G receives gradients through D."""
    generator = check_generator(generator_factory, spec, gen_options)
    discriminator = check_discriminator(discriminator_factory, spec, disc_options)
    generator.zero_grad(set_to_none=True)
    labels = labels_for(getattr(generator, "num_classes", 0), 4)
    discriminator(generator(torch.randn(4, generator.latent_dim), labels), labels).mean().backward()
    check_every_parameter_gets_gradient(generator, f"generator {name_of(generator_factory)} trained through "
                                                   f"discriminator {name_of(discriminator_factory)} on {spec}")
