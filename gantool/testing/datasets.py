"""The dataset contract: a DatasetBundle whose spec, uint8 tensors and (image, label) items agree."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from gantool.interfaces import DatasetBundle, DataSpec
from gantool.testing.common import fail, name_of, resolved


def check_dataset(factory: Callable[..., Any], options: Mapping[str, Any] | None = None, *,
                  items: int = 4) -> DatasetBundle:
    """Build a dataset and check the bundle: spec, uint8 tensors if given, and (image in [-1, 1], label) items."""
    what = f"dataset {name_of(factory)}"
    bundle = factory(**resolved(factory, options))
    if not isinstance(bundle, DatasetBundle):
        fail(f"{what} returned {type(bundle).__name__}; return a gantool.interfaces.DatasetBundle")
    spec = bundle.spec
    if not isinstance(spec, DataSpec) or spec.channels not in (1, 3) or min(spec.height, spec.width) < 1:
        fail(f"{what} has spec {spec!r}; expected a DataSpec with 1 or 3 channels and a positive size")
    if bundle.images is None and bundle.dataset is None:
        fail(f"{what} gives neither `images` nor `dataset`")
    if len(bundle) == 0:
        fail(f"{what} is empty")
    shape = (spec.channels, spec.height, spec.width)
    if bundle.images is not None:
        _check_tensors(bundle, what, shape)
    if bundle.dataset is not None:
        for index in range(min(items, len(bundle.dataset))):
            _check_item(bundle.dataset[index], f"{what} item {index}", shape, spec.num_classes)
    return bundle


def _check_tensors(bundle: DatasetBundle, what: str, shape: tuple[int, int, int]) -> None:
    images, labels = bundle.images, bundle.labels
    if images.dtype != torch.uint8 or tuple(images.shape[1:]) != shape:
        fail(f"{what}.images is {images.dtype} {tuple(images.shape)}; expected uint8 shaped (N, *{shape})")
    if labels is None:
        return
    if labels.dtype != torch.int64 or tuple(labels.shape) != (len(images),):
        fail(f"{what}.labels is {labels.dtype} {tuple(labels.shape)}; expected int64 ({len(images)},)")
    classes = bundle.spec.num_classes
    if classes and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        fail(f"{what}.labels run from {int(labels.min())} to {int(labels.max())}; the spec has {classes} classes")


def _check_item(item: Any, what: str, shape: tuple[int, int, int], classes: int) -> None:
    if not isinstance(item, tuple | list) or len(item) != 2:
        fail(f"{what} is {type(item).__name__}; items must be (image, label) pairs")
    image, label = item
    if not isinstance(image, torch.Tensor) or tuple(image.shape) != shape or not image.is_floating_point():
        got = f"{image.dtype} {tuple(image.shape)}" if isinstance(image, torch.Tensor) else type(image).__name__
        fail(f"{what}: image is {got}; expected a float tensor shaped {shape}")
    if float(image.min()) < -1.0 or float(image.max()) > 1.0:
        fail(f"{what}: image values lie in [{float(image.min()):.3g}, {float(image.max()):.3g}], not [-1, 1]")
    if not isinstance(label, int) or (classes and not 0 <= label < classes):
        fail(f"{what}: label {label!r} must be an int in [0, {classes}) (0 for unlabelled data)")
