"""The loss contract's relativistic form (G's loss sees the step's real logits), rpgan's R1/R2 penalties, and
--unconditional on labelled data."""

from __future__ import annotations

import json
import tomllib

import pytest
import torch
import torch.nn.functional as F
from gantool_builtins.losses import rpgan
from torch import nn

from gantool import hookimpl

SMALL = ["--gen", "dcgan", "--set", "gen.depth=4", "--set", "disc.depth=4", "--set", "data.image_size=8",
         "--batch-size", "8", "--max-steps", "2", "--log-every", "1", "--quiet"]


class ConstantCritic(nn.Module):
    """A discriminator whose output does not depend on its input: both penalties must be zero."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.tensor(0.7))

    def forward(self, x, labels=None):
        return self.bias.expand(len(x))


class SquareCritic(nn.Module):
    """D(x) = sum(w * x^2): its input gradient 2 w x is known in closed form."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.linspace(-1.0, 1.0, 12).reshape(1, 3, 2, 2))

    def forward(self, x, labels=None):
        return (self.weight * x.square()).flatten(1).sum(1)


def test_r1_and_r2_are_zero_when_d_ignores_its_input():
    real, fake = torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2)
    penalty = rpgan(r1=5.0, r2=5.0).penalty(ConstantCritic(), real, fake, None)
    assert float(penalty.detach()) == 0.0


@pytest.mark.parametrize(("r1", "r2"), [(1.0, 0.0), (0.0, 2.0), (0.5, 3.0)])
def test_r1_and_r2_match_the_closed_form_gradient(r1, r2):
    critic, real, fake = SquareCritic(), torch.randn(5, 3, 2, 2), torch.randn(5, 3, 2, 2)
    grad_norm = lambda x: (2 * critic.weight * x).square().flatten(1).sum(1).mean()  # noqa: E731
    expected = 0.5 * r1 * grad_norm(real) + 0.5 * r2 * grad_norm(fake)
    got = rpgan(r1=r1, r2=r2).penalty(critic, real, fake, None)
    torch.testing.assert_close(got, expected.detach())
    (through_d,) = torch.autograd.grad(got, critic.weight)  # D's loss is differentiated through the penalty
    (expected_grad,) = torch.autograd.grad(expected, critic.weight)
    torch.testing.assert_close(through_d, expected_grad)


def test_lazy_penalty_is_scaled_by_its_interval():
    critic, real, fake = SquareCritic(), torch.randn(3, 3, 2, 2), torch.randn(3, 3, 2, 2)
    every = rpgan(r1=1.0, r2=1.0, every=4)
    assert every.penalty_every == 4
    torch.testing.assert_close(every.penalty(critic, real, fake, None),
                               4 * rpgan(r1=1.0, r2=1.0).penalty(critic, real, fake, None))


def test_rpgan_pairs_each_real_with_its_fake():
    loss = rpgan()
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.0, 1.0])
    torch.testing.assert_close(loss.discriminator_loss(real, fake)["loss"], F.softplus(fake - real).mean())
    torch.testing.assert_close(loss.generator_loss(fake, real), F.softplus(real - fake).mean())
    # a fake that scores above its paired real lowers G's loss
    assert float(loss.generator_loss(fake + 3, real)) < float(loss.generator_loss(fake, real))


class RecordingRelativistic:
    """A relativistic average loss written against the new contract: it records what G's loss was given."""

    needs_real_logits = True

    def __init__(self) -> None:
        self.d_real: list[torch.Tensor] = []
        self.g_calls: list[tuple[torch.Tensor, torch.Tensor]] = []

    def discriminator_loss(self, real_logits, fake_logits):
        self.d_real.append(real_logits.detach().clone())
        real = F.softplus(-(real_logits - fake_logits.mean())).mean()
        return {"loss": real + F.softplus(fake_logits - real_logits.mean()).mean()}

    def generator_loss(self, fake_logits, real_logits):
        self.g_calls.append((fake_logits.detach().clone(), real_logits.detach().clone()))
        return F.softplus(-(fake_logits - real_logits.mean())).mean()


class OldStyle:
    """A loss written against the first contract: generator_loss(fake_logits) only."""

    def discriminator_loss(self, real_logits, fake_logits):
        return {"loss": F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()}

    def generator_loss(self, fake_logits):
        return F.softplus(-fake_logits).mean()


class Losses:
    def __init__(self, **losses) -> None:
        self.losses = losses

    @hookimpl
    def register_losses(self, register):
        for name, loss in self.losses.items():
            register(name, lambda loss=loss: loss)


def test_a_relativistic_plugin_loss_gets_the_real_logits_of_each_step(cli, tmp_path):
    loss = RecordingRelativistic()
    run = tmp_path / "run"
    result = cli("train", *SMALL, "--loss", "relative", "--out", str(run), extra_plugins=[(Losses(relative=loss),
                                                                                            "rel")])
    assert result.code == 0, result.err
    assert len(loss.g_calls) == 2  # one G step per iteration
    for (fake, real), d_real in zip(loss.g_calls, loss.d_real, strict=True):
        assert fake.shape == real.shape == (8,)
        # the same real images, scored again by the D that this step's D update produced
        assert not torch.equal(real, d_real)
        assert torch.allclose(real, d_real, atol=0.5)
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    fake, real = loss.g_calls[-1]
    assert logged[-1]["g_loss"] == pytest.approx(float(F.softplus(-(fake - real.mean())).mean()), rel=1e-5)


