"""KID and precision/recall, checked against direct computations on small feature sets."""

import itertools

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from gantool.evaluation import kid as kid_module
from gantool.evaluation.kid import kid, mmd2_unbiased
from gantool.evaluation.manifold import Manifold, precision_recall


def direct_mmd2(x, y):
    """The unbiased estimator written out pair by pair from its definition."""
    def k(a, b):
        return (np.dot(a, b) / len(a) + 1.0) ** 3

    m, n = len(x), len(y)
    within_x = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    within_y = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    across = sum(k(a, b) for a in x for b in y) / (m * n)
    return within_x + within_y - 2 * across


def direct_precision_recall(real, fake, k):
    """Membership in the k-NN balls by brute force with scipy's distances."""
    def inside(queries, points):
        radii = np.sort(cdist(points, points), axis=1)[:, k]  # column 0 is the point itself
        return np.mean([any(np.linalg.norm(q - p) <= r for p, r in zip(points, radii, strict=True))
                        for q in queries])

    return inside(fake, real), inside(real, fake)


def test_a_hand_computed_kid():
    # d = 1, k(x, y) = (xy + 1)^3. Within x = {0, 1}: k(0, 1) = 1. Within y = {2, 3}: k(2, 3) = 7^3 = 343.
    # Across: k(0, 2) = k(0, 3) = 1, k(1, 2) = 27, k(1, 3) = 64, mean 93 / 4. MMD^2 = 1 + 343 - 2 * 23.25.
    x, y = np.array([[0.0], [1.0]]), np.array([[2.0], [3.0]])
    assert mmd2_unbiased(x, y) == pytest.approx(297.5)
    mean, spread = kid(x, y, subsets=4)  # subsets have at least 2 vectors: here every subset is the whole set
    assert mean == pytest.approx(297.5) and spread == pytest.approx(0.0, abs=1e-9)


def test_mmd2_matches_the_definition_pair_by_pair():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(7, 3)), rng.normal(loc=0.5, size=(5, 3))
    assert mmd2_unbiased(x, y) == pytest.approx(direct_mmd2(x, y), rel=1e-10)


@pytest.mark.parametrize("precompute", [True, False])
def test_kid_is_the_mean_and_spread_of_subset_estimates(monkeypatch, precompute):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(12, 4)), rng.normal(loc=0.3, size=(9, 4))
    if not precompute:
        monkeypatch.setattr(kid_module, "PRECOMPUTE_ENTRIES", 0)
    draw = np.random.default_rng(5)
    expected = []
    for _ in range(6):  # subsets of 4: at most half the smaller set
        rows, cols = draw.choice(12, 4, replace=False), draw.choice(9, 4, replace=False)
        expected.append(direct_mmd2(x[rows], y[cols]))
    mean, spread = kid(x, y, subsets=6, size=1000, seed=5)
    assert mean == pytest.approx(np.mean(expected), rel=1e-9) and spread == pytest.approx(np.std(expected), rel=1e-9)


def test_kid_is_near_zero_for_one_set_and_large_for_a_shifted_one():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 16))
    same, same_spread = kid(x, x, subsets=20, size=100)
    shifted, _ = kid(x, x + 1.0, subsets=20, size=100)
    assert abs(same) < 0.05 * shifted and shifted > 10 * same_spread


def test_precision_and_recall_match_brute_force():
    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(40, 5)), rng.normal(loc=0.4, scale=1.3, size=(30, 5))
    assert precision_recall(real, fake, k=3) == pytest.approx(direct_precision_recall(real, fake, 3))
    assert precision_recall(real, fake, k=1) == pytest.approx(direct_precision_recall(real, fake, 1))


def test_identical_sets_have_precision_and_recall_one():
    features = np.random.default_rng(5).normal(size=(50, 8))
    assert precision_recall(features, features.copy()) == (1.0, 1.0)


def test_disjoint_clusters_have_precision_and_recall_zero():
    rng = np.random.default_rng(6)
    real, fake = rng.normal(size=(60, 8)), rng.normal(loc=50.0, size=(60, 8))
    assert precision_recall(real, fake) == (0.0, 0.0)


def test_a_generator_that_drops_a_mode_keeps_precision_and_loses_recall():
    rng = np.random.default_rng(7)
    real = np.concatenate([rng.normal(size=(100, 4)), rng.normal(loc=30.0, size=(100, 4))])
    one_mode = rng.normal(size=(200, 4))
    precision, recall = precision_recall(real, one_mode)
    assert precision > 0.8 and 0.4 < recall < 0.6


def test_exact_duplicates_are_inside_a_ball_of_radius_zero():
    points = np.repeat(np.random.default_rng(8).normal(size=(3, 6)) * 100, 4, axis=0)  # each point 4 times
    manifold = Manifold(points, k=3)
    assert np.all(manifold.radii == 0) and manifold.contains(points[:3]).all()


def test_a_manifold_needs_more_points_than_neighbours():
    with pytest.raises(ValueError, match="more than 3"):
        Manifold(np.zeros((3, 2)), k=3)
