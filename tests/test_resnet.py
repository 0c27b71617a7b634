"""The resnet architecture: SNGAN and R3GAN blocks keep the G and D contracts at 28, 32 and 64 pixels, grey and
colour, with and without labels; it trains, and its misuses end in one line."""

from __future__ import annotations

import json

import pytest
import torch
from gantool_builtins.architectures import resnet_discriminator, resnet_generator
from gantool_builtins.nets.resnet import R3GANBlock, SNGANBlock, fixup

from gantool.interfaces import DataSpec
from gantool.testing import check_architecture

TINY = {"width": 4}
STEPS = ["--batch-size", "8", "--max-steps", "2", "--log-every", "1", "--quiet"]


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("block", ["r3gan", "sngan"])
@pytest.mark.parametrize(("size", "channels", "classes"), [
    (28, 1, 0), (28, 3, 10), (32, 3, 0), (32, 1, 10), (64, 3, 0), (64, 1, 10)])
def test_resnet_keeps_the_contracts(block, size, channels, classes):
    spec = DataSpec(channels, size, size, classes)
    options = {**TINY, "block": block}
    check_architecture(resnet_generator, resnet_discriminator, spec, options, options)


@pytest.mark.parametrize("options", [
    {"norm": "batch"}, {"spectral_norm": True, "init": "pytorch"}, {"depth": 2, "init": "normal-0.02"}])
def test_resnet_options_keep_the_contracts(options):
    spec = DataSpec(1, 28, 28)
    gen_options = {**TINY, **options}
    check_architecture(resnet_generator, resnet_discriminator, spec, gen_options, {**TINY, **options})


@pytest.mark.parametrize("block", ["r3gan", "sngan"])
def test_discriminator_gives_finite_logits_under_bfloat16_autocast(block):
    discriminator = resnet_discriminator(DataSpec(3, 32, 32), block=block, **TINY)
    generator = resnet_generator(DataSpec(3, 32, 32), block=block, **TINY)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = discriminator(generator(torch.randn(4, generator.latent_dim)))
    assert logits.shape == (4,) and bool(torch.isfinite(logits.float()).all())


@pytest.mark.parametrize("block", [R3GANBlock(8, norm="none"), SNGANBlock(8, 8, norm="none")], ids=["r3gan", "sngan"])
def test_fixup_starts_every_residual_block_as_the_identity(block):
    fixup(block)
    x = torch.randn(2, 8, 7, 7)
    assert torch.equal(block(x), x)
    assert any(bool(conv.weight.abs().sum() > 0) for conv in block.children() if isinstance(conv, torch.nn.Conv2d))


def test_fixup_keeps_the_generator_output_varied():
    """Zeroed branches must not zero the net: distinct noise still gives distinct, non-constant images."""
    generator = resnet_generator(DataSpec(1, 28, 28), init="fixup")
    with torch.no_grad():
        images = generator(torch.randn(4, generator.latent_dim))
    assert float(images.std()) > 0.05
    assert not torch.allclose(images[0], images[1])


@pytest.mark.parametrize(("block", "extra"), [
    ("r3gan", []), ("sngan", []), ("r3gan", ["--set", "data.image_size=64"])], ids=["r3gan", "sngan", "r3gan-64"])
def test_resnet_trains(cli, tmp_path, block, extra):
    run = tmp_path / "run"
    result = cli("train", "--gen", "resnet", "--loss", "bce", "--out", str(run), *STEPS, "--set", f"gen.block={block}",
                 "--set", f"disc.block={block}", "--set", "gen.width=4", "--set", "disc.width=4", *extra)
    assert result.code == 0, result.err
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [record["step"] for record in records] == [1, 2]
    assert (run / "generator.safetensors").exists()


@pytest.mark.parametrize(("sets", "message"), [
    (["data.image_size=16"], "resnet cannot build 16x16 images; it builds square sizes 28, 32 and 64"),
    (["disc.spectral_norm=true", "disc.init=fixup"], "disc.init=fixup starts each residual branch at zero"),
    (["gen.block=wide"], "gen.block='wide' is not valid: expected r3gan|sngan"),
    (["disc.depth=0"], "disc.depth='0' is out of range"),
])
def test_resnet_misuse_is_one_line(cli, tmp_path, sets, message):
    arguments = [part for value in sets for part in ("--set", value)]
    result = cli("train", "--gen", "resnet", "--out", str(tmp_path / "run"), *STEPS, *arguments)
    assert result.code == 2
    assert message in one_line(result.err)
    assert not (tmp_path / "run").exists()


def test_describe_resnet_lists_its_typed_options(cli):
    result = cli("describe", "resnet")
    assert result.code == 0, result.err
    for option in ("width", "depth", "block", "norm", "spectral_norm", "latent_dim", "init", "r3gan|sngan"):
        assert option in result.out
