"""Paths through the latent space between two noise vectors: straight (lerp) or along the sphere (slerp)."""

from __future__ import annotations

from typing import Literal

import torch

Mode = Literal["lerp", "slerp"]


def interpolate(a: torch.Tensor, b: torch.Tensor, steps: int, mode: Mode = "lerp") -> torch.Tensor:
    """`steps` points from a to b inclusive (shape (steps, *a.shape)).

    slerp keeps the norm of Gaussian noise typical all the way, where lerp passes through vectors
    shorter than any the generator was trained on; for (nearly) parallel vectors slerp is lerp.
    """
    t = torch.linspace(0.0, 1.0, steps, dtype=a.dtype).view(-1, *([1] * a.dim()))
    if mode == "lerp":
        return (1 - t) * a + t * b
    cosine = torch.dot(a.flatten(), b.flatten()) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cosine.clamp(-1.0, 1.0))
    if omega.abs() < 1e-4:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)
