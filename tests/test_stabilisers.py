"""The stabilisers of issue 11 as parts and options: spectral norm, hinge, R1, augmentations, EMA batch norm."""

from __future__ import annotations

import copy
import json
import tomllib

import gantool_builtins.plugin
import pytest
import torch
from conftest import TINY
from gantool_builtins.architectures import DISCRIMINATORS, GENERATORS
from gantool_builtins.augmentations import diffaugment
from gantool_builtins.losses import bce, hinge
from gantool_builtins.nets.diffaugment import cutout, translation
from torch import nn

from gantool import hookimpl
from gantool.interfaces import DataSpec
from gantool.storage.checkpoint import load_tensors
from gantool.testing import check_architecture, check_augmentation, check_loss, check_plugin
from gantool.training.ema import EMA, recalibrate_batch_norm

SPEC = DataSpec(1, 28, 28, 10)


# -- list-plugins, describe, and the one-line recipe --------------------------------------------------------
def test_list_plugins_shows_the_augmentation_and_the_hinge_loss(cli):
    result = cli("list-plugins", "--json")
    assert result.code == 0
    provides = {p["plugin"]: p for p in json.loads(result.out)}["builtins"]["provides"]
    assert {"augmentation:diffaugment", "loss:hinge"} <= set(provides)


def test_describe_diffaugment_shows_its_typed_options(cli):
    result = cli("describe", "diffaugment")
    assert result.code == 0
    for option in ("aug.policy", "aug.translation", "aug.cutout", "aug.fill", "aug.probability"):
        assert option in result.out
    assert "color|" in result.out and "0.125" in result.out


def test_hinge_spectral_norm_and_diffaugment_train_together(cli, tmp_path):
    run = tmp_path / "run"
    result = cli("train", "--augment", "diffaugment", "--loss", "hinge", "--set", "disc.spectral_norm=true",
                 "--set", "aug.policy=translation,cutout", "--set", "loss.r1=0.5", "--out", str(run), *TINY,
                 "--max-steps", "5")
    assert result.code == 0, result.err
    config = tomllib.loads((run / "config.toml").read_text())
    assert config["augment"] == "diffaugment" and config["loss"] == "hinge"
    assert config["options"]["aug"]["policy"] == ["translation", "cutout"]
    assert config["options"]["disc"]["spectral_norm"] is True
    assert config["plugins"]["aug"]["name"] == "builtins:diffaugment"
    assert (run / "generator.safetensors").exists()


def test_aug_settings_without_augment_are_one_line(cli, tmp_path):
    result = cli("train", "--set", "aug.cutout=0.3", "--out", str(tmp_path / "run"), *TINY)
    assert result.code == 2
    assert "--set aug.cutout was given without --augment" in result.err
    assert not (tmp_path / "run").exists()


def test_unknown_augmentation_names_the_known_ones(cli, tmp_path):
    result = cli("train", "--augment", "diffaugmnt", "--out", str(tmp_path / "run"), *TINY)
    assert result.code == 2
    assert "did you mean 'diffaugment'" in result.err and "known augmentations: ada, diffaugment" in result.err


# -- a third party's augmentation, and what D sees ---------------------------------------------------------
MARK = 5.0  # outside [-1, 1]: no real or generated pixel has it


