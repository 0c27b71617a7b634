"""The built-in catalogue: mlp, dcgan and cgan train with bce and smoothed-bce; cgan draws the class asked for;
each misuse ends in one line with exit code 2."""

from __future__ import annotations

import json

import gantool_builtins.plugin
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gantool_builtins.architectures import cgan_discriminator, cgan_generator, mlp_discriminator, mlp_generator
from gantool_builtins.losses import bce, smoothed_bce
from PIL import Image

from gantool import hookimpl
from gantool.assembly import check_fit, check_labels
from gantool.errors import GantoolError
from gantool.interfaces import DatasetBundle, DataSpec
from gantool.testing import check_architecture, check_loss, check_plugin

STEPS = ["--batch-size", "16", "--max-steps", "3", "--log-every", "1", "--quiet"]
TINY_MLP = {"hidden1": 8, "hidden2": 8}
# --set arguments that make each architecture tiny (cgan's default body is dcgan's, with the same `depth`).
TINY_SETS = {
    "mlp": [f"{kind}.{key}={value}" for kind in ("gen", "disc") for key, value in TINY_MLP.items()],
    "dcgan": ["gen.depth=8", "disc.depth=8"],
    "cgan": ["gen.depth=8", "disc.depth=8"],
}


def sets(*values: str) -> list[str]:
    return [arg for value in values for arg in ("--set", value)]


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


class UnlabelledDigits:
    """An in-process dataset plugin with no labels (num_classes 0), for the refusals of conditional models."""

    @hookimpl
    def register_datasets(self, register):
        def unlabelled():
            """32 random 16x16 grey images without labels."""
            images = torch.randint(0, 256, (32, 1, 16, 16), dtype=torch.uint8)
            return DatasetBundle(DataSpec(1, 16, 16, 0), images=images)

        register("test-unlabelled", unlabelled)


UNLABELLED = [(UnlabelledDigits(), "test-unlabelled")]


@pytest.mark.parametrize("loss", ["bce", "smoothed-bce"])
@pytest.mark.parametrize(("gen", "extra"), [
    pytest.param("mlp", [], id="mlp"),
    pytest.param("dcgan", [], id="dcgan-28"),
    pytest.param("dcgan", ["data.image_size=64"], id="dcgan-64"),
    pytest.param("cgan", [], id="cgan"),
    pytest.param("cgan", ["gen.body=mlp", "disc.body=mlp", *TINY_SETS["mlp"]], id="cgan-mlp-body"),
])
def test_each_architecture_trains_with_each_loss(cli, tmp_path, gen, extra, loss):
    run = tmp_path / "run"
    result = cli("train", "--gen", gen, "--loss", loss, "--out", str(run), *STEPS, *sets(*TINY_SETS[gen], *extra))
    assert result.code == 0, result.err
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [record["step"] for record in records] == [1, 2, 3]
    assert all(np.isfinite([r["d_loss"], r["d_real"], r["d_fake"], r["g_loss"]]).all() for r in records)
    assert (run / "generator.safetensors").exists()
    size = 64 if "data.image_size=64" in extra else 28
    assert Image.open(run / "samples" / "final.png").size[0] == 8 * (size + 2) + 2


@pytest.fixture
def tiny_cgan(cli, tmp_path):
    run = tmp_path / "cgan"
    assert cli("train", "--gen", "cgan", "--out", str(run), *STEPS, *sets(*TINY_SETS["cgan"])).code == 0
    return run


def test_generate_draws_the_label_asked_for(cli, tiny_cgan, tmp_path):
    grid = tmp_path / "sevens.png"
    assert cli("generate", str(tiny_cgan), "--label", "7", "--num", "16", "--out", str(grid)).code == 0
    assert Image.open(grid).size == (4 * 30 + 2, 4 * 30 + 2)
    arrays = {}
    for label in (3, 7):
        out = tmp_path / f"label{label}.npy"
        assert cli("generate", str(tiny_cgan), "--label", str(label), "--num", "8", "--format", "npy",
                   "--out", str(out)).code == 0
        arrays[label] = np.load(out, allow_pickle=False)
        assert np.load(tmp_path / f"label{label}.labels.npy", allow_pickle=False).tolist() == [label] * 8
    # the same seed draws the same noise, so only the label can make the images differ
    assert not np.array_equal(arrays[3], arrays[7])


def test_label_on_an_unconditional_generator_is_one_line(cli, tmp_path):
    run = tmp_path / "mlp"
    assert cli("train", "--gen", "mlp", "--out", str(run), *STEPS, *sets(*TINY_SETS["mlp"])).code == 0
    result = cli("generate", str(run), "--label", "7", "--out", str(tmp_path / "x.png"))
    assert result.code == 2
    assert "unconditional" in one_line(result.err)


def test_cgan_on_unlabelled_data_is_one_line(cli, tmp_path):
    result = cli("train", "--gen", "cgan", "--dataset", "test-unlabelled", "--out", str(tmp_path / "run"), *STEPS,
                 extra_plugins=UNLABELLED)
    assert result.code == 2
    assert "cgan needs a labelled dataset (e.g. mnist5k)" in one_line(result.err)
    assert not (tmp_path / "run").exists()


