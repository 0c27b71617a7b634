"""gantool.testing split into one module per part kind: every name it offered stays importable from the documented
path, and the loss check covers both forms of the loss contract (fake logits alone, or with the real logits)."""

from __future__ import annotations

import importlib
import re

import pytest
import torch
import torch.nn.functional as F

from gantool import hookimpl
from gantool.testing import check_loss, check_plugin

# Every public name `gantool.testing` offered as one module (issue 22 split it); plugin tests import these.
PUBLIC_NAMES = (
    "BUILTIN_PLUGIN", "DEFAULT_SPECS", "add_commands", "check_architecture", "check_augmentation", "check_dataset",
    "check_discriminator", "check_generator", "check_loss", "check_options", "check_plugin",
    "check_torch_free_import",
)


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_every_public_name_imports_from_gantool_testing(name):
    testing = importlib.import_module("gantool.testing")
    assert name in testing.__all__
    assert getattr(testing, name) is not None


class RelativisticLoss:
    """RpGAN-shaped: each fake is judged against the real of its pair."""

    needs_real_logits = True

    def discriminator_loss(self, real, fake):
        return {"loss": F.softplus(fake - real).mean()}

    def generator_loss(self, fake, real):
        return F.softplus(real - fake).mean()


class OldStyleLoss:
    def discriminator_loss(self, real, fake):
        return {"loss": F.softplus(-real).mean() + F.softplus(fake).mean()}

    def generator_loss(self, fake):
        return F.softplus(-fake).mean()


class RealBlindRelativisticLoss(RelativisticLoss):
    def generator_loss(self, fake, real):
        return F.softplus(-fake).mean()


class UndeclaredRelativisticLoss(RelativisticLoss):
    needs_real_logits = False


class DeclaredButOneArgumentLoss(OldStyleLoss):
    needs_real_logits = True


class _LossPlugin:
    @hookimpl
    def register_losses(self, register):
        register("test-relativistic", RelativisticLoss)
        register("test-old-style", OldStyleLoss)


def test_both_loss_forms_pass_the_checks():
    assert check_loss(RelativisticLoss).needs_real_logits
    check_loss(OldStyleLoss)
    registry = check_plugin(_LossPlugin())
    assert set(registry.names("loss")) == {"test-relativistic", "test-old-style"}


def test_the_relativistic_form_is_called_with_real_logits_that_matter():
    seen = []

    class Recording(RelativisticLoss):
        def generator_loss(self, fake, real):
            seen.append(real.detach().clone())
            return super().generator_loss(fake, real)

    check_loss(Recording)
    assert seen and all(r.shape == (8,) and bool(r.abs().sum() > 0) for r in seen)
    assert torch.equal(seen[0], seen[-1])  # the direction check moves the fakes and holds the reals


@pytest.mark.parametrize(("loss", "message"), [
    (RealBlindRelativisticLoss, "declares needs_real_logits = True but its generator_loss(fake_logits, real_logits) "
                                "does not depend on the real logits"),
    (UndeclaredRelativisticLoss, "needs `needs_real_logits = True` on the loss"),
    (DeclaredButOneArgumentLoss, "a loss declaring needs_real_logits = True is called with both"),
])
def test_a_loss_that_breaks_its_form_is_caught(loss, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_loss(loss)
