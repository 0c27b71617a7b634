"""Real reference digits: the training and held-out parts of the bundled mnist5k set."""

from __future__ import annotations

from typing import Literal

import torch

from gantool.registry import Registry

Part = Literal["train", "heldout"]
REFERENCE_DATASET = "mnist5k"


def heldout_mask(labels: torch.Tensor) -> torch.Tensor:
    """Every tenth digit of each class is held out (10%, stratified, the same on every machine)."""
    mask = torch.zeros(len(labels), dtype=torch.bool)
    for value in labels.unique():
        where = (labels == value).nonzero().flatten()
        mask[where[9::10]] = True
    return mask


def real_digits(registry: Registry, part: Part) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (N, 1, 28, 28) and labels of one part of mnist5k, loaded through its plugin."""
    bundle = registry.get("dataset", REFERENCE_DATASET).factory()
    mask = heldout_mask(bundle.labels)
    keep = mask if part == "heldout" else ~mask
    return bundle.images[keep], bundle.labels[keep]


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 images to floats in [-1, 1], as generators produce them."""
    return images.float().div(127.5).sub(1.0)
