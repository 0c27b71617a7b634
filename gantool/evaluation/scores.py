"""Scores computed from a classifier's predicted class probabilities of generated images."""

from __future__ import annotations

import numpy as np

COVERED_SHARE = 0.01
"""A class counts as covered when at least this share of the samples is predicted as it."""


def classifier_score(probs: np.ndarray) -> float:
    """Inception-score analogue exp(E_x KL(p(y|x) || p(y))): from 1 (no signal) up to the number of classes."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp((p * (np.log(p) - np.log(marginal))).sum(axis=1).mean()))


def class_histogram(probs: np.ndarray) -> np.ndarray:
    """How many samples are predicted as each class (argmax)."""
    return np.bincount(np.asarray(probs).argmax(axis=1), minlength=np.asarray(probs).shape[1])


def classes_covered(histogram: np.ndarray) -> int:
    """Classes predicted for at least COVERED_SHARE of the samples (a stray prediction does not count)."""
    return int((histogram >= COVERED_SHARE * histogram.sum()).sum())


def histogram_entropy(histogram: np.ndarray) -> float:
    """Entropy in bits of the predicted-class histogram; log2(classes) means perfectly balanced."""
    share = histogram[histogram > 0] / histogram.sum()
    return float(-(share * np.log2(share)).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0


def label_accuracy(probs: np.ndarray, requested: np.ndarray) -> float:
    """Share of generated images the classifier assigns to the label they were generated for."""
    return float((np.asarray(probs).argmax(axis=1) == np.asarray(requested)).mean())
