"""The contracts between the core and the plugins: data spec, generator, discriminator, loss, dataset, tracker.

Nothing here imports torch, so the registry and `--help` stay fast; the tensor types are for readers
and type checkers.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from torch import Tensor
    from torch.utils.data import Dataset


@dataclass(frozen=True)
class DataSpec:
    """Shape of the images a dataset yields: channels, height, width, and classes (0 = unlabelled)."""

    channels: int
    height: int
    width: int
    num_classes: int = 0

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataSpec:
        return cls(**{key: int(data[key]) for key in ("channels", "height", "width", "num_classes")})


@runtime_checkable
class Generator(Protocol):
    """A torch.nn.Module mapping noise (N, latent_dim) and optional labels (N,) to images in [-1, 1]."""

    latent_dim: int
    num_classes: int

    def __call__(self, z: Tensor, labels: Tensor | None = None) -> Tensor: ...


@runtime_checkable
class Discriminator(Protocol):
    """A torch.nn.Module mapping images (N, C, H, W) and optional labels to raw logits shaped (N,)."""

    def __call__(self, x: Tensor, labels: Tensor | None = None) -> Tensor: ...


@runtime_checkable
class Loss(Protocol):
    """An adversarial loss on D's outputs. It may also define `penalty(discriminator, real, fake, labels)`, and
    `outputs_are_logits = False` when D's outputs are raw scores (hinge, Wasserstein): D(x) and D(G(z)) are then
    shown as mean scores instead of sigmoids of them, which only mean a probability for logits.

    A loss that pairs real and fake images (relativistic losses) sets `needs_real_logits = True`: its
    `generator_loss(fake_logits, real_logits)` then also receives D's logits on the step's real batch (from the
    current D, without gradient). Without the attribute, `generator_loss(fake_logits)` is called as before.
    """

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Mapping[str, Tensor]:
        """Named scalars; the `loss` entry is minimised, the others (e.g. `real`, `fake`) are logged."""
        ...

    def generator_loss(self, fake_logits: Tensor) -> Tensor: ...


def needs_real_logits(loss: object) -> bool:
    """Whether `loss.generator_loss` takes the real logits too (see `Loss`)."""
    return bool(getattr(loss, "needs_real_logits", False))


@functools.lru_cache(maxsize=64)
def takes_parameter(function: Any, name: str) -> bool:
    """Whether `function` takes a parameter called `name` (optional arguments newer than a plugin's code)."""
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def penalty_of(loss: Loss, step: int, discriminator: Any, real: Tensor, fake: Tensor, labels: Tensor | None,
               fake_labels: Tensor | None) -> Tensor | None:
    """The loss's penalty on this D step, or None (no penalty, or not a step its `penalty_every` applies to);
    `fake_labels` goes only to a penalty that takes it."""
    penalty = getattr(loss, "penalty", None)
    if penalty is None or step % getattr(loss, "penalty_every", 1):
        return None
    by_name = {"fake_labels": fake_labels} if takes_parameter(penalty, "fake_labels") else {}
    return penalty(discriminator, real, fake, labels, **by_name)


def generator_loss_of(loss: Loss, fake_logits: Tensor, real_logits: Tensor | None) -> Tensor:
    """G's loss in whichever form `loss` declares: with the real logits for a relativistic loss, without otherwise."""
    if needs_real_logits(loss):
        if real_logits is None:
            raise ValueError("this loss needs the real logits of the step for G's loss")
        return loss.generator_loss(fake_logits, real_logits)  # type: ignore[call-arg]
    return loss.generator_loss(fake_logits)


@runtime_checkable
class Augmentation(Protocol):
    """A differentiable transform of image batches (N, C, H, W) in [-1, 1], applied alike to real and generated
    images before D, in D's step and in G's (DiffAugment-style), so G learns through it.

    Optional, for adaptive policies (ADA-style): `observe(real_logits)` is called after every D step with D's
    detached logits on the augmented real batch (for a relativistic loss, the real logits minus those of the
    paired fakes, since only the difference means anything there); `state()` returns a JSON-able dict saved in
    checkpoints and `load_state(state)` restores it on resume; `metrics()` returns named floats (e.g. `aug_p`)
    added to each logged metrics line.
    """

    def __call__(self, images: Tensor) -> Tensor: ...


@runtime_checkable
class Tracker(Protocol):
    """Receives a run as it trains, on rank 0 only (`gantool train --track NAME`): the run's config.toml record at
    the start, then every metrics line, each sample grid (a PNG file), each evaluation, the export, and the end
    with the run's state ("finished", "stopped" or "failed"). A method that raises is reported in one line and
    the tracker is dropped for the rest of the run, which goes on; it must never write into the run's files.
    """

    def start(self, run: Path, config: Mapping[str, Any]) -> None: ...

    def log_metrics(self, step: int, values: Mapping[str, float]) -> None: ...

    def log_samples(self, step: int, grid: Path) -> None: ...

    def log_evaluation(self, step: int, values: Mapping[str, float], protocol: Mapping[str, Any]) -> None: ...

    def log_export(self, export: Path) -> None: ...

    def end(self, state: str) -> None: ...


@dataclass
class DataReport:
    """What a dataset found while reading its files; `gantool check-data` prints it, `train` warns from it.

    `converted` counts inputs changed to fit, by rule (e.g. transparency flattened onto white); `skipped`
    lists the files left out, by problem; `ignored` counts what the dataset's rules pass over on purpose
    (hidden files, other names); `classes` counts images per class name; `hint` says what to do about
    skipped files.
    """

    files: int = 0
    converted: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    hint: str = ""

    @property
    def skipped_count(self) -> int:
        return sum(len(files) for files in self.skipped.values())

    def skipped_summary(self) -> str:
        """E.g. "2 truncated, 1 not an image", largest first."""
        ranked = sorted(self.skipped.items(), key=lambda item: (-len(item[1]), item[0]))
        return ", ".join(f"{len(files)} {problem}" for problem, files in ranked)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EvaluationParts:
    """How a dataset splits itself for evaluation: the option values that select its held-out part (the
    reference samples are measured against) and a disjoint part (real images for the floor), with a
    name for each. `gantool evaluate` builds both through the dataset's factory, so no dataset is named
    in the core; a dataset without them is split into two fixed random halves.
    """

    reference: Mapping[str, Any]
    floor: Mapping[str, Any]
    reference_name: str = "held-out part"
    floor_name: str = "train part"


@dataclass
class DatasetBundle:
    """What a dataset factory returns.

    `dataset` yields (image float in [-1, 1] shaped like `spec`, label int). Small sets also give
    `images` (uint8, N x C x H x W) and `labels` (int64, N) so the trainer indexes batches directly
    instead of decoding sample by sample. A dataset that reads files one by one may add a `report`
    of what it converted, skipped and ignored, and one with a held-out split its `evaluation_parts`.
    """

    spec: DataSpec
    dataset: Dataset | None = None
    images: Tensor | None = None
    labels: Tensor | None = None
    description: str = ""
    report: DataReport | None = None
    evaluation_parts: EvaluationParts | None = None

    def __len__(self) -> int:
        if self.images is not None:
            return len(self.images)
        assert self.dataset is not None, "a DatasetBundle needs images or a dataset"
        return len(self.dataset)  # type: ignore[arg-type]
