"""Evaluation while training (`gantool train --eval-every N`): the same measures as `gantool evaluate`.

The reference features are computed once when the run starts; each evaluation then costs only the
samples. Measuring uses its own seeded noise, so it never changes the training's random stream and
resume stays exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from gantool.evaluation.evaluator import Evaluator, build_evaluator
from gantool.interfaces import DataSpec
from gantool.registry import Registry

METRIC = "frechet_distance"
LOGGED = ("frechet_distance", "kid", "kid_std", "precision", "recall", "classifier_score", "classes_covered",
          "class_entropy_bits", "label_accuracy", "modes_covered", "mode_kl")
"""KID and precision/recall add about a tenth to an evaluation of 1,000 default DCGAN samples: logged too."""


class TrainingEvaluation:
    """Measures a generator with a fixed sample count and seed, so evaluations of one run compare."""

    def __init__(self, evaluator: Evaluator, *, num: int, seed: int = 0, noise: str = "normal") -> None:
        self.evaluator, self.num, self.seed, self.noise = evaluator, num, seed, noise

    def measure(self, generator: Any) -> tuple[dict[str, float], dict[str, Any]]:
        """(the logged metrics, the protocol they were measured under)."""
        result = self.evaluator.measure(generator, num=self.num, seed=self.seed, noise=self.noise, with_floor=False)
        return {key: result["metrics"][key] for key in LOGGED if key in result["metrics"]}, result["protocol"]


def training_evaluation(registry: Registry, spec: DataSpec, dataset: str, data_options: Mapping[str, Any],
                        device: torch.device, *, num: int, noise: str = "normal",
                        quiet: bool = False) -> TrainingEvaluation:
    """The evaluation a run on this data gets: the digit classifier for 1x28x28 (on each channel for 3x28x28 Stacked
    MNIST), else Inception-v3 from the hub cache (failing before training starts when there is none)."""
    evaluator = build_evaluator(registry, spec, choice="auto", dataset=dataset, data_options=data_options,
                                inception_weights=None, device=device, quiet=quiet)
    return TrainingEvaluation(evaluator, num=num, noise=noise)
