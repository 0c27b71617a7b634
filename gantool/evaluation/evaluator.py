"""Measure a generator against real images with a fixed feature extractor, recording how it was measured.

An Evaluator holds the extractor and the reference features (computed once, so evaluating during
training costs only the samples). Each measurement reports the generator's numbers beside the
real-versus-real floor: the same count of real images, disjoint from the reference, measured the
same way, which is the best a generator could hope to score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from gantool.errors import GantoolError
from gantool.evaluation import scores
from gantool.evaluation.frechet import feature_stats, frechet_from_stats
from gantool.evaluation.kid import SUBSETS as KID_SUBSETS
from gantool.evaluation.kid import kid, subset_size
from gantool.evaluation.manifold import NEIGHBOURS, Manifold
from gantool.evaluation.modes import STACKED_SHAPE, mode_scores, modes_protocol
from gantool.evaluation.reference import DIGIT_REFERENCE, RealParts, real_parts
from gantool.interfaces import DataSpec
from gantool.registry import Registry
from gantool.training.noise import draw_noise

if TYPE_CHECKING:
    from gantool.evaluation.learned_settings import ContrastiveSettings

ExtractorChoice = Literal["auto", "digits", "inception", "learned"]
Extractor = Literal["digits", "inception", "learned"]
Extract = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]
DIGIT_SHAPE = (1, 28, 28)
BATCH = 250


def _unit(images: torch.Tensor) -> torch.Tensor:
    return images.float().div(127.5).sub(1.0) if images.dtype == torch.uint8 else images.float()


class Evaluator:
    """Fréchet distance, KID, precision/recall and classifier scores of images, with the real-versus-real floor."""

    def __init__(self, extract: Extract, name: str, sha256: str, image_size: tuple[int, ...], real: RealParts,
                 *, neighbours: int = NEIGHBOURS) -> None:
        self.extract, self.name, self.sha256, self.image_size = extract, name, sha256, image_size
        self.real, self.reference, self.floor_pool = real, real.reference, real.floor
        self.neighbours = neighbours
        self.reference_features, _ = self._features(real.reference.images)
        self.reference_stats = feature_stats(self.reference_features)
        self.reference_manifold = self._manifold(self.reference_features)
        self._floors: dict[tuple[int, int], dict[str, Any]] = {}

    def _features(self, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
        feats, probs = zip(*(self.extract(_unit(chunk)) for chunk in images.split(BATCH)), strict=True)
        return torch.cat(feats).numpy(), None if probs[0] is None else torch.cat(probs).numpy()

    def _manifold(self, features: np.ndarray) -> Manifold | None:
        """The k-NN manifold, or None when the set has no more vectors than neighbours (too few to measure)."""
        return Manifold(features, self.neighbours) if len(features) > self.neighbours else None

    def _precision_recall(self, features: np.ndarray) -> tuple[float | None, float | None]:
        """Precision and recall against the reference; None for both when a set is too small to measure."""
        samples = self._manifold(features)
        if samples is None or self.reference_manifold is None:
            return None, None
        return self.reference_manifold.share_inside(features), samples.share_inside(self.reference_features)

    def _scores(self, features: np.ndarray, probs: np.ndarray | None, seed: int) -> dict[str, Any]:
        kid_mean, kid_std = kid(features, self.reference_features, seed=seed)
        precision, recall = self._precision_recall(features)
        result: dict[str, Any] = {
            "frechet_distance": frechet_from_stats(*feature_stats(features), *self.reference_stats),
            "kid": kid_mean, "kid_std": kid_std, "precision": precision, "recall": recall}
        if probs is not None and probs.ndim == 3:  # one digit per channel: Stacked MNIST's modes
            result |= mode_scores(probs)
        elif probs is not None:
            histogram = scores.class_histogram(probs)
            result |= {"classifier_score": scores.classifier_score(probs),
                       "classes_covered": scores.classes_covered(histogram), "classes": len(histogram),
                       "class_entropy_bits": scores.histogram_entropy(histogram),
                       "class_histogram": histogram.tolist()}
        return result

    @torch.no_grad()
    def sample_features(self, generator: Any, num: int, seed: int, noise: str = "normal"
                        ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Draw `num` images (balanced labels if conditional) from the noise the generator was trained on
        and extract them: (features, probs, labels)."""
        device = next(generator.parameters()).device
        z = draw_noise(noise, num, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
        classes = getattr(generator, "num_classes", 0)
        labels = torch.arange(num) % classes if classes else None
        was_training = generator.training
        generator.eval()
        try:
            parts = [self.extract(generator(z[i:i + BATCH].to(device),
                                            None if labels is None else labels[i:i + BATCH].to(device)))
                     for i in range(0, num, BATCH)]
        finally:
            generator.train(was_training)
        feats, probs = zip(*parts, strict=True)
        return (torch.cat(feats).numpy(), None if probs[0] is None else torch.cat(probs).numpy(),
                None if labels is None else labels.numpy())

    def floor(self, num: int, seed: int) -> dict[str, Any]:
        """The same measures for `num` real images drawn from the floor pool (cached per count and seed)."""
        key = (min(num, len(self.floor_pool.images)), seed)
        if key not in self._floors:
            pick = torch.randperm(len(self.floor_pool.images), generator=torch.Generator().manual_seed(seed))
            self._floors[key] = self._scores(*self._features(self.floor_pool.images[pick[:key[0]]]), seed)
        return self._floors[key]

    def measure(self, generator: Any, *, num: int, seed: int = 0, noise: str = "normal",
                with_floor: bool = True) -> dict[str, Any]:
        """Scores of `num` samples, the protocol they were measured under, and (optionally) the floor."""
        if num < 2:
            raise GantoolError("--num must be at least 2 to fit a covariance; 1000 or more is sensible")
        features, probs, labels = self.sample_features(generator, num, seed, noise)
        metrics = self._scores(features, probs, seed)
        if labels is not None and probs is not None:
            metrics["label_accuracy"] = scores.label_accuracy(probs, labels)
        return self._result(metrics, num, seed, with_floor, noise=noise)

    def measure_images(self, images: torch.Tensor, *, seed: int = 0) -> dict[str, Any]:
        """Scores of images made elsewhere (uint8, N x C x H x W), the protocol, and the floor for as many."""
        if len(images) < 2:
            raise GantoolError(f"{len(images)} image is too few to fit a covariance; give at least 2 (1000 or more "
                               "is sensible)")
        return self._result(self._scores(*self._features(images), seed), len(images), seed, with_floor=True)

    def _result(self, metrics: dict[str, Any], num: int, seed: int, with_floor: bool,
                **protocol: Any) -> dict[str, Any]:
        result: dict[str, Any] = {"protocol": {**self.protocol(num, seed), **protocol}, "metrics": metrics}
        if "modes_covered" in metrics:
            result["protocol"]["modes"] = modes_protocol(num)
        if with_floor:
            result["floor"] = self.floor(num, seed)
            result["protocol"]["floor"] = (f"{min(num, len(self.floor_pool.images))} real images of "
                                           f"{self.floor_pool.description}, against the same reference")
        return result

    def protocol(self, num: int, seed: int) -> dict[str, Any]:
        return {"samples": num, "seed": seed, "reference": f"{len(self.reference.images)} real images of "
                f"{self.reference.description}", "extractor": self.name, "extractor_sha256": self.sha256,
                "image_size": list(self.image_size), "feature_dim": int(len(self.reference_stats[0])),
                "kid_subsets": KID_SUBSETS, "kid_subset_size": subset_size(num, len(self.reference.images)),
                "neighbours": self.neighbours, **getattr(self.extract, "protocol", {})}


def pick_extractor(spec: DataSpec, choice: ExtractorChoice, inception_weights: Path | None, *,
                   quiet: bool = False) -> Extractor:
    """Digits for 1x28x28 images, and for 3x28x28 ones (Stacked MNIST, one digit per channel), unless told otherwise
    or given Inception weights; else Inception-v3 when its weights are at hand, else features learned from the real
    images (saying so in one line, unless `quiet`)."""
    from gantool.evaluation.inception import hub_weights

    shape = (spec.channels, spec.height, spec.width)
    digits = shape in (DIGIT_SHAPE, STACKED_SHAPE)
    if choice == "digits" and not digits:
        raise GantoolError(f"the digit classifier measures 1x28x28 images (or 3x28x28 Stacked MNIST, one digit per "
                           f"channel), these are {'x'.join(map(str, shape))}; use --extractor learned or inception")
    if choice == "digits" or (choice == "auto" and digits and inception_weights is None):
        return "digits"
    if choice == "auto" and inception_weights is None and not hub_weights():
        from gantool.consoles import err_console

        if not quiet:
            err_console.print("no Inception-v3 weights at hand, so the images are measured in features learned from "
                              "the real images themselves (--extractor learned; not comparable with published FID)",
                              highlight=False, markup=False)
        return "learned"
    return choice if choice == "learned" else "inception"


def evaluator_for(registry: Registry, extractor: Extractor, dataset: str, data_options: Mapping[str, Any], *,
                  inception_weights: Path | None, device: torch.device, neighbours: int = NEIGHBOURS,
                  shape: tuple[int, ...] | None = None, learned: ContrastiveSettings | None = None,
                  show_progress: bool = True) -> Evaluator:
    """An evaluator with this extractor against the real images of `dataset` built with `data_options`; with
    `shape`, the real images must have it (checked before any extraction). Learned features are trained on the
    floor's pool (with `learned` settings, a progress bar while they train unless not `show_progress`), never on
    the reference."""
    real = real_parts(registry, dataset, data_options)
    found = tuple(real.reference.images.shape[1:])
    if shape is not None and found != shape:
        raise GantoolError(f"the images are {'x'.join(map(str, shape))} but the reference ({real.reference.description}"
                           f") is {'x'.join(map(str, found))}; choose real images of that shape with --dataset NAME "
                           "and --set data.KEY=VALUE")
    if extractor == "digits" and found == STACKED_SHAPE:
        from gantool.evaluation.modes import StackedDigitExtractor

        extract: Any = StackedDigitExtractor(device)
    elif extractor == "digits":
        from gantool.evaluation.digits import DigitExtractor

        extract = DigitExtractor(device)
    elif extractor == "learned":
        from gantool.evaluation.learned import learned_extractor
        from gantool.evaluation.learned_settings import settings_from

        extract = learned_extractor(real.floor.images, real.floor.description, learned or settings_from(None),
                                    device, show_progress=show_progress)
    else:
        from gantool.evaluation.inception import InceptionExtractor, find_weights

        extract = InceptionExtractor(find_weights(inception_weights), device)
    return Evaluator(extract, extract.name, extract.sha256, extract.image_size, real, neighbours=neighbours)


def digit_evaluator(registry: Registry, device: torch.device, neighbours: int = NEIGHBOURS) -> Evaluator:
    """The shipped digit classifier against the bundled digits' held-out part; the floor draws from the rest."""
    return evaluator_for(registry, "digits", DIGIT_REFERENCE, {}, inception_weights=None, device=device,
                         neighbours=neighbours)


def build_evaluator(registry: Registry, spec: DataSpec, *, choice: ExtractorChoice, dataset: str,
                    data_options: Mapping[str, Any], inception_weights: Path | None,
                    device: torch.device, neighbours: int = NEIGHBOURS,
                    learned: ContrastiveSettings | None = None, quiet: bool = False) -> Evaluator:
    """The evaluator of a run: for 1x28x28 the digit classifier against its own reference (the held-out bundled
    digits), for 3x28x28 the classifier on each channel against the run's data (Stacked MNIST's held-out part),
    or Inception-v3 or learned features against the run's data."""
    extractor = pick_extractor(spec, choice, inception_weights, quiet=quiet)
    if extractor == "digits" and (spec.channels, spec.height, spec.width) == DIGIT_SHAPE:
        return digit_evaluator(registry, device, neighbours)
    return evaluator_for(registry, extractor, dataset, data_options, inception_weights=inception_weights,
                         device=device, neighbours=neighbours, learned=learned, show_progress=not quiet)
