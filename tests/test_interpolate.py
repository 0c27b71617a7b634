"""`gantool interpolate` walks between two seeds and writes a valid PNG strip or animated GIF."""

import pytest
import torch
from PIL import Image

from gantool.storage.interpolation import interpolate


@pytest.mark.parametrize("mode", ["lerp", "slerp"])
def test_paths_start_and_end_at_the_given_points(mode):
    a, b = torch.randn(16, generator=torch.Generator().manual_seed(0)), torch.randn(16)
    path = interpolate(a, b, 7, mode)
    assert path.shape == (7, 16)
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)


def test_slerp_keeps_the_norm_where_lerp_shrinks_it():
    a = torch.tensor([1.0, 0.0])
    b = torch.tensor([0.0, 1.0])
    middle_slerp, middle_lerp = interpolate(a, b, 3, "slerp")[1], interpolate(a, b, 3, "lerp")[1]
    assert middle_slerp.norm().item() == pytest.approx(1.0)
    assert middle_lerp.norm().item() == pytest.approx(2**-0.5)


def test_png_strip_and_gif_are_valid(cli, trained_run, tmp_path):
    strip, gif = tmp_path / "strip.png", tmp_path / "walk.gif"
    assert cli("interpolate", str(trained_run), "--steps", "6", "--seed-a", "1", "--seed-b", "2",
               "--out", str(strip)).code == 0
    assert Image.open(strip).size == (6 * 30 + 2, 32)
    result = cli("interpolate", str(trained_run), "--steps", "5", "--mode", "lerp", "--scale", "2", "--out", str(gif))
    assert result.code == 0, result.err
    animation = Image.open(gif)
    assert animation.format == "GIF" and animation.n_frames == 5 and animation.size == (56, 56)


def test_without_seeds_every_walk_is_the_same_and_its_seeds_are_printed(cli, trained_run, tmp_path):
    """Like generate's --seed 0: seed-a is 0 and seed-b seed-a + 1 unless given (they were random)."""
    first, second = (cli("interpolate", str(trained_run), "--steps", "3", "--out", str(tmp_path / f"{name}.png"))
                     for name in ("a", "b"))
    assert first.code == second.code == 0 and "seed-a 0, seed-b 1" in first.out
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_label_b_on_an_unconditional_generator_is_refused(cli, trained_run, tmp_path):
    result = cli("interpolate", str(trained_run), "--label-b", "3", "--out", str(tmp_path / "x.png"))
    assert result.code == 2 and "unconditional" in result.err
