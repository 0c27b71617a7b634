"""Stacked MNIST (Metz et al. 2017; PacGAN, Lin et al. 2018): three bundled digits as the R, G and B channels of
one image, so the digit triple (100 x red + 10 x green + blue) is one of 1,000 modes.

Built offline from mnist5k, the same bytes on every machine: each mode appears equally often, and each channel's
digit is picked from its class by a keyed BLAKE2b hash of (seed, image, channel), which no library version can
change (torch's and numpy's random streams are not promised to stay the same across releases).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import torch

from gantool.interfaces import DatasetBundle, DataSpec, EvaluationParts
from gantool_builtins.data_sources.bundled import load_mnist5k
from gantool_builtins.data_sources.tensors import TensorImages

MODES = 1000
SPLITS = ("train", "heldout")
PARTS = EvaluationParts(reference={"split": "heldout"}, floor={"split": "train"})
"""Trained on stacks of mnist5k's train digits, measured against stacks of its held-out digits."""


@dataclass
class StackedBundle(DatasetBundle):
    """A DatasetBundle that also remembers each image's mode (0..999): unlabelled for training, known for checks."""

    modes: torch.Tensor | None = None


def mode_digits(modes: torch.Tensor) -> torch.Tensor:
    """The (red, green, blue) digits of each mode, shaped (N, 3)."""
    return torch.stack([modes // 100, modes // 10 % 10, modes % 10], dim=1)


def _pick(seed: int, image: int, channel: int, count: int) -> int:
    digest = hashlib.blake2b(f"{image}:{channel}".encode(), digest_size=8, key=seed.to_bytes(8, "little")).digest()
    return int.from_bytes(digest, "little") % count


def load_stacked_mnist(*, size: int = 10000, seed: int = 0, split: str = "train") -> StackedBundle:
    """`size` stacked images (uint8, N x 3 x 28 x 28) from one part of mnist5k; mode i % 1000 for image i, so
    every mode appears size // 1000 or one more times."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    digits = load_mnist5k(split=split)
    assert digits.images is not None and digits.labels is not None, "the bundled digits are held in memory"
    pools = [(digits.labels == digit).nonzero().flatten().tolist() for digit in range(10)]
    modes = torch.arange(size) % MODES
    wanted = mode_digits(modes).tolist()
    sources = torch.tensor([[pools[d][_pick(seed, i, c, len(pools[d]))] for c, d in enumerate(triple)]
                            for i, triple in enumerate(wanted)], dtype=torch.long)
    images = digits.images[:, 0][sources]  # (N, 3, 28, 28): channel c is the digit sources[:, c]
    labels = torch.zeros(size, dtype=torch.long)
    description = f"Stacked MNIST, {size:,} images of 3 bundled digits ({split} part, seed {seed}; 1,000 modes)"
    return StackedBundle(DataSpec(3, 28, 28), TensorImages(images, labels), images, labels, description,
                         evaluation_parts=PARTS, modes=modes)
