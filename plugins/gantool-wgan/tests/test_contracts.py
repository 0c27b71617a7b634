"""The plugin's parts keep gantool's contracts, checked with gantool.testing as any plugin author would."""

import pytest
from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool.testing import check_loss, check_plugin, check_torch_free_import
from torch import nn

from gantool_wgan import plugin
from gantool_wgan.factories import wgan_critic, wgan_gp

TINY = {"wgan": {"depth": 4, "latent_dim": 8}}


def test_every_part_keeps_the_contracts():
    specs = [DataSpec(1, 28, 28), DataSpec(3, 64, 64), DataSpec(1, 8, 8, num_classes=10)]
    registry = check_plugin(plugin, specs=specs, options=TINY)
    assert registry.names("generator") == ["wgan"]
    assert registry.names("loss") == ["wgan-gp"]


@pytest.mark.parametrize("norm", ["layer", "instance", "none"])
def test_penalty_reaches_the_critic_weights_for_each_norm(norm):
    spec = DataSpec(1, 16, 16)
    check_loss(wgan_gp, discriminator=wgan_critic(spec, depth=4, norm=norm), spec=spec)


def test_critic_has_no_batch_norm():
    critic = wgan_critic(DataSpec(3, 64, 64), depth=4)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in critic.modules())


def test_unsupported_size_is_one_clear_error():
    with pytest.raises(GantoolError, match="wgan cannot build 48x48 images; it builds square sizes 8, 16, 28"):
        wgan_critic(DataSpec(1, 48, 48))


def test_loading_the_plugin_does_not_import_torch():
    check_torch_free_import("gantool_wgan.plugin")
