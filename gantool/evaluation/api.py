"""Measuring sample quality as a library call: `gantool.evaluate(...)` returns what `gantool evaluate --json` prints.

A run (its directory, export file, or exported folder) is sampled and measured against its own data; a folder of
images or a .npy array against a dataset's real images.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gantool import arguments
from gantool.arguments import EVALUATE_NUM, NEIGHBOURS
from gantool.errors import GantoolError
from gantool.registry import Registry

EXTRACTORS = ("auto", "digits", "inception", "learned")
DEFAULT_SAMPLES = 2000
"""Samples measured when --num is not given, except for Stacked MNIST (the literature's 26,000, see modes.py)."""


@dataclass(frozen=True)
class Measurement:
    """How to measure, whatever is measured: sample count (None: the default for what is measured) and seed,
    feature extractor (with the settings of learned features), k of k-NN, device."""

    num: int | None
    seed: int
    extractor: Any
    inception_weights: Path | None
    neighbours: int
    device: Any
    learned: Any = None


def evaluate(
    source: str | os.PathLike[str],
    *,
    num: int | None = None,
    seed: int = 0,
    extractor: str = "auto",
    inception_weights: str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    data_options: Mapping[str, Any] | None = None,
    neighbours: int = 3,
    untrained: bool = False,
    device: str = "cpu",
    learned: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Fréchet distance, KID, precision and recall (and classifier scores for digits) of `source`, each beside the
    real floor, with the protocol they were measured under: the numbers of `gantool evaluate --json`.

    `num` defaults to 2,000 samples, or 26,000 for Stacked MNIST (3x28x28 digits, whose modes and KL divergence are
    reported too). `dataset` and `data_options` choose the real images for a folder or an array; a run uses its
    own. `learned` sets the learned features' seed, epochs and width (--learned-seed, ...)."""
    from gantool.registry import load_registry

    return measure(
        load_registry(),
        arguments.path(source, "source"),
        num=num,
        seed=seed,
        extractor=extractor,
        inception_weights=arguments.optional_path(inception_weights, "inception_weights"),
        dataset=None if dataset is None else arguments.text(dataset, "dataset"),
        options={"data": arguments.table(data_options, "data_options")},
        neighbours=neighbours,
        untrained=arguments.flag(untrained, "untrained"),
        device=arguments.device(device),
        learned=arguments.table(learned, "learned"),
    )


def measure(
    registry: Registry,
    source: Path,
    *,
    num: int | None,
    seed: int,
    extractor: str,
    inception_weights: Path | None,
    dataset: str | None,
    options: Mapping[str, Mapping[str, Any]],
    neighbours: int,
    untrained: bool,
    device: str,
    learned: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Check the request, then measure a run or a set of images (the command and `evaluate` share this)."""
    from gantool.evaluation.learned_settings import settings_from
    from gantool.storage.export_folder import is_export_folder
    from gantool.storage.rundir import RunDir
    from gantool.training.devices import pick_device

    # the rules of the command's options (it checks them first, under their flags' names), for every caller
    arguments.choice(extractor, "extractor", EXTRACTORS)
    num = None if num is None else arguments.whole(num, "num", EVALUATE_NUM)  # None: the default for the images
    seed, neighbours = arguments.seed(seed), arguments.whole(neighbours, "neighbours", NEIGHBOURS)
    if inception_weights is not None:
        from gantool.evaluation.inception import find_weights

        find_weights(inception_weights)  # refuse pickles and missing files before any work
    how = Measurement(num, seed, extractor, inception_weights, neighbours, pick_device(device), settings_from(learned))
    run = RunDir(source)
    generator = run.is_run or run.finished or is_export_folder(source)
    if source.suffix.lower() == ".npy" or (source.is_dir() and not generator):
        if untrained:
            raise GantoolError(
                "--untrained measures a fresh copy of a run's generator; give a run directory or "
                "its export, not a folder or an array of images"
            )
        return measure_images(registry, source, how, dataset=dataset, options=options)
    if dataset is not None or any(options.values()):
        raise GantoolError(
            "--dataset and --set choose the real images for a folder or an array; a run is "
            "measured against its own data, so leave them out"
        )
    return measure_run(registry, source, how, untrained=untrained)


def sample_count(shape: tuple[int, int, int], how: Measurement) -> int:
    """--num, or by default the literature's 26,000 for images (C, H, W) measured as Stacked MNIST, else 2,000."""
    from gantool.evaluation.evaluator import pick_extractor
    from gantool.evaluation.modes import LITERATURE_SAMPLES, STACKED_SHAPE
    from gantool.interfaces import DataSpec

    if how.num is not None:
        return how.num
    stacked = shape == STACKED_SHAPE and pick_extractor(DataSpec(*shape), how.extractor,
                                                        how.inception_weights) == "digits"
    return LITERATURE_SAMPLES if stacked else DEFAULT_SAMPLES


def _shape_of(spec: Any) -> tuple[int, int, int]:
    return spec.channels, spec.height, spec.width


def measure_run(registry: Registry, source: Path, how: Measurement, *, untrained: bool) -> dict[str, Any]:
    """Sample a run's generator (or a fresh one of its shape) and measure it against the run's reference."""
    from gantool.evaluation.evaluator import build_evaluator
    from gantool.evaluation.reference import overlap_note
    from gantool.storage.exported import load_generator, run_data

    loaded = load_generator(registry, source, device=how.device)
    generator = loaded.generator
    if untrained:
        import torch

        from gantool.assembly import build_generator

        torch.manual_seed(how.seed)
        generator = build_generator(registry, loaded.state["generator"], loaded.state["options"], loaded.spec)
        generator.to(loaded.device).eval()
    dataset, data_options = run_data(source, loaded.state)
    evaluator = build_evaluator(
        registry,
        loaded.spec,
        choice=how.extractor,
        dataset=dataset,
        data_options=data_options,
        inception_weights=how.inception_weights,
        device=loaded.device,
        neighbours=how.neighbours,
        learned=how.learned,
    )
    result = {
        "source": str(source),
        "kind": "run",
        "generator": loaded.state["generator"],
        "step": 0 if untrained else loaded.state.get("step"),
        "untrained": untrained,
        **evaluator.measure(generator, num=sample_count(_shape_of(loaded.spec), how),
                            seed=how.seed, noise=loaded.state.get("noise", "normal")),
    }
    note = overlap_note(registry, evaluator.real, dataset, data_options)
    if note:
        result["protocol"]["note"] = note
    return result


def measure_images(registry: Registry, source: Path, how: Measurement, *, dataset: str | None,
                   options: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Measure a folder of images or a .npy array against the real images of `dataset` (default: the bundled
    digits, or Stacked MNIST for 3x28x28 images), built with its data options (`options["data"]`, as --set data.*
    gives them)."""
    import torch

    from gantool.errors import GantoolError
    from gantool.evaluation.evaluator import evaluator_for, pick_extractor
    from gantool.evaluation.reference import default_reference
    from gantool.evaluation.sources import read_array, read_folder, stored_shape
    from gantool.interfaces import DataSpec

    others = [kind for kind, values in options.items() if values and kind != "data"]
    if others:
        raise GantoolError(f"evaluate builds only the real images: drop the --set {others[0]}.* options")
    kind = "array" if source.suffix.lower() == ".npy" else "folder"
    read = read_array if kind == "array" else read_folder
    limit = sample_count(stored_shape(source), how)
    pixels, found = read(source, limit, how.seed)
    count = sample_count((pixels.shape[3], *pixels.shape[1:3]), how)
    if count != limit:  # grey images stored as RGB: their own default count, chosen as it always was
        pixels, found = read(source, count, how.seed)
    images = torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()
    spec = DataSpec(*images.shape[1:])
    evaluator = evaluator_for(
        registry,
        pick_extractor(spec, how.extractor, how.inception_weights),
        dataset or default_reference(spec),
        options.get("data", {}),
        inception_weights=how.inception_weights,
        device=how.device,
        neighbours=how.neighbours,
        shape=tuple(images.shape[1:]),
        learned=how.learned,
    )
    return {"source": str(source), "kind": kind, "found": found, **evaluator.measure_images(images, seed=how.seed)}
