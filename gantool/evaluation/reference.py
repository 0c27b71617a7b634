"""Real reference digits: the training and held-out parts of the bundled mnist5k set."""

from __future__ import annotations

from typing import Literal

import torch

from gantool.registry import Registry

Part = Literal["train", "heldout"]
REFERENCE_DATASET = "mnist5k"


def real_digits(registry: Registry, part: Part) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (N, 1, 28, 28) and labels of one part of mnist5k, loaded through its plugin's `split`."""
    bundle = registry.get("dataset", REFERENCE_DATASET).factory(split=part)
    return bundle.images, bundle.labels


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 images to floats in [-1, 1], as generators produce them."""
    return images.float().div(127.5).sub(1.0)
