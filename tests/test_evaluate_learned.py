"""Features learned from the real images: cached per images and settings, deterministic, and what evaluate uses for
non-digit data when no Inception-v3 weights are at hand."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gantool.evaluation import learned
from gantool.evaluation.learned_settings import ContrastiveSettings
from tests.conftest import TINY

TINY_FEATURES = ContrastiveSettings(epochs=2, width=2, batch_size=32)
SMALL = ["--learned-epochs", "2", "--learned-width", "2"]


def shapes(count: int, seed: int, side: int = 16) -> np.ndarray:
    """uint8 RGB images (count, side, side, 3): one or two coloured rectangles on white, like icons."""
    rng = np.random.default_rng(seed)
    images = np.full((count, side, side, 3), 255, dtype=np.uint8)
    for image in images:
        for _ in range(rng.integers(1, 3)):
            top, left = rng.integers(0, side - 4, size=2)
            height, width = rng.integers(3, side // 2, size=2)
            image[top:top + height, left:left + width] = rng.integers(0, 200, size=3)
    return images


def save_pngs(folder: Path, images: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{index:04d}.png")
    return folder


def real_folder(tmp_path: Path) -> list[str]:
    """The --dataset options of 64 real 16x16 icons in a folder."""
    root = save_pngs(tmp_path / "real", shapes(64, seed=0))
    return ["--dataset", "image-folder", "--set", f"data.root={root}", "--set", "data.image_size=16"]


@pytest.fixture
def no_inception(tmp_path, monkeypatch):
    """A torch hub cache without Inception-v3 weights, as on any machine where the user made none."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))


def as_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()


