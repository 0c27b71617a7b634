"""Fréchet distance between two sets of feature vectors, each summarised as a Gaussian.

d² = |μ₁ − μ₂|² + tr(Σ₁) + tr(Σ₂) − 2 tr((Σ₁ Σ₂)^½). The trace of the matrix square root is computed
from symmetric eigendecompositions, tr((Σ₁ Σ₂)^½) = Σ √λ(Σ₁^½ Σ₂ Σ₁^½), which stays real and needs no
scipy: both covariances are positive semi-definite, so tiny negative eigenvalues are rounding noise.
"""

from __future__ import annotations

import numpy as np


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of features shaped (N, D), in float64."""
    data = np.asarray(features, dtype=np.float64)
    if data.ndim != 2 or len(data) < 2:
        raise ValueError(f"need at least two feature vectors shaped (N, D), got {data.shape}")
    return data.mean(axis=0), np.cov(data, rowvar=False)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_from_stats(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2)."""
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt, 0.0))


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between the Gaussians fitted to two feature sets (N, D) and (M, D)."""
    return frechet_from_stats(*feature_stats(features_a), *feature_stats(features_b))