class Marked:
    """Sets the top-left pixel of every image to MARK (differentiably elsewhere), and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        corner = torch.zeros_like(images)
        corner[:, :, 0, 0] = 1.0
        return images * (1 - corner) + MARK * corner


class SpyDiscriminator(nn.Module):
    """A linear D that records, for every batch it judges, whether the batch carried the mark."""

    def __init__(self, spec: DataSpec) -> None:
        super().__init__()
        self.num_classes = 0
        self.score = nn.Linear(spec.channels * spec.height * spec.width, 1)
        self.seen: list[tuple[int, bool, bool]] = []

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        self.seen.append((len(x), bool((x[:, :, 0, 0] == MARK).all()), x.requires_grad))
        return self.score(x.flatten(1)).flatten()


class ThirdParty:
    """An in-process plugin as a third party would ship it: one augmentation and one discriminator."""

    def __init__(self) -> None:
        self.augmentations: list[Marked] = []
        self.discriminators: list[SpyDiscriminator] = []

    def marked(self) -> Marked:
        self.augmentations.append(Marked())
        return self.augmentations[-1]

    def spy(self, spec: DataSpec) -> SpyDiscriminator:
        self.discriminators.append(SpyDiscriminator(spec))
        return self.discriminators[-1]

    @hookimpl
    def register_augmentations(self, register):
        register("marked", self.marked)

    @hookimpl
    def register_discriminators(self, register):
        register("spy", self.spy)


def test_a_third_party_augmentation_reaches_every_image_d_judges(cli, tmp_path):
    plugin = ThirdParty()
    result = cli("train", "--augment", "marked", "--disc", "spy", "--loss", "bce", "--set", "loss.r1=1",
                 "--out", str(tmp_path / "run"), "--set", "gen.depth=8", "--batch-size", "16", "--max-steps", "3",
                 "--quiet", extra_plugins=[(plugin, "third-party")])
    assert result.code == 0, result.err
    assert plugin.augmentations[-1].calls == 3 * 2  # real and fake, once per step
    judged = [(marked, grad) for size, marked, grad in plugin.discriminators[-1].seen if size == 16]
    assert len(judged) == 3 * 4  # D step: real and fake; R1 on the real batch; G step on the same fakes
    assert all(marked for marked, _ in judged)  # D never saw an image the augmentation had not touched
    assert sum(grad for _, grad in judged) == 3 * 2  # the G step's fakes and R1's reals carry gradients


def test_a_third_party_augmentation_passes_the_plugin_checks():
    registry = check_plugin(ThirdParty(), specs=[DataSpec(1, 8, 8)], datasets=False)
    assert registry.names("augmentation") == ["marked"]


def test_check_augmentation_rejects_a_transform_that_cuts_the_gradient():
    def detaching():
        return lambda images: images.detach() * 0.5

    with pytest.raises(AssertionError, match="cut the gradient"):
        check_augmentation(detaching)


# -- diffaugment --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
@pytest.mark.parametrize("spec", [DataSpec(1, 28, 28), DataSpec(3, 32, 32)])
def test_diffaugment_keeps_the_contract_for_each_operation(policy, spec):
    check_augmentation(diffaugment, {"policy": policy}, spec=spec)


def test_translation_moves_content_and_fills_the_uncovered_border():
    torch.manual_seed(0)
    images = torch.full((64, 1, 8, 8), -1.0)
    images[:, :, 3:5, 3:5] = 1.0  # a 2x2 bright square well inside the border
    moved = translation(images, ratio=0.25, fill=-1.0)
    assert torch.equal((moved == 1.0).flatten(1).sum(1), torch.full((64,), 4))  # nothing lost or added
    positions = (moved == 1.0).flatten(1).float().argmax(1)
    assert len(positions.unique()) > 1  # each image draws its own shift
    assert set(moved.unique().tolist()) <= {-1.0, 1.0}


def test_cutout_blanks_one_square_of_the_given_size_at_most():
    torch.manual_seed(0)
    images = torch.ones(32, 1, 28, 28)
    holes = (cutout(images, ratio=0.5, fill=0.0) == 0.0).flatten(1).sum(1)
    assert int(holes.max()) == 14 * 14 and int(holes.min()) > 0


def test_diffaugment_gradients_reach_the_generated_images():
    images = torch.rand(4, 1, 28, 28, requires_grad=True)
    diffaugment()(images * 2 - 1).square().sum().backward()
    assert images.grad is not None and bool(images.grad.abs().sum() > 0)


# -- spectral norm ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dcgan", "mlp", "cgan"])
def test_spectral_norm_is_an_option_of_every_builtin_discriminator(name):
    options = {"depth": 8} if name != "mlp" else {"hidden1": 32, "hidden2": 16}
    torch.manual_seed(0)
    disc = DISCRIMINATORS[name](SPEC, spectral_norm=True, **options)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in disc.modules())
    layers = [m for m in disc.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    labels = torch.zeros(16, dtype=torch.long)
    with torch.no_grad():
        for _ in range(30):  # power iterations converge while training
            disc(torch.randn(16, 1, 28, 28), labels)
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2)
        assert float(sigma) == pytest.approx(1.0, abs=0.05)
    plain = GENERATORS[name]  # and the pair keeps the contracts
    check_architecture(plain, DISCRIMINATORS[name], SPEC, options, {**options, "spectral_norm": True})


# -- losses -------------------------------------------------------------------------------------------------
def test_hinge_loss_on_scores_worked_out_by_hand():
    parts = hinge().discriminator_loss(torch.tensor([2.0, 0.0]), torch.tensor([-2.0, 0.0]))
    # real: mean(relu(1 - 2), relu(1 - 0)) = 0.5; fake: mean(relu(1 - 2), relu(1 + 0)) = 0.5
    assert (parts["real"].item(), parts["fake"].item(), parts["loss"].item()) == pytest.approx((0.5, 0.5, 1.0))
    assert hinge().generator_loss(torch.tensor([1.0, 3.0])).item() == pytest.approx(-2.0)


@pytest.mark.parametrize("factory", [bce, hinge])
def test_r1_is_half_gamma_times_the_squared_input_gradient(factory):
    weights = torch.randn(1, 1, 4, 4)
    critic = SpyLinear(weights)
    real = torch.randn(3, 1, 4, 4)
    for every in (1, 16):
        value = factory(r1=2.0, r1_every=every).penalty(critic, real, real, None)
        # D(x) = w . x, so its input gradient is w for every image: R1 = gamma / 2 * |w|^2, times k when lazy
        assert value.item() == pytest.approx(0.5 * 2.0 * every * float(weights.square().sum()), rel=1e-5)
    assert factory().penalty(critic, real, real, None) is None  # gamma 0: off
    check_loss(factory, {"r1": 1.0})


class SpyLinear(nn.Module):
    def __init__(self, weights: torch.Tensor) -> None:
        super().__init__()
        self.weights = nn.Parameter(weights)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return (x * self.weights).flatten(1).sum(1)


def test_lazy_r1_runs_on_every_kth_d_step_only(tmp_path):
    from gantool.assembly import build_parts
    from gantool.config import TrainConfig
    from gantool.registry import load_registry
    from gantool.training.trainer import Trainer

    config = TrainConfig(loss="hinge", options={"gen": {"depth": 4}, "disc": {"depth": 4},
                                                "loss": {"r1": 1.0, "r1_every": 4}}, batch_size=8, device="cpu")
    parts = build_parts(load_registry(), gen="dcgan", disc=None, loss="hinge", dataset="mnist5k",
                        options=config.options)
    trainer = Trainer(config, parts, tmp_path, plugins={})
    calls = []
    original = trainer.loss.penalty
    trainer.loss.penalty = lambda *args: calls.append(trainer.step) or original(*args)
    for step, (real, labels) in zip(range(9), trainer.source.batches(0, 0), strict=False):
        trainer.step = step
        trainer.train_step(real, labels)
    assert calls == [0, 4, 8]


def test_builtins_pass_the_plugin_checks_with_the_new_options():
    options = {"dcgan": {"depth": 4, "spectral_norm": True}, "mlp": {"hidden1": 16, "hidden2": 8},
               "cgan": {"depth": 4}, "hinge": {"r1": 1.0, "r1_every": 4}, "bce": {"r1": 10.0},
               "diffaugment": {"probability": 0.5, "fill": -1.0}, "resnet": {"width": 4}}
    registry = check_plugin(gantool_builtins.plugin, specs=[DataSpec(1, 28, 28, 10), DataSpec(3, 16, 16)],
                            options=options, datasets=False)
    assert registry.names("augmentation") == ["ada", "diffaugment"]
    assert "hinge" in registry.names("loss")


# -- EMA ----------------------------------------------------------------------------------------------------
def test_ema_warm_up_follows_one_plus_t_over_ten_plus_t():
    ema = EMA(nn.Linear(2, 2), decay=0.999, draw=lambda count, source: (torch.randn(count, 2, generator=source),))
    decays = []
    for _ in range(3):
        decays.append(ema.current_decay())
        ema.update(nn.Linear(2, 2))
    assert decays == pytest.approx([1 / 10, 2 / 11, 3 / 12])
    ema.updates = 10**6
    assert ema.current_decay() == 0.999


def test_recalibration_measures_the_models_own_batch_statistics():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    with torch.no_grad():
        model[0].weight.mul_(3.0)
        model[0].bias.add_(2.0)

    def draw(count, source):
        return (torch.randn(count, 3, generator=source),)

    recalibrate_batch_norm(model, draw, batches=2, batch_size=512)
    seed = torch.Generator().manual_seed(20240229)
    outputs = torch.cat([model[0](draw(512, seed)[0]) for _ in range(2)]).detach()
    assert torch.allclose(model[1].running_mean, outputs.mean(0), atol=1e-5)
    assert torch.allclose(model[1].running_var, outputs.var(0), rtol=1e-2)
    assert model[1].momentum == 0.1  # restored after the cumulative average


def test_ema_sampling_uses_batch_norm_statistics_that_fit_the_ema_weights(cli, tmp_path):
    from gantool.registry import load_registry
    from gantool.storage.exported import load_generator

    run = tmp_path / "run"
    result = cli("train", "--out", str(run), *TINY, "--max-steps", "6", "--ema", "0.9", "--checkpoint-every", "6")
    assert result.code == 0, result.err
    loaded = load_generator(load_registry(), run, device=torch.device("cpu"))
    sampler = loaded.generator
    norm = next(m for m in sampler.modules() if isinstance(m, nn.BatchNorm2d))
    fresh = copy.deepcopy(sampler)  # the same weights, statistics measured anew on other noise
    recalibrate_batch_norm(fresh, lambda count, source: (torch.randn(count, fresh.latent_dim),), batch_size=512)
    measured = next(m for m in fresh.modules() if isinstance(m, nn.BatchNorm2d)).running_var
    exported_error = ((norm.running_var - measured).abs() / measured).max()
    tensors, _ = load_tensors(next((run / "checkpoints").glob("step-*.safetensors")))
    name = next(k for k in tensors if k.startswith("g.") and k.endswith("running_var"))
    live_error = ((tensors[name] - measured).abs() / measured).max()  # the live G's, which --ema used to copy
    assert float(exported_error) < 0.1 < float(live_error)


# -- the default generator follows the data's labels ----------------------------------------------------------
def test_the_default_generator_is_conditional_on_labelled_data(cli, tmp_path):
    run = tmp_path / "run"
    result = cli("train", "--set", "gen.depth=4", "--set", "disc.depth=4", "--max-steps", "2", "--quiet",
                 "--out", str(run))
    assert result.code == 0, result.err
    config = tomllib.loads((run / "config.toml").read_text())
    assert config["gen"] == "cgan" and config["plugins"]["gen"]["name"] == "builtins:cgan"
    assert config["batch_size"] == 32 and config["ema"] == 0.999


def test_unlabelled_data_of_other_shapes_gets_dcgan(cli, tmp_path):
    from PIL import Image

    folder = tmp_path / "faces"
    folder.mkdir()
    for index in range(8):
        Image.new("L", (8, 8), color=index * 30).save(folder / f"{index}.png")
    run = tmp_path / "run"
    result = cli("train", "--dataset", "image-folder", "--set", f"data.root={folder}", "--set", "data.image_size=8",
                 "--set", "data.channels=1", "--set", "gen.depth=4", "--set", "disc.depth=4", "--batch-size", "4",
                 "--max-steps", "2", "--quiet", "--out", str(run))
    assert result.code == 0, result.err
    assert tomllib.loads((run / "config.toml").read_text())["gen"] == "dcgan"