def test_an_old_style_loss_still_trains(cli, tmp_path):
    result = cli("train", *SMALL, "--loss", "old", "--out", str(tmp_path / "run"),
                 extra_plugins=[(Losses(old=OldStyle()), "old")])
    assert result.code == 0, result.err


def test_unconditional_trains_an_unconditional_model_on_labelled_data(cli, tmp_path):
    run = tmp_path / "run"
    result = cli("train", "--unconditional", "--loss", "rpgan", "--set", "data.image_size=8", "--batch-size", "8",
                 "--max-steps", "2", "--quiet", "--out", str(run))
    assert result.code == 0, result.err
    config = tomllib.loads((run / "config.toml").read_text())
    assert config["unconditional"] is True and config["loss"] == "rpgan"
    assert config["gen"] != "cgan"  # auto picked an unconditional architecture for the unlabelled view of the data
    inspected = cli("inspect", str(run), "--json")
    assert json.loads(inspected.out)["export"]["spec"]["num_classes"] == 0


def test_a_conditional_model_is_refused_with_unconditional(cli, tmp_path):
    result = cli("train", "--unconditional", "--gen", "cgan", "--max-steps", "1", "--out", str(tmp_path / "run"))
    assert result.code == 2
    assert "cgan" in result.err and "labelled" in result.err


@pytest.fixture
def tuned_recipe(monkeypatch):
    """An unconditional recipe with a part option and a training setting, to see what it may and may not fill."""
    import gantool.assembly
    from gantool.recipes import Recipe

    recipe = Recipe("test", gen="dcgan", loss="rpgan", options={"loss": {"r1": 0.25}, "gen": {"depth": 4}},
                    settings={"lr_g": 5e-4})
    monkeypatch.setattr(gantool.assembly, "recipe_for", lambda spec: recipe if not spec.num_classes else None)
    return recipe


TINY_UNCONDITIONAL = ["--unconditional", "--set", "data.image_size=8", "--set", "disc.depth=4", "--batch-size", "8",
                      "--max-steps", "1", "--quiet"]


def test_the_recipe_fills_only_what_was_not_given(cli, tmp_path, tuned_recipe):
    filled, kept = tmp_path / "filled", tmp_path / "kept"
    assert cli("train", *TINY_UNCONDITIONAL, "--out", str(filled)).code == 0
    config = tomllib.loads((filled / "config.toml").read_text())
    assert (config["loss"], config["lr_g"]) == ("rpgan", 5e-4)
    assert config["options"]["loss"]["r1"] == 0.25 and config["options"]["gen"]["depth"] == 4
    result = cli("train", *TINY_UNCONDITIONAL, "--loss", "bce", "--lr-g", "1e-3", "--set", "gen.depth=6", "--out",
                 str(kept))
    assert result.code == 0, result.err
    config = tomllib.loads((kept / "config.toml").read_text())
    assert (config["loss"], config["lr_g"], config["options"]["gen"]["depth"]) == ("bce", 1e-3, 6)
    assert "r1" not in config["options"]["loss"] or config["options"]["loss"]["r1"] == 0.0  # rpgan's was not applied


def test_the_python_api_keeps_the_settings_it_was_given(tmp_path, tuned_recipe):
    import gantool

    result = gantool.train(unconditional=True, loss="hinge", lr_g=2e-3, max_steps=1, batch_size=8,
                           options={"data": {"image_size": 8}, "disc": {"depth": 4}}, out=tmp_path / "run")
    config = tomllib.loads((result.run_dir / "config.toml").read_text())
    assert (config["loss"], config["lr_g"], config["options"]["gen"]["depth"]) == ("hinge", 2e-3, 4)


def test_a_rerun_from_config_toml_trains_what_the_recipe_chose(cli, tmp_path, tuned_recipe):
    first, again = tmp_path / "first", tmp_path / "again"
    assert cli("train", *TINY_UNCONDITIONAL, "--out", str(first)).code == 0
    assert cli("train", "--config", str(first / "config.toml"), "--quiet", "--out", str(again)).code == 0
    assert (first / "generator.safetensors").read_bytes() == (again / "generator.safetensors").read_bytes()


@pytest.mark.parametrize(("spec", "gen", "loss"), [
    ((1, 28, 28, 10), "cgan", None),  # labelled digits: the conditional default
    ((1, 28, 28, 0), "resnet", "rpgan"),  # where the unconditional recipe was measured
    ((3, 28, 28, 0), "dcgan", "rpgan"),  # Stacked MNIST
    ((3, 64, 64, 0), "dcgan", None),  # a colour folder: the resnet recipe collapsed there, dcgan + bce as before
])
def test_auto_picks_each_recipe_only_where_it_was_measured(spec, gen, loss):
    from gantool.interfaces import DataSpec
    from gantool.recipes import recipe_for

    recipe = recipe_for(DataSpec(*spec))
    assert (recipe.gen, recipe.loss) == (gen, loss)
