"""The augmentation contract: a differentiable, shape-keeping transform, with a JSON-able state if it adapts."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import torch

from gantool.interfaces import DataSpec
from gantool.testing.common import DEFAULT_SPECS, fail, name_of, resolved


def check_augmentation(factory: Callable[..., Any], options: Mapping[str, Any] | None = None, *,
                       spec: DataSpec = DEFAULT_SPECS[0]) -> Any:
    """Build an augmentation and check it on a batch: same shape and dtype out, finite values, gradients that
    reach the input (G learns through it), and a JSON-able `state()` if it keeps one."""
    what = f"augmentation {name_of(factory)}"
    augmentation = factory(**resolved(factory, options))
    if not callable(augmentation):
        fail(f"{what} built {type(augmentation).__name__}, which is not callable; see gantool.interfaces.Augmentation")
    seed = torch.Generator().manual_seed(2)
    images = (torch.rand(8, spec.channels, spec.height, spec.width, generator=seed) * 2 - 1).requires_grad_(True)
    out = augmentation(images)
    if not isinstance(out, torch.Tensor) or out.shape != images.shape or out.dtype != images.dtype:
        got = f"{out.dtype} {tuple(out.shape)}" if isinstance(out, torch.Tensor) else type(out).__name__
        fail(f"{what} returned {got} for images {images.dtype} {tuple(images.shape)}; it must keep shape and dtype")
    if not bool(torch.isfinite(out).all()):
        fail(f"{what} returned non-finite values")
    if not out.requires_grad:
        fail(f"{what} cut the gradient: G learns through the augmentation, so build it from differentiable ops")
    (out * torch.randn(out.shape, generator=seed)).sum().backward()
    if images.grad is None or not bool(images.grad.abs().sum() > 0):
        fail(f"{what}: no gradient reaches the input images; G would learn nothing through it")
    observe = getattr(augmentation, "observe", None)
    if observe is not None:
        observe(torch.randn(8, generator=seed))
    if hasattr(augmentation, "state"):
        _check_state(augmentation, what)
    return augmentation


def _check_state(augmentation: Any, what: str) -> None:
    state = augmentation.state()
    try:
        restored = json.loads(json.dumps(state))
    except (TypeError, ValueError) as exc:
        fail(f"{what}.state() must return JSON-able data (it is saved in checkpoints): {exc}")
    if not callable(getattr(augmentation, "load_state", None)):
        fail(f"{what} has state() but no load_state(state); resuming would lose its state")
    augmentation.load_state(restored)
