"""Every global random state a run may draw from, as tensors, for an exact resume.

The trainer's own noise generator is saved by the trainer; this covers what plugins may use too:
torch's CPU and CUDA default generators, Python's `random` and NumPy's legacy global generator. All of
it is tensors (no JSON part), so distributed runs can gather each rank's copy like any other state.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable

import torch

MT_WORDS = 624  # the Mersenne Twister's state (NumPy's legacy generator)


def capture_rng() -> dict[str, torch.Tensor]:
    """The global random states, named `rng.*`."""
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{index}"] = state
    version, words, gauss = random.getstate()
    tensors["rng.python"] = torch.tensor(words, dtype=torch.int64)
    extra = [version, gauss is not None, gauss or 0.0]
    tensors["rng.python.extra"] = torch.tensor(extra, dtype=torch.float64)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        _, keys, pos, has_gauss, cached = numpy.random.get_state()
        tensors["rng.numpy"] = torch.from_numpy(keys.astype("int64"))
        tensors["rng.numpy.extra"] = torch.tensor([pos, has_gauss, cached], dtype=torch.float64)
    return tensors


def restore_rng(lookup: Callable[[str], torch.Tensor | None]) -> None:
    """Put back what `capture_rng` saved; `lookup(name)` gives a saved tensor or None when absent."""
    torch.set_rng_state(_required(lookup, "rng.torch"))
    if torch.cuda.is_available():
        cuda = [lookup(f"rng.cuda.{index}") for index in range(torch.cuda.device_count())]
        if cuda and all(state is not None for state in cuda):
            torch.cuda.set_rng_state_all(cuda)
    words, extra = lookup("rng.python"), lookup("rng.python.extra")
    if words is not None and extra is not None:
        version, has_gauss, gauss = extra.tolist()
        random.setstate((int(version), tuple(words.tolist()), gauss if has_gauss else None))
    numpy = sys.modules.get("numpy")
    keys, extra = lookup("rng.numpy"), lookup("rng.numpy.extra")
    if numpy is not None and keys is not None and extra is not None:
        pos, has_gauss, cached = extra.tolist()
        # NumPy takes any position on trust and would read past its 624 words: check the whole state first
        if not (keys.numel() == MT_WORDS and keys.min() >= 0 and keys.max() < 2**32 and pos in range(MT_WORDS + 1)
                and has_gauss in (0, 1)):
            raise ValueError("NumPy's random state is out of range")
        numpy.random.set_state(("MT19937", keys.numpy().astype("uint32"), int(pos), int(has_gauss), cached))


def _required(lookup: Callable[[str], torch.Tensor | None], name: str) -> torch.Tensor:
    tensor = lookup(name)
    if tensor is None:
        raise KeyError(name)
    return tensor