def test_the_cache_is_reused_and_rebuilt_when_the_images_change(tmp_path, monkeypatch):
    monkeypatch.setenv("GANTOOL_CACHE", str(tmp_path / "cache"))
    images = as_tensor(shapes(64, seed=0))
    first = learned.learned_extractor(images, "icons", TINY_FEATURES, torch.device("cpu"), show_progress=False)
    stored = sorted(path.name for path in (tmp_path / "cache" / "learned-features").iterdir())
    assert len(stored) == 2 and {Path(name).suffix for name in stored} == {".safetensors", ".json"}

    trainings = []
    real_train = learned.train_encoder
    monkeypatch.setattr(learned, "train_encoder", lambda *a, **k: trainings.append(1) or real_train(*a, **k))
    again = learned.learned_extractor(images, "icons", TINY_FEATURES, torch.device("cpu"), show_progress=False)
    assert trainings == [] and again.fingerprint == first.fingerprint and again.sha256 == first.sha256
    probe = images[:8].float() / 127.5 - 1
    assert torch.equal(again(probe)[0], first(probe)[0])

    changed = images.clone()
    changed[0, 0, 0, 0] ^= 1  # one bit of one pixel
    other = learned.learned_extractor(changed, "icons", TINY_FEATURES, torch.device("cpu"), show_progress=False)
    assert trainings == [1] and other.fingerprint != first.fingerprint
    assert len(list((tmp_path / "cache" / "learned-features").iterdir())) == 4

    wider = learned.learned_extractor(images, "icons", ContrastiveSettings(epochs=2, width=3, batch_size=32),
                                      torch.device("cpu"), show_progress=False)
    assert trainings == [1, 1] and wider.fingerprint != first.fingerprint, "the settings are part of the key"

    weights = tmp_path / "cache" / "learned-features" / f"{first.fingerprint[:32]}.safetensors"
    weights.write_bytes(weights.read_bytes()[:-7])  # a damaged cache is rebuilt, never trusted
    rebuilt = learned.learned_extractor(images, "icons", TINY_FEATURES, torch.device("cpu"), show_progress=False)
    assert trainings == [1, 1, 1] and rebuilt.sha256 == first.sha256


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("GANTOOL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert learned.cache_folder() == tmp_path / "xdg" / "gantool" / "learned-features"
    monkeypatch.setenv("GANTOOL_CACHE", str(tmp_path / "own"))
    assert learned.cache_folder() == tmp_path / "own" / "learned-features"


def test_the_extractor_is_deterministic_for_a_seed(tmp_path, monkeypatch):
    images = as_tensor(shapes(64, seed=0))
    probe = as_tensor(shapes(16, seed=1)).float() / 127.5 - 1
    made = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        monkeypatch.setenv("GANTOOL_CACHE", str(tmp_path / name))  # each trains afresh
        settings = ContrastiveSettings(epochs=2, width=2, batch_size=32, seed=seed)
        made[name] = learned.learned_extractor(images, "icons", settings, torch.device("cpu"), show_progress=False)
    assert made["a"].sha256 == made["b"].sha256 and torch.equal(made["a"](probe)[0], made["b"](probe)[0])
    assert made["c"].sha256 != made["a"].sha256 and not torch.equal(made["c"](probe)[0], made["a"](probe)[0])


def test_the_floor_is_below_a_degraded_copy(cli, tmp_path):
    noisy = shapes(32, seed=5).astype(np.int16) + np.random.default_rng(0).integers(-90, 90, (32, 16, 16, 3))
    folder = save_pngs(tmp_path / "noisy", noisy.clip(0, 255).astype(np.uint8))
    result = cli("evaluate", str(folder), *real_folder(tmp_path), "--extractor", "learned", *SMALL, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    for measure in ("frechet_distance", "kid"):
        assert report["floor"][measure] < report["metrics"][measure], measure
    assert report["protocol"]["feature_space"] == "learned"


def test_a_folder_without_inception_weights_gets_learned_features(cli, tmp_path, no_inception):
    folder = save_pngs(tmp_path / "samples", shapes(32, seed=7))
    result = cli("evaluate", str(folder), *real_folder(tmp_path), *SMALL, "--json")
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if line.strip()]
    assert len(notes) == 1 and "Inception-v3" in notes[0] and "--extractor learned" in notes[0], result.err
    report = json.loads(result.out)
    protocol = report["protocol"]
    assert protocol["extractor"] == learned.EXTRACTOR_NAME and protocol["feature_space"] == "learned"
    assert len(protocol["fingerprint"]) == 64 and "32 real images" in protocol["extractor_trained_on"]
    assert protocol["extractor_settings"]["epochs"] == 2 and protocol["feature_dim"] == 16
    for measure in ("frechet_distance", "kid", "precision", "recall"):
        assert isinstance(report["metrics"][measure], float) and isinstance(report["floor"][measure], float)

    table = cli("evaluate", str(folder), *real_folder(tmp_path), *SMALL)
    text = " ".join(table.out.split())
    assert table.code == 0 and f"fingerprint {protocol['fingerprint'][:16]}" in text and "published FID" in text


def test_training_on_other_data_evaluates_in_learned_features(cli, tmp_path, no_inception):
    run = tmp_path / "run"
    result = cli("train", "--out", str(run), *TINY, "--eval-every", "3", "--eval-num", "20", *real_folder(tmp_path))
    assert result.code == 0, result.err
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evaluations = [line for line in logged if "eval" in line]
    assert evaluations and all(line["eval_protocol"]["feature_space"] == "learned" for line in evaluations)
    assert evaluations[0]["eval"]["frechet_distance"] > 0
    assert "learned from" not in result.err, "--quiet keeps the extractor's notice and progress off stderr"


@pytest.mark.parametrize(("option", "needle"), [("--learned-epochs=0", "--learned-epochs"),
                                                 ("--learned-width=0", "--learned-width")])
def test_settings_out_of_range_are_one_line(cli, tmp_path, option, needle):
    result = cli("evaluate", str(tmp_path), "--extractor", "learned", option)
    assert result.code == 2 and needle in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(("learned_settings", "needle"), [({"epochs": 0}, "learned epochs"),
                                                          ({"width": "16"}, "learned width"),
                                                          ({"depth": 3}, "no setting 'depth'")])
def test_the_python_api_checks_the_settings_as_the_command_does(tmp_path, learned_settings, needle):
    import gantool
    from gantool.errors import GantoolError

    with pytest.raises(GantoolError, match=needle):
        gantool.evaluate(tmp_path, extractor="learned", learned=learned_settings)
