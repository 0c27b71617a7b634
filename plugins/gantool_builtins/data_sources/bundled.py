"""The bundled `mnist5k` digits, shipped as gzip-compressed safetensors inside the package."""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from importlib import resources

import torch
from safetensors.torch import load

from gantool.interfaces import DatasetBundle, EvaluationParts
from gantool_builtins.data_sources.tensors import in_memory_bundle, resize_uint8

MNIST5K_FILE = "mnist5k.safetensors.gz"
SPLITS = ("all", "train", "heldout")
PARTS = EvaluationParts(reference={"split": "heldout"}, floor={"split": "train"})
"""`gantool evaluate` measures against the held-out digits and draws the floor from the other nine tenths."""


def heldout_mask(labels: torch.Tensor) -> torch.Tensor:
    """Every tenth digit of each class is held out (10%, stratified, the same on every machine)."""
    mask = torch.zeros(len(labels), dtype=torch.bool)
    for value in labels.unique():
        where = (labels == value).nonzero().flatten()
        mask[where[9::10]] = True
    return mask


def load_mnist5k(*, image_size: int = 28, classes: Iterable[int] = range(10), split: str = "all") -> DatasetBundle:
    """The digits of `classes` in one split, as one uint8 tensor (decoded once, in about a tenth of a second).

    Labels stay the digits themselves (num_classes 10) whichever classes are kept, so label 7 is a seven.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    payload = resources.files("gantool_builtins.data").joinpath(MNIST5K_FILE).read_bytes()
    tensors = load(gzip.decompress(payload))
    labels = tensors["labels"].long()
    keep = torch.isin(labels, torch.tensor(sorted(set(classes)), dtype=torch.long))
    if split != "all":
        heldout = heldout_mask(labels)
        keep &= heldout if split == "heldout" else ~heldout
    images = resize_uint8(tensors["images"][keep], image_size)
    labels = labels[keep]
    chosen = "" if len(set(classes)) == 10 else f"{','.join(map(str, sorted(set(classes))))}; "
    part = "" if split == "all" else f", {split} part"
    return in_memory_bundle(images, labels, 10, f"MNIST, {len(labels):,} digits ({chosen}bundled{part})",
                            evaluation_parts=PARTS)
