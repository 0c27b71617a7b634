"""The Fréchet distance and the classifier scores compute what their definitions say."""

import numpy as np
import pytest
from scipy import linalg

from gantool.evaluation import scores
from gantool.evaluation.frechet import frechet_distance


def scipy_reference(a: np.ndarray, b: np.ndarray) -> float:
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(s1 @ s2)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(root.real))


@pytest.mark.parametrize(("n", "dim"), [(200, 8), (500, 64), (300, 128)])
def test_frechet_distance_agrees_with_scipy_sqrtm(n, dim):
    rng = np.random.default_rng(dim)
    mixing = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    a = rng.normal(size=(n, dim)) @ mixing
    b = rng.normal(size=(n, dim)) @ (mixing + 0.3 * rng.normal(size=(dim, dim)) / np.sqrt(dim)) + 0.5
    assert frechet_distance(a, b) == pytest.approx(scipy_reference(a, b), rel=1e-6, abs=1e-8)


def test_same_features_are_at_distance_zero_and_a_shift_costs_its_square():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 16))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    shift = np.full(16, 0.25)
    assert frechet_distance(a, a + shift) == pytest.approx(float(shift @ shift), rel=1e-6)


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_rank_deficient_features_give_a_finite_distance():
    rng = np.random.default_rng(1)
    a = np.zeros((50, 32))
    a[:, :3] = rng.normal(size=(50, 3))  # most units dead, as after a ReLU
    b = rng.normal(size=(50, 32))
    assert np.isfinite(frechet_distance(a, b))
    assert frechet_distance(a, b) == pytest.approx(scipy_reference(a, b), rel=1e-4)


def test_classifier_score_ranges_from_one_to_the_number_of_classes():
    confident_and_balanced = np.eye(10)[np.arange(1000) % 10]
    assert scores.classifier_score(confident_and_balanced) == pytest.approx(10.0, rel=1e-6)
    all_the_same = np.tile(np.eye(10)[3], (1000, 1))
    assert scores.classifier_score(all_the_same) == pytest.approx(1.0, rel=1e-6)


def test_histogram_measures_count_classes_and_entropy_in_bits():
    probs = np.eye(10)[np.r_[np.zeros(500, int), np.ones(495, int), np.full(5, 2)]]
    histogram = scores.class_histogram(probs)
    assert histogram.tolist()[:3] == [500, 495, 5]
    assert scores.classes_covered(histogram) == 2, "5 of 1000 is under 1% and does not count as covered"
    balanced = scores.class_histogram(np.eye(10)[np.arange(1000) % 10])
    assert scores.histogram_entropy(balanced) == pytest.approx(np.log2(10))
    assert scores.label_accuracy(probs, np.zeros(1000, int)) == pytest.approx(0.5)
