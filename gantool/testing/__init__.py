"""Contract checks a plugin author calls from pytest: each builds a part and fails with a clear message.

    from gantool.interfaces import DataSpec
    from gantool.testing import check_plugin
    from my_plugin import plugin

    def test_my_plugin_keeps_the_contracts():
        check_plugin(plugin, specs=[DataSpec(1, 28, 28), DataSpec(3, 64, 64)])

Each check raises AssertionError naming the part and the broken rule, so pytest shows what to fix.
One module per part kind; every check is imported from here, the documented path. This package imports
torch; import it from tests, never from a plugin's hook module.
"""

from gantool.testing.augmentations import check_augmentation
from gantool.testing.common import DEFAULT_SPECS, check_options
from gantool.testing.datasets import check_dataset
from gantool.testing.discriminators import check_architecture, check_discriminator
from gantool.testing.generators import check_generator
from gantool.testing.losses import check_loss
from gantool.testing.plugins import BUILTIN_PLUGIN, add_commands, check_plugin, check_torch_free_import
from gantool.testing.trackers import check_tracker

__all__ = [
    "BUILTIN_PLUGIN", "DEFAULT_SPECS", "add_commands", "check_architecture", "check_augmentation", "check_dataset",
    "check_discriminator", "check_generator", "check_loss", "check_options", "check_plugin",
    "check_torch_free_import", "check_tracker",
]
