"""Real images to measure samples against, taken from a dataset through its plugin.

A dataset that declares `evaluation_parts` (the bundled digits hold out every tenth image) gives the
reference and the floor's pool through its own factory options; any other dataset is split into two
fixed random halves. The core names two datasets: DIGIT_REFERENCE, the bundled digits the shipped
classifier was trained beside, measured against by default, and STACKED_REFERENCE, three of them stacked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch

from gantool.config import BUNDLED_DIGITS
from gantool.errors import GantoolError
from gantool.interfaces import DatasetBundle, DataSpec, EvaluationParts
from gantool.registry import Registry

DIGIT_REFERENCE = BUNDLED_DIGITS
STACKED_REFERENCE = "stacked-mnist"
"""The reference of 3x28x28 images given without --dataset: Stacked MNIST, three bundled digits per image."""
LARGEST_PART = 10000
"""At most this many real images per part (a fixed random choice), so references stay quick to extract."""


@dataclass
class RealImages:
    """Real images (uint8, or floats in [-1, 1]), their labels if known, and a phrase saying which they are."""

    images: torch.Tensor
    description: str
    labels: torch.Tensor | None = None


@dataclass
class RealParts:
    """The reference set and the disjoint pool the floor draws from, with the dataset they came from."""

    reference: RealImages
    floor: RealImages
    dataset: str
    declared: EvaluationParts | None


def _build(registry: Registry, dataset: str, options: Mapping[str, Any]) -> DatasetBundle:
    from gantool.assembly import build_dataset
    from gantool.options import resolve_options

    component = registry.get("dataset", dataset)
    return build_dataset(component, resolve_options(component.factory, options, "data"))


def _real(bundle: DatasetBundle, indices: torch.Tensor, description: str) -> RealImages:
    """The images at `indices`, with their labels when the bundle holds them in memory."""
    if bundle.images is not None:
        labels = None if bundle.labels is None else bundle.labels[indices]
        return RealImages(bundle.images[indices], description, labels)
    return RealImages(torch.stack([bundle.dataset[int(i)][0] for i in indices]), description)  # type: ignore[index]


def _whole(bundle: DatasetBundle, description: str) -> RealImages:
    """Every image of a part, or a fixed random LARGEST_PART of them."""
    order = torch.arange(len(bundle))
    if len(bundle) > LARGEST_PART:
        order = torch.randperm(len(bundle), generator=torch.Generator().manual_seed(0))[:LARGEST_PART]
    return _real(bundle, order, description)


def real_parts(registry: Registry, dataset: str, options: Mapping[str, Any]) -> RealParts:
    """The reference and floor pool of `dataset` built with `options`: its declared parts, else two halves."""
    bundle = _build(registry, dataset, options)
    described = f"{dataset} {dict(options)}" if options else dataset
    declared = bundle.evaluation_parts
    if declared is not None:
        reference = _build(registry, dataset, {**options, **declared.reference})
        floor = _build(registry, dataset, {**options, **declared.floor})
        return RealParts(_whole(reference, f"the {described} {declared.reference_name}"),
                         _whole(floor, f"the {described} {declared.floor_name}"), dataset, declared)
    count = len(bundle)
    half = min(count // 2, LARGEST_PART)
    if half < 2:
        raise GantoolError(f"dataset {dataset!r} has {count} images; evaluate needs at least 4 real images")
    order = torch.randperm(count, generator=torch.Generator().manual_seed(0))
    return RealParts(_real(bundle, order[:half], f"{described} (a fixed random half)"),
                     _real(bundle, order[half:2 * half], f"{described} (the other half)"), dataset, None)


def overlap_note(registry: Registry, real: RealParts, dataset: str, options: Mapping[str, Any]) -> str | None:
    """A warning when a run trained on the very images it is measured against: its dataset is the one the
    reference was held out of, and its options did not select the part kept apart from the reference."""
    from gantool.options import resolve_options

    if real.declared is None:
        return None
    try:  # a run whose dataset is no longer installed, or whose options it no longer takes, cannot overlap
        component = registry.get("dataset", dataset)
        if component is not registry.get("dataset", real.dataset):
            return None
        trained = resolve_options(component.factory, options, "data")
        apart = resolve_options(component.factory, {**options, **real.declared.floor}, "data")
    except GantoolError:
        return None
    if trained == apart:
        return None
    fix = " ".join(f"--set data.{key}={value}" for key, value in real.declared.floor.items())
    return (f"the generator was trained on {dataset} images that include the held-out reference; train with "
            f"{fix} for a strict protocol")


def default_reference(spec: DataSpec) -> str:
    """The dataset images of this shape are measured against when none is named: Stacked MNIST for 3x28x28,
    else the bundled digits."""
    from gantool.evaluation.modes import STACKED_SHAPE

    return STACKED_REFERENCE if (spec.channels, spec.height, spec.width) == STACKED_SHAPE else DIGIT_REFERENCE


def real_digits(registry: Registry, part: Literal["train", "heldout"]) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (N, 1, 28, 28) and labels of the bundled digits' held-out part or the rest (train)."""
    real = real_parts(registry, DIGIT_REFERENCE, {})
    chosen = real.reference if part == "heldout" else real.floor
    assert chosen.labels is not None, "the bundled digits are labelled"
    return chosen.images, chosen.labels


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 images to floats in [-1, 1], as generators produce them."""
    return images.float().div(127.5).sub(1.0)
