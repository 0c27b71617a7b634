"""Kernel Inception Distance (Binkowski et al. 2018), in whatever feature space the extractor gives.

KID is the squared maximum mean discrepancy between two feature sets under the cubic polynomial kernel
k(x, y) = (x·y / d + 1)³, estimated without bias: pairs of a sample with itself are left out of the
within-set means. Unlike the Fréchet distance it assumes no Gaussian and its expectation does not
depend on the sample count, so it is averaged over random equal-sized subsets and reported with the
spread of those subset values, which says how far apart two numbers must be to differ.
"""

from __future__ import annotations

import numpy as np

SUBSETS = 100
SUBSET_SIZE = 1000
PRECOMPUTE_ENTRIES = 2 ** 24
"""When the three kernel matrices of two sets hold at most this many entries (128 MiB), they are computed
once and every subset's sums come from two matrix products; larger sets are measured subset by subset,
which costs more time but bounded memory."""


def polynomial_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """k(x, y) = (x·y / d + 1)³ for every row x of `a` (N, d) against every row y of `b` (M, d)."""
    base = a @ b.T / a.shape[1] + 1.0
    return base * base * base


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² between sets x (m, d) and y (n, d): mean k within x and within y (diagonals left out)
    minus twice the mean k across the sets."""
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError(f"the unbiased MMD² needs at least two vectors per set, got {m} and {n}")
    kxx, kyy = polynomial_kernel(x, x), polynomial_kernel(y, y)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * polynomial_kernel(x, y).mean())


def _mmd2_of_subsets(x: np.ndarray, y: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """mmd2_unbiased(x[rows[s]], y[cols[s]]) for every subset s at once, from the full kernel matrices:
    with u the 0/1 indicator of a subset, the sum of k over its pairs is u K uᵀ."""
    subsets, m = rows.shape
    ux, uy = np.zeros((subsets, len(x))), np.zeros((subsets, len(y)))
    np.put_along_axis(ux, rows, 1.0, axis=1)
    np.put_along_axis(uy, cols, 1.0, axis=1)
    kxx, kyy = polynomial_kernel(x, x), polynomial_kernel(y, y)
    within_x = (((ux @ kxx) * ux).sum(1) - ux @ np.diag(kxx)) / (m * (m - 1))
    within_y = (((uy @ kyy) * uy).sum(1) - uy @ np.diag(kyy)) / (m * (m - 1))
    across = ((ux @ polynomial_kernel(x, y)) * uy).sum(1) / (m * m)
    return within_x + within_y - 2.0 * across


def subset_size(count_x: int, count_y: int, size: int = SUBSET_SIZE) -> int:
    """The subset size for sets of these sizes: `size`, at most half the smaller set (so subsets differ and
    their spread means something; gantool's digit reference has only 500 images), at least 2."""
    return min(size, max(2, min(count_x, count_y) // 2))


def kid(x: np.ndarray, y: np.ndarray, *, subsets: int = SUBSETS, size: int = SUBSET_SIZE,
        seed: int = 0) -> tuple[float, float]:
    """(mean, standard deviation) of the unbiased MMD² over `subsets` random pairs of subsets, each drawn
    without replacement with subset_size(len(x), len(y), size) vectors from each set."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"KID needs at least two vectors per set, got {len(x)} and {len(y)}")
    count = subset_size(len(x), len(y), size)
    rng = np.random.default_rng(seed)
    picks = [(rng.choice(len(x), count, replace=False), rng.choice(len(y), count, replace=False))
             for _ in range(subsets)]
    rows, cols = np.array([r for r, _ in picks]), np.array([c for _, c in picks])
    if len(x) ** 2 + len(y) ** 2 + len(x) * len(y) <= PRECOMPUTE_ENTRIES:
        values = _mmd2_of_subsets(x, y, rows, cols)
    else:
        values = np.array([mmd2_unbiased(x[r], y[c]) for r, c in zip(rows, cols, strict=True)])
    return float(values.mean()), float(values.std())
