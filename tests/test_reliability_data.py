"""Promise 7: input is checked before training starts. Every kind of awkward file has one stated rule
(docs/datasets.md): converted, left out with a count, or refused, and check-data reports each."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gantool.options import resolve_options
from gantool.registry import load_registry
from tests.conftest import TINY, png_header_only

RED = (255, 0, 0)


def make_awkward_folder(root: Path) -> dict[str, Path]:
    """One file of every kind the rules cover, with a few good photos; returns the files by kind."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    files = {}

    def save(name: str, image: Image.Image, **kwargs) -> Path:
        files[name.split(".")[0]] = root / name
        image.save(root / name, **kwargs)
        return root / name

    for index in range(3):
        save(f"photo{index}.jpg", Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)))
    transparent = Image.new("RGBA", (24, 24), (*RED, 0))
    save("rgba.png", transparent)
    save("palette.png", Image.new("RGB", (24, 24), RED).convert("P"))
    save("sixteen.png", Image.fromarray(np.full((24, 24), 257 * 100, dtype=np.uint16)))
    save("cmyk.jpg", Image.new("CMYK", (24, 24), (0, 255, 255, 0)))
    save("grey.png", Image.new("L", (24, 24), 77))
    truncated = save("truncated.jpg", Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)), quality=95)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    files["empty"] = root / "empty.png"
    files["empty"].write_bytes(b"")
    files["text"] = root / "notes.jpg"
    files["text"].write_text("not a picture")
    files["bomb"] = root / "bomb.png"
    png_header_only(files["bomb"], 10_000, 10_000)
    (root / ".thumbnails").mkdir()
    Image.new("RGB", (8, 8)).save(root / ".thumbnails" / "hidden.jpg")
    (root / "README.txt").write_text("photos")
    (root / "empty-folder").mkdir()
    return files


def build(name: str, **raw: str):
    factory = load_registry().get("dataset", name).factory
    return factory(**resolve_options(factory, raw, "data"))


def test_check_data_reports_every_rule_by_count_and_lists_the_files_left_out(cli, tmp_path):
    files = make_awkward_folder(tmp_path / "awkward")
    result = cli("check-data", "--dataset", "image-folder", "--set", f"data.root={tmp_path / 'awkward'}", "--json")
    assert result.code == 4, "files were left out: check-data says so in its exit status (1 is for bugs)"
    summary = json.loads(result.out)
    report = summary["report"]
    assert summary["images"] == 8 and summary["spec"] == {"channels": 3, "height": 64, "width": 64, "num_classes": 0}
    assert report["files"] == 12
    assert report["skipped"] == {"truncated": [str(files["truncated"])], "empty file": [str(files["empty"])],
                                 "not an image": [str(files["text"])],
                                 "over the pixel limit (decompression bomb)": [str(files["bomb"])]}
    assert report["converted"] == {"with transparency (flattened onto white)": 1, "palette (expanded to colours)": 1,
                                   "16-bit (scaled to 8 bits)": 1, "CMYK (converted to RGB)": 1,
                                   "greyscale (copied into 3 channels)": 2}
    assert report["ignored"] == {"hidden (files and folders)": 1, "not matching the pattern": 1}
    table = cli("check-data", "--dataset", "image-folder", "--set", f"data.root={tmp_path / 'awkward'}")
    assert table.code == 4 and str(files["bomb"]) in table.out and "8 usable" in table.out


def test_training_leaves_bad_files_out_with_one_warning_or_refuses_them(cli, tmp_path):
    make_awkward_folder(tmp_path / "awkward")
    root = f"data.root={tmp_path / 'awkward'}"
    result = cli("train", "--dataset", "image-folder", "--set", root, "--set", "data.image_size=32", *TINY,
                 "--batch-size", "4", "--out", str(tmp_path / "run"))
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("warning: dataset")]
    assert len(warnings) == 1 and "left out 4 of 12 files" in warnings[0] and "check-data" in warnings[0]
    refused = cli("train", "--dataset", "image-folder", "--set", root, "--set", "data.on_bad_image=fail", *TINY,
                  "--out", str(tmp_path / "refused"))
    assert refused.code == 2 and len(refused.err.strip().splitlines()) == 1
    assert "4 of 12 images" in refused.err and "truncated" in refused.err and "data.on_bad_image=skip" in refused.err
    assert not (tmp_path / "refused").exists(), "refused before any file is written"


