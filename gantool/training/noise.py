"""The latent noise a generator is trained on; `generate` must draw from the same distribution."""

from __future__ import annotations

import torch


def draw_noise(kind: str, count: int, latent_dim: int, *, generator: torch.Generator,
               device: torch.device | str = "cpu") -> torch.Tensor:
    """`normal`: standard normal; `uniform`: uniform on [-1, 1); `uniform01`: uniform on [0, 1) (torch.rand, as
    some tutorials draw it). Drawn on `generator`'s device."""
    shape = (count, latent_dim)
    if kind == "uniform":
        z = torch.rand(shape, generator=generator, device=generator.device).mul_(2).sub_(1)
    elif kind == "uniform01":
        z = torch.rand(shape, generator=generator, device=generator.device)
    else:
        z = torch.randn(shape, generator=generator, device=generator.device)
    return z.to(device)


def draw_labelled(kind: str, count: int, latent_dim: int, num_classes: int, *,
                  generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Noise and, for a conditional G (`num_classes` > 0), uniformly drawn labels, both from `generator`."""
    z = draw_noise(kind, count, latent_dim, generator=generator, device=generator.device)
    if not num_classes:
        return z, None
    return z, torch.randint(0, num_classes, (count,), device=generator.device, generator=generator)
