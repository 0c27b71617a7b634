"""`gantool.load`: a trained generator, from a run, its export file or an exported folder, to sample in Python.

Sampling draws exactly what the commands draw: `sample(n, seed=s)` gives the images of `gantool generate --num n
--seed s`, and `interpolate` those of `gantool interpolate`, so a notebook and the command line agree.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import Any

import torch

from gantool import arguments
from gantool.arguments import GENERATE_NUM, INTERPOLATE_STEPS
from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool.storage.exported import LoadedGenerator as Rebuilt

Labels = int | Sequence[int] | torch.Tensor | None
DTYPES = (torch.float32, torch.bfloat16, torch.float16, torch.float64)  # what `load(dtype=)` converts weights to


class LoadedGenerator:
    """A trained generator in eval mode with its data spec and provenance; every method is deterministic."""

    def __init__(self, rebuilt: Rebuilt, info: dict[str, Any], dtype: torch.dtype | None = None) -> None:
        self._rebuilt, self.info, self.dtype = rebuilt, info, dtype

    @property
    def generator(self) -> torch.nn.Module:
        """The torch module itself (eval mode), for use beyond what this class offers."""
        return self._rebuilt.generator

    @property
    def spec(self) -> DataSpec:
        """Channels, height, width and classes of the images it makes."""
        return self._rebuilt.spec

    @property
    def num_classes(self) -> int:
        """Classes it is conditioned on; 0 for an unconditional generator."""
        return self._rebuilt.num_classes

    @property
    def latent_dim(self) -> int:
        return self._rebuilt.generator.latent_dim

    @property
    def device(self) -> torch.device:
        return self._rebuilt.device

    def noise(self, n: int, seed: int = 0) -> torch.Tensor:
        """`n` latent vectors from `seed`, drawn on the CPU from the distribution the generator was trained on."""
        return self._rebuilt.noise(arguments.whole(n, "n", GENERATE_NUM), arguments.seed(seed))

    def generate(self, z: torch.Tensor, labels: Labels = None) -> torch.Tensor:
        """Images for given latent vectors (and labels, as `sample` takes them): float32 on the CPU, in [-1, 1]."""
        if not isinstance(z, torch.Tensor) or not z.is_floating_point() or z.shape[1:] != (self.latent_dim,):
            raise GantoolError(f"z must be a float tensor shaped (n, {self.latent_dim}); got {arguments.shown(z)}")
        arguments.whole(len(z), "the number of latent vectors", GENERATE_NUM)
        z = z.to(self.dtype or torch.float32)  # the weights' dtype: float32 unless load() converted them
        return self._rebuilt.sample(z, self._labels(len(z), labels))

    def sample(self, n: int, *, seed: int = 0, labels: Labels = None) -> torch.Tensor:
        """`n` images (n, C, H, W) in [-1, 1], float32 on the CPU; the same seed gives the same images.

        `labels`: one class for all, or one per image; left out, a conditional generator draws random classes
        from the seed, as `gantool generate` does."""
        n, seed = arguments.whole(n, "n", GENERATE_NUM), arguments.seed(seed)
        if labels is None and self.num_classes:
            labels = self._rebuilt.labels_for(n, None, torch.Generator().manual_seed(seed + 1))
        return self.generate(self.noise(n, seed), labels)

    def interpolate(
        self, seed_a: int, seed_b: int, steps: int, *, mode: str = "slerp", label: int | None = None
    ) -> torch.Tensor:
        """`steps` images along the latent path from seed_a's noise to seed_b's, both ends included (lerp or
        slerp); a conditional generator keeps `label` (default 0) all the way, as `gantool interpolate` does."""
        from gantool.storage.interpolation import interpolate as walk

        seed_a, seed_b = arguments.seed(seed_a, "seed_a"), arguments.seed(seed_b, "seed_b")
        steps = arguments.whole(steps, "steps", INTERPOLATE_STEPS)
        arguments.choice(mode, "mode", ("lerp", "slerp"))
        if label is not None and (isinstance(label, bool) or not isinstance(label, numbers.Integral)):
            raise GantoolError(f"label must be a class number or None; got {arguments.shown(label)}")
        if label is None and self.num_classes:
            label = 0
        path = walk(self.noise(1, seed_a)[0], self.noise(1, seed_b)[0], steps, mode)  # type: ignore[arg-type]
        return self.generate(path, label)

    def _labels(self, n: int, labels: Labels) -> torch.Tensor | None:
        """Labels as the generator takes them: None, or n class indices on its device, each checked."""
        if labels is None:
            if self.num_classes:
                raise GantoolError("a conditional generator needs labels; give labels= (one class or one per image)")
            return None
        name = self.info.get("architecture")
        if not self.num_classes:
            raise GantoolError(f"labels were given but {name} is unconditional; leave them out")
        values = label_tensor(labels)
        if values.numel() == 1:
            values = values.expand(n)
        if len(values) != n:
            raise GantoolError(f"{len(values)} labels were given for {n} images; give one label or one per image")
        wrong = values[(values < 0) | (values >= self.num_classes)]
        if len(wrong):
            raise GantoolError(
                f"label {int(wrong[0])} is out of range: {name} knows classes 0 to {self.num_classes - 1}"
            )
        return values.to(self.device)

    def __repr__(self) -> str:
        spec = self.spec
        kind = f"{self.num_classes} classes" if self.num_classes else "unconditional"
        return (
            f"<LoadedGenerator {self.info.get('architecture')} {spec.channels}x{spec.height}x{spec.width}, "
            f"{kind}, step {self.info.get('steps')}, from {self.info.get('source')}>"
        )


def load(
    path: str | os.PathLike[str], *, device: str | torch.device = "cpu", dtype: torch.dtype | None = None
) -> LoadedGenerator:
    """Load a generator from a run directory, its generator.safetensors, or a folder `gantool export` wrote.

    The architecture is rebuilt through its plugin and only weights are read (no pickle); `dtype` (e.g.
    torch.bfloat16) converts the weights; `device` is "cpu", "cuda", "cuda:1" or "auto"."""
    from gantool.registry import load_registry
    from gantool.storage.exported import load_generator
    from gantool.storage.provenance import provenance_of
    from gantool.training.devices import pick_device

    source = arguments.path(path, "path")
    device = pick_device(arguments.device(device))
    if dtype is not None and dtype not in DTYPES:
        raise GantoolError(f"dtype must be a floating-point torch dtype such as torch.bfloat16 or torch.float16; got "
                           f"{arguments.shown(dtype)}")
    rebuilt = load_generator(load_registry(), source, device=device)
    if dtype is not None:
        rebuilt.generator.to(dtype)
    return LoadedGenerator(rebuilt, provenance_of(source, rebuilt.state) | {"source": str(source)}, dtype)


def label_tensor(labels: Any) -> torch.Tensor:
    """Class numbers as a flat long tensor: one int, a sequence of ints, or an integer tensor or array (not a
    string, a float or a bool, which would silently become another class)."""
    def whole(value: Any) -> bool:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
            raise GantoolError(f"label {value} is out of range: labels are class numbers")
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    if whole(labels):
        return torch.tensor([int(labels)])
    if isinstance(labels, torch.Tensor) or type(labels).__name__ == "ndarray":
        values = torch.as_tensor(labels)
        if values.is_floating_point() or values.is_complex() or values.dtype == torch.bool:
            raise GantoolError(f"labels must hold class numbers, not {values.dtype} values")
        return values.to(device="cpu", dtype=torch.long).flatten()
    if isinstance(labels, Sequence) and not isinstance(labels, str | bytes) and all(whole(v) for v in labels):
        return torch.tensor([int(value) for value in labels], dtype=torch.long)
    raise GantoolError(f"labels must be a class number or a list of them (one per image); got "
                       f"{arguments.shown(labels)}")