def test_conversions_follow_the_stated_rules(tmp_path):
    files = make_awkward_folder(tmp_path / "awkward")
    bundle = build("image-folder", root=str(tmp_path / "awkward"), image_size="16")
    names = sorted(path for path in files.values() if path.suffix in (".png", ".jpg"))
    usable = [path for path in names if path.stem not in ("truncated", "empty", "notes", "bomb")]
    pixel = {path.stem: bundle.images[index, :, 8, 8].tolist() for index, path in enumerate(usable)}
    assert pixel["rgba"] == [255, 255, 255], "fully transparent red is white: flattened onto white"
    assert pixel["sixteen"] == [100, 100, 100], "16-bit 25,700 is 8-bit 100"
    assert pixel["grey"] == [77, 77, 77] and pixel["palette"] == [255, 0, 0]
    assert pixel["cmyk"][0] > 240 and max(pixel["cmyk"][1:]) < 15, "CMYK (0, 255, 255, 0) is red"
    grey = build("image-folder", root=str(tmp_path / "awkward"), image_size="16", channels="1")
    assert grey.spec.channels == 1 and tuple(grey.images.shape[1:]) == (1, 16, 16)


@pytest.mark.parametrize("layout, message", [
    ("missing", "does not exist"),
    ("empty", "no images under"),
    ("only-bad", "none of the 2 images"),
    ("loose-with-labels", "lie outside them"),
    ("empty-class", "has no usable images"),
])
def test_unusable_folders_are_refused_in_one_line(cli, tmp_path, layout, message):
    root = tmp_path / "data"
    if layout != "missing":
        root.mkdir()
    if layout == "only-bad":
        (root / "a.png").write_bytes(b"")
        (root / "b.jpg").write_text("text")
    if layout in ("loose-with-labels", "empty-class"):
        (root / "cats").mkdir()
        Image.new("RGB", (8, 8)).save(root / "cats" / "cat.png")
        (root / "dogs").mkdir()
        if layout == "loose-with-labels":
            Image.new("RGB", (8, 8)).save(root / "dogs" / "dog.png")
            Image.new("RGB", (8, 8)).save(root / "stray.png")
    labels = "true" if layout in ("loose-with-labels", "empty-class") else "false"
    result = cli("check-data", "--dataset", "image-folder", "--set", f"data.root={root}",
                 "--set", f"data.labels={labels}")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1 and message in result.err, result.err


def test_a_file_that_breaks_after_the_check_stops_streaming_in_one_line(tmp_path):
    from gantool.errors import GantoolError

    files = make_awkward_folder(tmp_path / "awkward")
    streamed = build("image-folder", root=str(tmp_path / "awkward"), memory_mb="0", image_size="16")
    assert streamed.images is None and len(streamed) == 8
    files["photo0"].write_bytes(b"")
    with pytest.raises(GantoolError, match="photo0.jpg no longer decodes"):
        streamed.dataset.__getitems__([0, streamed.dataset.files.index(files["photo0"])])


@pytest.mark.parametrize("memory_mb", ["2048", "0"])
def test_image_folder_keeps_the_dataset_contract_in_memory_and_streamed(tmp_path, memory_mb):
    from gantool_builtins.datasets import image_folder

    from gantool.testing import check_dataset

    make_awkward_folder(tmp_path / "awkward")
    bundle = check_dataset(image_folder, {"root": str(tmp_path / "awkward"), "memory_mb": memory_mb,
                                          "image_size": "16", "channels": "1"}, items=8)
    assert bundle.spec.channels == 1 and (bundle.images is None) == (memory_mb == "0")


def test_bombs_over_either_pixel_limit_are_refused_without_decoding_or_warnings(tmp_path):
    import warnings

    root = tmp_path / "bombs"
    root.mkdir()
    png_header_only(root / "warned.png", 10_000, 10_000)  # Pillow only warns between 1x and 2x its limit
    png_header_only(root / "refused.png", 30_000, 30_000)  # Pillow refuses over 2x
    Image.new("RGB", (8, 8)).save(root / "fine.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bundle = build("image-folder", root=str(root), image_size="8", memory_mb="0")
        bundle.dataset.__getitems__([0])
    assert bundle.report.skipped == {"over the pixel limit (decompression bomb)": [str(root / "refused.png"),
                                                                                  str(root / "warned.png")]}
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