def test_unlabelled_data_still_trains_the_unconditional_mlp(cli, tmp_path):
    result = cli("train", "--gen", "mlp", "--dataset", "test-unlabelled", "--out", str(tmp_path / "run"), *STEPS,
                 *sets(*TINY_SETS["mlp"]), extra_plugins=UNLABELLED)
    assert result.code == 0, result.err


@pytest.mark.parametrize(("gen", "name"), [("dcgan", "dcgan"), ("cgan", "cgan with body=conv")])
def test_an_unsupported_dcgan_size_lists_the_sizes_in_one_line(cli, tmp_path, gen, name):
    result = cli("train", "--gen", gen, "--out", str(tmp_path / "run"), *STEPS, *sets("data.image_size=48"))
    assert result.code == 2
    assert f"{name} cannot build 48x48 images" in one_line(result.err)
    assert "28, 8, 16, 32, 64, 128, 256" in result.err


def test_smoothed_bce_aims_real_logits_at_one_minus_smoothing():
    real, fake = torch.tensor([-1.0, 0.3, 2.0]), torch.tensor([-0.5, 0.7, 1.5])
    parts = smoothed_bce(smoothing=0.2).discriminator_loss(real, fake)
    expected_real = F.binary_cross_entropy_with_logits(real, torch.full_like(real, 0.8))
    expected_fake = F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    torch.testing.assert_close(parts["real"], expected_real)
    torch.testing.assert_close(parts["fake"], expected_fake)
    torch.testing.assert_close(parts["loss"], expected_real + expected_fake)
    # one-sided: G still aims at 1, and with smoothing 0 the loss is plain bce
    torch.testing.assert_close(smoothed_bce(smoothing=0.2).generator_loss(fake),
                               F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake)))
    plain = bce().discriminator_loss(real, fake)
    assert set(plain) == {"loss", "real", "fake"}
    for key, value in smoothed_bce(smoothing=0.0).discriminator_loss(real, fake).items():
        torch.testing.assert_close(value, plain[key])


def test_smoothing_is_set_and_checked_from_the_command_line(cli, tmp_path):
    run = tmp_path / "run"
    assert cli("train", "--gen", "mlp", "--loss", "smoothed-bce", "--out", str(run), *STEPS,
               *sets(*TINY_SETS["mlp"], "loss.smoothing=0.125")).code == 0
    assert "smoothing = 0.125" in (run / "config.toml").read_text()
    result = cli("train", "--loss", "smoothed-bce", "--out", str(tmp_path / "bad"), *STEPS, *sets("loss.smoothing=0.7"))
    assert result.code == 2 and "loss.smoothing" in one_line(result.err)


@pytest.mark.parametrize("spec", [DataSpec(1, 28, 28, 10), DataSpec(3, 16, 16, 10), DataSpec(3, 20, 12, 4)])
@pytest.mark.parametrize(("gen", "disc", "options"), [
    (mlp_generator, mlp_discriminator, TINY_MLP),
    (cgan_generator, cgan_discriminator, {**TINY_MLP, "body": "mlp", "label_embedding": 6}),
])
def test_mlp_bodies_build_and_fit_any_image_shape(spec, gen, disc, options):
    check_architecture(gen, disc, spec, options, options)
    generator, discriminator = gen(spec, **options), disc(spec, **options)
    check_labels(generator, discriminator, spec, "g", "d", "data")
    check_fit(generator, discriminator, spec, "g", "d")
    assert generator.num_classes == discriminator.num_classes == (spec.num_classes if gen is cgan_generator else 0)


@pytest.mark.parametrize("spec", [DataSpec(1, 28, 28, 10), DataSpec(3, 16, 16, 10), DataSpec(3, 32, 32, 4)])
@pytest.mark.parametrize("embedding", [0, 5])
def test_cgan_default_conv_body_keeps_the_contracts_on_1_and_3_channels(spec, embedding):
    options = {"depth": 4, "label_embedding": embedding}
    check_architecture(cgan_generator, cgan_discriminator, spec, options, options)
    generator, discriminator = cgan_generator(spec, **options), cgan_discriminator(spec, **options)
    check_labels(generator, discriminator, spec, "cgan", "cgan", "data")
    check_fit(generator, discriminator, spec, "cgan", "cgan")


def test_cgan_refuses_unlabelled_specs_in_its_factory():
    for factory in (cgan_generator, cgan_discriminator):
        with pytest.raises(GantoolError, match="needs a labelled dataset"):
            factory(DataSpec(1, 28, 28, 0))


def test_new_parts_pass_the_plugin_contract_checks():
    options = {"dcgan": {"depth": 4}, "mlp": TINY_MLP, "cgan": {"depth": 4},
               "smoothed-bce": {"smoothing": 0.25}, "resnet": {"width": 4}}
    registry = check_plugin(gantool_builtins.plugin, specs=[DataSpec(1, 28, 28, 10), DataSpec(3, 16, 16, 10),
                                                            DataSpec(3, 64, 64)], options=options, datasets=False)
    assert {"mlp", "cgan"} <= set(registry.names("generator")) & set(registry.names("discriminator"))
    assert "smoothed-bce" in registry.names("loss")
    check_loss(smoothed_bce, {"smoothing": 0.5})
