"""`gantool evaluate` measures a run offline, records its protocol and floor, and refuses what it cannot use."""

import json

import pytest

from gantool.errors import GantoolError
from gantool.evaluation import digits
from gantool.evaluation.reference import real_digits, to_unit_range
from gantool.registry import load_registry
from tests.conftest import run_subprocess


def test_evaluate_reports_distance_scores_protocol_and_floor(cli, trained_run):
    result = cli("evaluate", str(trained_run), "--num", "300", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    protocol = report["protocol"]
    assert protocol["samples"] == 300 and protocol["image_size"] == [1, 28, 28]
    assert protocol["extractor"] == digits.EXTRACTOR_NAME and protocol["extractor_sha256"] == digits.WEIGHTS_SHA256
    assert "held-out" in protocol["reference"] and "train part" in protocol["floor"]
    metrics, floor = report["metrics"], report["floor"]
    assert metrics["frechet_distance"] > 5 * floor["frechet_distance"], "3 steps of training is far from real"
    assert floor["classes_covered"] == 10 and floor["classifier_score"] > 8
    assert 1 <= metrics["classifier_score"] <= 10 and "label_accuracy" not in metrics


def test_untrained_measures_a_fresh_generator_with_the_same_options(cli, trained_run):
    trained = json.loads(cli("evaluate", str(trained_run), "--num", "100", "--json").out)
    fresh = json.loads(cli("evaluate", str(trained_run), "--num", "100", "--json", "--untrained").out)
    assert fresh["untrained"] and fresh["step"] == 0
    assert fresh["metrics"]["frechet_distance"] != trained["metrics"]["frechet_distance"]
    assert fresh["floor"] == trained["floor"], "the floor depends on the real images only"


def test_evaluate_is_repeatable_and_prints_the_floor(cli, trained_run):
    first = cli("evaluate", str(trained_run), "--num", "100", "--json")
    again = cli("evaluate", str(trained_run), "--num", "100", "--json")
    assert json.loads(first.out)["metrics"] == json.loads(again.out)["metrics"]
    table = cli("evaluate", str(trained_run), "--num", "100")
    assert table.code == 0 and "real floor" in table.out and "Fréchet distance" in table.out


def test_pickle_inception_weights_are_refused_in_one_line(trained_run, tmp_path):
    result = run_subprocess("evaluate", str(trained_run), "--inception-weights", "missing.pth", cwd=tmp_path)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr
    assert "missing.pth" in lines[0] and "pickle" in lines[0] and ".safetensors" in lines[0]


def test_inception_without_weights_says_how_to_get_them(cli, trained_run, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    result = cli("evaluate", str(trained_run), "--num", "10", "--extractor", "inception")
    assert result.code == 2
    assert "--inception-weights" in result.err and "inception_v3" in result.err and "never" in result.err


def test_the_shipped_classifier_is_accurate_on_heldout_digits():
    images, labels = real_digits(load_registry(), "heldout")
    model = digits.load_digit_classifier()
    predicted = model(to_unit_range(images)).argmax(1)
    assert (predicted == labels).float().mean().item() > 0.97


def test_a_classifier_file_with_another_hash_is_refused(monkeypatch):
    monkeypatch.setattr(digits, "WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(GantoolError, match="SHA-256"):
        digits.load_digit_classifier()
