"""`gantool evaluate` on a folder of images or a .npy array: the measures of a run, and one line for bad input."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gantool.evaluation.digits import DigitExtractor
from gantool.evaluation.evaluator import build_evaluator
from gantool.evaluation.manifold import precision_recall
from gantool.evaluation.reference import overlap_note, real_digits, real_parts, to_unit_range
from gantool.interfaces import DataSpec
from gantool.registry import load_registry
from tests.conftest import run_subprocess

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ("frechet_distance", "kid", "kid_std", "precision", "recall", "classifier_score", "classes_covered",
            "class_entropy_bits")


@pytest.fixture(scope="module")
def digits():
    """uint8 (N, 28, 28): the held-out reference digits and 300 train digits of every class."""
    registry = load_registry()
    heldout, _ = real_digits(registry, "heldout")
    train, _ = real_digits(registry, "train")
    return heldout[:, 0].numpy(), train[::15, 0].numpy()


def save_pngs(folder: Path, images: np.ndarray, mode: str = "L") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images):
        Image.fromarray(image).convert(mode).save(folder / f"{index:05d}.png")
    return folder


def measured(cli, *args):
    result = cli("evaluate", *map(str, args), "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def one_line_error(result, *needles):
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert result.code == 2 and len(lines) == 1 and "Traceback" not in result.err, result.err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_folders_and_arrays_get_the_measures_of_a_run(cli, trained_run, digits, tmp_path):
    _, train = digits
    np.save(tmp_path / "train.npy", train[..., None], allow_pickle=False)
    array = measured(cli, tmp_path / "train.npy")
    folder = measured(cli, save_pngs(tmp_path / "pngs", train))
    run = measured(cli, trained_run, "--num", "300")
    for report in (array, folder, run):
        assert set(MEASURES) <= set(report["metrics"]) and set(MEASURES) <= set(report["floor"])
        assert report["protocol"]["neighbours"] == 3 and report["protocol"]["kid_subsets"] == 100
    assert array["metrics"] == folder["metrics"], "PNG is lossless: the same pixels measure the same"
    assert array["kind"] == "array" and folder["kind"] == "folder" and array["found"] == len(train)
    assert array["protocol"]["samples"] == len(train) and "held-out" in array["protocol"]["reference"]
    real, trained = array["metrics"], run["metrics"]
    assert real["frechet_distance"] < trained["frechet_distance"] / 5 and real["kid"] < trained["kid"] / 5
    assert real["recall"] > 0.5 > trained["recall"], "three steps of training draw one blurred blob"
    table = cli("evaluate", str(tmp_path / "train.npy"))
    text = " ".join(table.out.split())  # the table wraps at the terminal's width
    assert table.code == 0 and "an array, 300 images measured" in text
    for row in ("Fréchet distance", "KID ± spread", "precision", "recall", "classifier score", "real floor"):
        assert row in text


def test_the_reference_measured_as_images_scores_perfectly(cli, digits, tmp_path):
    heldout, _ = digits
    np.save(tmp_path / "heldout.npy", heldout, allow_pickle=False)  # N x H x W: one channel
    report = measured(cli, tmp_path / "heldout.npy", "--num", "5000")
    metrics, floor = report["metrics"], report["floor"]
    assert metrics["frechet_distance"] == pytest.approx(0.0, abs=1e-6)
    assert metrics["precision"] == metrics["recall"] == 1.0 and metrics["classes_covered"] == 10
    assert abs(metrics["kid"]) < abs(floor["kid"]) + 2 * floor["kid_std"], "as close to 0 as real images get"


def test_precision_and_recall_of_a_folder_match_a_direct_computation(cli, digits, tmp_path):
    heldout, train = digits
    few_classes = train[:100]  # train digits are sorted by class: 0s and 1s only
    report = measured(cli, save_pngs(tmp_path / "pngs", few_classes), "--neighbours", "5")
    extract = DigitExtractor(torch.device("cpu"))

    def features(images):
        return extract(to_unit_range(torch.from_numpy(images)[:, None]))[0].numpy()

    expected = precision_recall(features(heldout), features(few_classes), k=5)
    assert (report["metrics"]["precision"], report["metrics"]["recall"]) == pytest.approx(expected)
    assert report["metrics"]["recall"] < 0.5 < report["metrics"]["precision"], "two classes: variety is missing"


def test_grey_saved_as_rgb_is_measured_as_one_channel(cli, digits, tmp_path):
    _, train = digits
    grey = measured(cli, save_pngs(tmp_path / "grey", train[:50]))
    rgb = measured(cli, save_pngs(tmp_path / "rgb", train[:50], mode="RGB"))
    assert rgb["protocol"]["image_size"] == [1, 28, 28] and rgb["metrics"] == grey["metrics"]


def test_num_measures_a_seeded_random_choice(cli, digits, tmp_path):
    _, train = digits
    np.save(tmp_path / "train.npy", train, allow_pickle=False)
    first = measured(cli, tmp_path / "train.npy", "--num", "40")
    again = measured(cli, tmp_path / "train.npy", "--num", "40")
    other = measured(cli, tmp_path / "train.npy", "--num", "40", "--seed", "1")
    assert first["protocol"]["samples"] == 40 and first["found"] == len(train)
    assert first["metrics"] == again["metrics"] != other["metrics"]


def test_dataset_and_set_choose_the_real_images(cli, digits, tmp_path):
    heldout, train = digits
    np.save(tmp_path / "train.npy", train, allow_pickle=False)
    real = save_pngs(tmp_path / "real", heldout[:60])
    report = measured(cli, tmp_path / "train.npy", "--dataset", "image-folder", "--set", f"data.root={real}",
                      "--set", "data.image_size=28", "--set", "data.channels=1")
    assert "image-folder" in report["protocol"]["reference"] and "random half" in report["protocol"]["reference"]
    assert report["protocol"]["reference"].startswith("30 real images")


def test_a_run_trained_on_the_reference_gets_a_note_and_a_strict_one_none():
    registry = load_registry()
    real = real_parts(registry, "mnist5k", {})
    assert "--set data.split=train" in overlap_note(registry, real, "mnist5k", {})
    assert "--set data.split=train" in overlap_note(registry, real, "builtins:mnist5k", {"classes": [1, 2]})
    assert overlap_note(registry, real, "mnist5k", {"split": "train", "classes": [3]}) is None
    assert overlap_note(registry, real, "image-folder", {"root": "x"}) is None
    assert overlap_note(registry, real, "no-such-dataset", {}) is None


def test_the_digit_reference_comes_from_the_dataset_plugin():
    """The core names the bundled digits once; their held-out split is declared by the dataset."""
    evaluator = build_evaluator(load_registry(), DataSpec(1, 28, 28), choice="auto", dataset="whatever",
                                data_options={}, inception_weights=None, device=torch.device("cpu"))
    assert evaluator.real.declared is not None and evaluator.real.declared.reference == {"split": "heldout"}
    assert len(evaluator.reference.images) == 500 and len(evaluator.floor_pool.images) == 4500
    named = [(path, line) for path in (ROOT / "gantool").rglob("*.py")
             for line in path.read_text(encoding="utf-8").splitlines() if '"mnist5k"' in line]
    assert len(named) == 1 and re.match(r"BUNDLED_DIGITS = ", named[0][1])  # the core names it once, in config


def write_bad(tmp_path, case):
    """A bad source and the words its one-line error must contain."""
    folder = tmp_path / "bad"
    folder.mkdir()
    digit = np.zeros((28, 28), dtype=np.uint8)
    if case == "empty folder":
        return folder, ("holds no files",)
    if case == "non-image file":
        Image.fromarray(digit).save(folder / "a.png")
        (folder / "notes.txt").write_text("not an image")
        return folder, ("notes.txt", "not an image")
    if case == "mixed sizes":
        Image.fromarray(digit).save(folder / "a.png")
        Image.fromarray(np.zeros((32, 32), dtype=np.uint8)).save(folder / "b.png")
        return folder, ("differ in size", "a.png", "b.png", "28x28", "32x32")
    if case == "truncated image":
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (28, 28), dtype=np.uint8)).save(folder / "a.png")
        (folder / "b.png").write_bytes((folder / "a.png").read_bytes()[:200])
        return folder, ("b.png", "does not decode")
    if case == "16-bit image":
        Image.fromarray(np.zeros((28, 28), dtype=np.uint16)).save(folder / "a.png")
        return folder, ("a.png", "16-bit")
    if case == "float array":
        np.save(folder / "x.npy", np.zeros((4, 28, 28, 1), dtype=np.float32))
        return folder / "x.npy", ("float32", "uint8")
    if case == "channels-first array":
        np.save(folder / "x.npy", np.zeros((4, 1, 28, 28), dtype=np.uint8))
        return folder / "x.npy", ("(4, 1, 28, 28)", "channels-first", "transpose(0, 2, 3, 1)")
    if case == "flat array":
        np.save(folder / "x.npy", np.zeros((4, 784), dtype=np.uint8))
        return folder / "x.npy", ("(4, 784)", "N x H x W x C")
    if case == "empty array":
        np.save(folder / "x.npy", np.zeros((0, 28, 28), dtype=np.uint8))
        return folder / "x.npy", ("no images",)
    if case == "pickled array":
        np.save(folder / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
        return folder / "x.npy", ("pickle",)
    if case == "not an array":
        (folder / "x.npy").write_text("hello")
        return folder / "x.npy", ("x.npy", "not a .npy array")
    if case == "missing array":
        return folder / "x.npy", ("does not exist",)
    if case == "wrong shape for the reference":
        np.save(folder / "x.npy", np.random.default_rng(0).integers(0, 255, (8, 32, 32, 3), dtype=np.uint8))
        return folder / "x.npy", ("3x32x32", "1x28x28", "--dataset")
    raise AssertionError(case)


BAD = ["empty folder", "non-image file", "mixed sizes", "truncated image", "16-bit image", "float array",
       "channels-first array", "flat array", "empty array", "pickled array", "not an array", "missing array"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_exit_2(cli, tmp_path, case):
    source, needles = write_bad(tmp_path, case)
    one_line_error(cli("evaluate", str(source), "--extractor", "digits"), *needles)


def test_images_another_shape_than_the_reference_say_how_to_choose_one(cli, tmp_path, monkeypatch):
    source, needles = write_bad(tmp_path, "wrong shape for the reference")
    from gantool.evaluation import evaluator

    monkeypatch.setattr(evaluator, "Evaluator", lambda *a, **k: pytest.fail("no extractor may be built"))
    one_line_error(cli("evaluate", str(source), "--inception-weights", str(tmp_path / "none.safetensors")),
                   "does not exist")  # weights are checked first, before any image is read
    monkeypatch.setattr("gantool.evaluation.inception.find_weights", lambda path: path)
    one_line_error(cli("evaluate", str(source), "--extractor", "inception"), *needles)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_named(cli, tmp_path):
    folder = save_pngs(tmp_path / "pngs", np.zeros((2, 28, 28), dtype=np.uint8))
    (folder / "00001.png").chmod(0)
    one_line_error(cli("evaluate", str(folder)), "00001.png", "cannot read")


@pytest.mark.parametrize(("extra", "needles"), [
    (["--untrained"], ("--untrained", "run directory")),
    (["--set", "gen.depth=4"], ("--set gen.*",)),
    (["--dataset", "no-such-set"], ("no-such-set",)),
])
def test_options_that_do_not_fit_an_image_source_are_refused(cli, digits, tmp_path, extra, needles):
    np.save(tmp_path / "x.npy", digits[1][:10], allow_pickle=False)
    one_line_error(cli("evaluate", str(tmp_path / "x.npy"), *extra), *needles)


def test_a_run_refuses_dataset_and_set(cli, trained_run):
    one_line_error(cli("evaluate", str(trained_run), "--dataset", "mnist5k"), "--dataset", "own data")


def test_a_real_process_prints_one_line_for_a_bad_array(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((4, 28, 28, 1), dtype=np.float64))
    result = run_subprocess("evaluate", str(tmp_path / "x.npy"), cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and "float64" in result.stderr
