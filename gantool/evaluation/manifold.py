"""Precision and recall in feature space (Kynkäänniemi et al. 2019), from k-nearest-neighbour manifolds.

A set's manifold is the union of balls around its vectors, each ball reaching the vector's k-th
nearest neighbour within the set. Precision is the share of generated vectors inside the real
manifold (are the samples realistic?), recall the share of real vectors inside the generated
manifold (is the real variety covered?). Distances are computed in chunks, so memory stays bounded
for tens of thousands of vectors.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 3
CHUNK = 1024
ROUNDING = 1e-10
"""Squared distances this small relative to the vectors' squared norms are rounding error: taken as 0."""


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a_i − b_j|² for every pair of rows, with rounding noise of equal vectors cleared to exactly 0."""
    norms_a, norms_b = (a * a).sum(1)[:, None], (b * b).sum(1)[None, :]
    squared = norms_a + norms_b - 2.0 * (a @ b.T)
    squared[squared <= ROUNDING * (norms_a + norms_b)] = 0.0
    return squared


class Manifold:
    """The k-NN manifold of a feature set: its vectors and each one's squared radius."""

    def __init__(self, features: np.ndarray, k: int = NEIGHBOURS) -> None:
        self.points = np.asarray(features, dtype=np.float64)
        if k < 1 or len(self.points) <= k:
            raise ValueError(f"a {k}-nearest-neighbour manifold needs more than {k} vectors, got {len(self.points)}")
        self.k = k
        # Column k of the partition is the (k+1)-th smallest distance: the vector itself (0) comes first.
        self.radii = np.concatenate([np.partition(squared_distances(chunk, self.points), k, axis=1)[:, k]
                                     for chunk in np.array_split(self.points, self._chunks(self.points))])

    @staticmethod
    def _chunks(rows: np.ndarray) -> int:
        return max(1, -(-len(rows) // CHUNK))

    def contains(self, queries: np.ndarray) -> np.ndarray:
        """For each query vector, whether it lies in at least one ball of the manifold (boolean, N)."""
        queries = np.asarray(queries, dtype=np.float64)
        return np.concatenate([(squared_distances(chunk, self.points) <= self.radii[None, :]).any(axis=1)
                               for chunk in np.array_split(queries, self._chunks(queries))])

    def share_inside(self, queries: np.ndarray) -> float:
        """The fraction of query vectors inside the manifold."""
        return float(self.contains(queries).mean())


def precision_recall(real: np.ndarray, generated: np.ndarray, k: int = NEIGHBOURS) -> tuple[float, float]:
    """(precision, recall): generated vectors inside the real manifold, real vectors inside the generated one."""
    return Manifold(real, k).share_inside(generated), Manifold(generated, k).share_inside(real)
