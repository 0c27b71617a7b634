"""The generator contract: a module with latent_dim that maps noise (and labels) to images in [-1, 1]."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from gantool.interfaces import DataSpec
from gantool.testing.common import check_every_parameter_gets_gradient, class_count, fail, labels_for, name_of, resolved


def check_generator(factory: Callable[..., Any], spec: DataSpec, options: Mapping[str, Any] | None = None,
                    *, batch: int = 4) -> nn.Module:
    """Build a generator for `spec` and check the contract: module, latent_dim, shape, range, labels, gradients."""
    what = f"generator {name_of(factory)} for {spec}"
    generator = factory(spec, **resolved(factory, options))
    if not isinstance(generator, nn.Module):
        fail(f"{what} returned {type(generator).__name__}; a generator must be a torch.nn.Module")
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int) or latent_dim < 1:
        fail(f"{what} needs an int attribute latent_dim >= 1 (the size of z), not {latent_dim!r}")
    num_classes = class_count(generator, spec, what)
    labels = labels_for(num_classes, batch)
    generator.train()
    z = torch.randn(batch, latent_dim, generator=torch.Generator().manual_seed(0))
    images = generator(z, labels)
    expected = (batch, spec.channels, spec.height, spec.width)
    if not isinstance(images, torch.Tensor) or tuple(images.shape) != expected:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        fail(f"{what} returned {shape} for z of shape {tuple(z.shape)}; expected (N, C, H, W) = {expected}")
    if not images.is_floating_point() or not bool(torch.isfinite(images).all()):
        fail(f"{what} returned non-finite or non-float images")
    low, high = float(images.detach().min()), float(images.detach().max())
    if low < -1.0 or high > 1.0:
        fail(f"{what} returned values in [{low:.3g}, {high:.3g}]; images must lie in [-1, 1] (end with tanh)")
    images.square().mean().backward()
    check_every_parameter_gets_gradient(generator, what)
    if num_classes:
        with torch.no_grad():
            other = generator(z, (labels + 1) % num_classes)
        if torch.equal(other, images.detach()):
            fail(f"{what} ignores its labels: changing them did not change any image")
    generator.eval()
    with torch.no_grad():
        if tuple(generator(z, labels).shape) != expected:
            fail(f"{what} returns another shape in eval mode (used for samples and export)")
    generator.train()
    return generator
