"""Every `gantool generate` format writes valid files holding the same images for the same seed."""

import numpy as np
import pytest
from PIL import Image


def test_grid_files_and_npy_hold_the_same_images(cli, trained_run, tmp_path):
    grid, folder, array = tmp_path / "grid.png", tmp_path / "pngs", tmp_path / "x.npy"
    for fmt, out in (("grid", grid), ("files", folder), ("npy", array)):
        result = cli("generate", str(trained_run), "--num", "5", "--seed", "3", "--format", fmt, "--out", str(out))
        assert result.code == 0, result.err
    assert Image.open(grid).size == (3 * 30 + 2, 2 * 30 + 2)
    pixels = np.load(array, allow_pickle=False)
    assert pixels.shape == (5, 28, 28, 1) and pixels.dtype == np.uint8
    files = sorted(folder.glob("*.png"))
    assert [f.name for f in files] == [f"{i:06d}.png" for i in range(5)]
    for index, file in enumerate(files):
        image = Image.open(file)
        assert image.mode == "L" and image.size == (28, 28)
        assert np.array_equal(np.asarray(image), pixels[index, :, :, 0])


def test_another_seed_draws_other_images(cli, trained_run, tmp_path):
    outs = [tmp_path / "a.npy", tmp_path / "b.npy"]
    for seed, out in zip((1, 2), outs, strict=True):
        assert cli("generate", str(trained_run), "--num", "4", "--seed", str(seed), "--format", "npy",
                   "--out", str(out)).code == 0
    assert not np.array_equal(np.load(outs[0]), np.load(outs[1]))


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "npy", "--out", "x.png"], "ending in .npy"),
    (["--format", "grid", "--out", "x.npy"], "ending in .png"),
    (["--format", "tiff"], "grid, files, npy"),
    (["--per-class"], "conditional"),
])
def test_mismatched_requests_are_refused(cli, trained_run, tmp_path, args, message):
    result = cli("generate", str(trained_run), *args)
    assert result.code == 2 and message in result.err
