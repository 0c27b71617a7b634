"""Stacked MNIST's benchmark numbers (Metz et al. 2017, unrolled GAN; Lin et al. 2018, PacGAN): how many of the
1,000 digit triples the samples cover, and KL(p_mode || uniform) of their mode histogram.

Each channel of a 3x28x28 sample is classified by the shipped digit classifier; the triple (red, green, blue)
is its mode. A mode counts as covered when at least one sample falls in it, and the KL divergence (natural log)
compares the share of samples per mode with 1/1000, as the literature measures both, on 26,000 samples.
"""

from __future__ import annotations

import numpy as np
import torch

from gantool.evaluation.digits import EXTRACTOR_NAME, FEATURE_DIM, WEIGHTS_SHA256, load_digit_classifier

MODES = 1000
STACKED_SHAPE = (3, 28, 28)
LITERATURE_SAMPLES = 26000
"""The sample count the published mode counts and KL divergences were measured on."""


class StackedDigitExtractor:
    """The shipped digit classifier on each channel of 3x28x28 images in [-1, 1]: the three channels' features side
    by side (384-d, for Fréchet distance, KID, precision and recall) and each channel's digit probabilities
    (N, 3, 10), from which the modes are read."""

    name = f"{EXTRACTOR_NAME}-per-channel"
    sha256 = WEIGHTS_SHA256
    image_size = STACKED_SHAPE

    def __init__(self, device: torch.device) -> None:
        self.model = load_digit_classifier(device)
        self.device = device

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        count = len(images)
        channels = images.to(self.device).float().reshape(count * 3, 1, 28, 28)
        features = self.model.embed(channels)
        probs = self.model.head(features).softmax(1)
        return (features.reshape(count, 3 * FEATURE_DIM).double().cpu(),
                probs.reshape(count, 3, 10).double().cpu())


def modes_of(digit_probs: np.ndarray) -> np.ndarray:
    """Each sample's mode, 100 x red digit + 10 x green digit + blue digit, from per-channel probabilities."""
    digits = np.asarray(digit_probs).argmax(axis=2)
    return digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]


def mode_histogram(modes: np.ndarray) -> np.ndarray:
    """How many samples fall in each of the 1,000 modes."""
    return np.bincount(np.asarray(modes), minlength=MODES)


def kl_from_uniform(histogram: np.ndarray) -> float:
    """KL(p_mode || uniform) in nats: 0 when every mode is equally frequent, log(1000) ≈ 6.91 for a single mode."""
    share = histogram[histogram > 0] / histogram.sum()
    return float((share * np.log(share * len(histogram))).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0


def mode_scores(digit_probs: np.ndarray) -> dict[str, int | float]:
    """The benchmark's two numbers for per-channel digit probabilities (N, 3, 10)."""
    histogram = mode_histogram(modes_of(digit_probs))
    return {"modes_covered": int((histogram > 0).sum()), "modes": MODES, "mode_kl": kl_from_uniform(histogram)}


def modes_protocol(samples: int) -> str:
    """How the modes were counted, and a warning when fewer samples were used than the published numbers."""
    line = (f"each channel of {samples:,} samples classified by {EXTRACTOR_NAME}; a mode is covered by one sample, "
            "KL(p_mode || uniform) in nats")
    if samples < LITERATURE_SAMPLES:
        line += (f"; the literature counts on {LITERATURE_SAMPLES:,} samples (gantool evaluate's default), and "
                 "fewer samples cover fewer modes")
    return line
