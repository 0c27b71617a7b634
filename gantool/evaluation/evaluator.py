"""Measure a generator against real images with a fixed feature extractor, recording how it was measured.

An Evaluator holds the extractor and the reference features (computed once, so evaluating during
training costs only the samples). Each measurement reports the generator's numbers beside the
real-versus-real floor: the same count of real images, disjoint from the reference, measured the
same way, which is the best a generator could hope to score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from gantool.errors import GantoolError
from gantool.evaluation import scores
from gantool.evaluation.frechet import feature_stats, frechet_from_stats
from gantool.interfaces import DataSpec
from gantool.noise import draw_noise
from gantool.registry import Registry

ExtractorChoice = Literal["auto", "digits", "inception"]
Extract = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]
DIGIT_SHAPE = (1, 28, 28)
BATCH = 250
GENERIC_REFERENCE_MAX = 10000


@dataclass
class RealImages:
    """Real images (uint8, or floats in [-1, 1]) and a sentence saying which they are."""

    images: torch.Tensor
    description: str


def _unit(images: torch.Tensor) -> torch.Tensor:
    return images.float().div(127.5).sub(1.0) if images.dtype == torch.uint8 else images.float()


class Evaluator:
    """Fréchet distance and classifier scores of generated images, with the real-versus-real floor."""

    def __init__(self, extract: Extract, name: str, sha256: str, image_size: tuple[int, ...],
                 reference: RealImages, floor_pool: RealImages) -> None:
        self.extract, self.name, self.sha256, self.image_size = extract, name, sha256, image_size
        self.reference, self.floor_pool = reference, floor_pool
        features, _ = self._features(reference.images)
        self.reference_stats = feature_stats(features)
        self._floors: dict[tuple[int, int], dict[str, Any]] = {}

    def _features(self, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray | None]:
        feats, probs = zip(*(self.extract(_unit(chunk)) for chunk in images.split(BATCH)), strict=True)
        return torch.cat(feats).numpy(), None if probs[0] is None else torch.cat(probs).numpy()

    def _scores(self, features: np.ndarray, probs: np.ndarray | None) -> dict[str, Any]:
        result: dict[str, Any] = {"frechet_distance": frechet_from_stats(*feature_stats(features),
                                                                          *self.reference_stats)}
        if probs is not None:
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
            self._floors[key] = self._scores(*self._features(self.floor_pool.images[pick[:key[0]]]))
        return self._floors[key]

    def measure(self, generator: Any, *, num: int, seed: int = 0, noise: str = "normal",
                with_floor: bool = True) -> dict[str, Any]:
        """Scores of `num` samples, the protocol they were measured under, and (optionally) the floor."""
        if num < 2:
            raise GantoolError("--num must be at least 2 to fit a covariance; 1000 or more is sensible")
        features, probs, labels = self.sample_features(generator, num, seed, noise)
        metrics = self._scores(features, probs)
        if labels is not None and probs is not None:
            metrics["label_accuracy"] = scores.label_accuracy(probs, labels)
        result: dict[str, Any] = {"protocol": {**self.protocol(num, seed), "noise": noise}, "metrics": metrics}
        if with_floor:
            result["floor"] = self.floor(num, seed)
            result["protocol"]["floor"] = (f"{min(num, len(self.floor_pool.images))} real images of "
                                           f"{self.floor_pool.description}, against the same reference")
        return result

    def protocol(self, num: int, seed: int) -> dict[str, Any]:
        return {"samples": num, "seed": seed, "reference": f"{len(self.reference.images)} real images of "
                f"{self.reference.description}", "extractor": self.name, "extractor_sha256": self.sha256,
                "image_size": list(self.image_size), "feature_dim": int(len(self.reference_stats[0]))}


def digit_evaluator(registry: Registry, device: torch.device) -> Evaluator:
    """The shipped digit classifier against the held-out part of mnist5k; the floor draws from its train part."""
    from gantool.evaluation.digits import DigitExtractor
    from gantool.evaluation.reference import REFERENCE_DATASET, real_digits

    extractor = DigitExtractor(device)
    heldout, _ = real_digits(registry, "heldout")
    train, _ = real_digits(registry, "train")
    return Evaluator(extractor, extractor.name, extractor.sha256, extractor.image_size,
                     RealImages(heldout, f"the {REFERENCE_DATASET} held-out part"),
                     RealImages(train, f"the {REFERENCE_DATASET} train part"))


def inception_evaluator(registry: Registry, dataset: str, data_options: Mapping[str, Any],
                        weights: Path | None, device: torch.device) -> Evaluator:
    """Inception-v3 features against half of the run's data; the floor draws from the other half."""
    from gantool.evaluation.inception import InceptionExtractor, find_weights
    from gantool.options import resolve_options

    extractor = InceptionExtractor(find_weights(weights), device)
    component = registry.get("dataset", dataset)
    bundle = component.factory(**resolve_options(component.factory, data_options, "data"))
    count = len(bundle)
    order = torch.randperm(count, generator=torch.Generator().manual_seed(0))
    half = min(count // 2, GENERIC_REFERENCE_MAX)
    if half < 2:
        raise GantoolError(f"dataset {dataset!r} has {count} images; evaluate needs at least 4 real images")

    def take(indices: torch.Tensor) -> torch.Tensor:
        if bundle.images is not None:
            return bundle.images[indices]
        return torch.stack([bundle.dataset[int(i)][0] for i in indices])

    described = f"{dataset} {dict(data_options) or ''}".strip()
    return Evaluator(extractor, extractor.name, extractor.sha256, extractor.image_size,
                     RealImages(take(order[:half]), f"{described} (a fixed random half)"),
                     RealImages(take(order[half:2 * half]), f"{described} (the other half)"))


def build_evaluator(registry: Registry, spec: DataSpec, *, choice: ExtractorChoice, dataset: str,
                    data_options: Mapping[str, Any], inception_weights: Path | None,
                    device: torch.device) -> Evaluator:
    """Digits for 1-channel 28x28 images (unless told otherwise), Inception-v3 for everything else."""
    shape = (spec.channels, spec.height, spec.width)
    if choice == "digits" and shape != DIGIT_SHAPE:
        raise GantoolError(f"the digit classifier measures 1x28x28 images, this generator makes "
                           f"{'x'.join(map(str, shape))}; use --extractor inception")
    if choice == "digits" or (choice == "auto" and shape == DIGIT_SHAPE and inception_weights is None):
        return digit_evaluator(registry, device)
    return inception_evaluator(registry, dataset, data_options, inception_weights, device)
