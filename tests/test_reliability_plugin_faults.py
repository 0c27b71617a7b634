"""A plugin cannot take the tool down: a third-party entry point named like the built-ins, a distribution
without a name, KeyboardInterrupt at import, a falsy GANTOOL_STRICT_PLUGINS, and a part that crashes during
training each end in a warning or one line that names the plugin, never in a broken CLI or a traceback."""

from __future__ import annotations

import json
import textwrap

from tests.conftest import TINY, run_subprocess

CRASHING_LOSS = """
    from gantool import hookimpl


    class Loss:
        def discriminator_loss(self, real_logits, fake_logits):
            raise ArithmeticError("the loss plugin's own bug")

        def generator_loss(self, fake_logits):
            return fake_logits.mean()


    @hookimpl
    def register_losses(register):
        register("crashing", Loss)
"""

CRASHING_DISCRIMINATOR = """
    from torch import nn

    from gantool import hookimpl


    class Critic(nn.Module):
        def __init__(self, spec, *, depth: int = 8):
            super().__init__()
            self.conv = nn.Conv2d(spec.channels, depth, 3)

        def forward(self, images, labels=None):
            raise ValueError("the critic plugin's own bug")


    @hookimpl
    def register_discriminators(register):
        register("crashing", Critic)
"""


def install(site, module: str, source: str, *, name: str | None, entry: str) -> None:
    """A distribution in `site` (on PYTHONPATH) with one gantool entry point; `name` None leaves out its Name."""
    info = site / f"{module}-0.1.dist-info"
    info.mkdir(parents=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    (info / "METADATA").write_text("Metadata-Version: 2.1\n" + (f"Name: {name}\n" if name else "") + "Version: 0.1\n")
    (info / "entry_points.txt").write_text(f"[gantool]\n{entry} = {module}\n")


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("warning:")]


def test_a_third_party_entry_point_named_builtins_is_skipped_not_fatal(tmp_path):
    install(tmp_path, "impostor", "x = 1\n", name="impostor", entry="builtins")
    result = run_subprocess("list-plugins", "--json", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    listed = {plugin["plugin"]: plugin for plugin in json.loads(result.stdout)}
    assert listed["builtins"]["package"] == "gantool" and listed["builtins"]["status"] == "ok"
    assert "impostor" in result.stderr and "Traceback" not in result.stderr
    assert run_subprocess("--help", env={"PYTHONPATH": str(tmp_path)}).returncode == 0


def test_a_distribution_without_a_name_does_not_break_the_allow_list(tmp_path):
    install(tmp_path, "nameless", "x = 1\n", name=None, entry="nameless")
    result = run_subprocess("list-plugins", "--json", env={"PYTHONPATH": str(tmp_path), "GANTOOL_LOAD_PLUGINS": "x"})
    assert result.returncode == 0, result.stderr
    assert {plugin["plugin"] for plugin in json.loads(result.stdout)} == {"builtins"}


def test_keyboard_interrupt_at_a_plugins_import_is_one_line_naming_it(tmp_path):
    install(tmp_path, "interrupts", "raise KeyboardInterrupt\n", name="interrupts-gan", entry="interrupts")
    result = run_subprocess("list-plugins", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 130 and "Traceback" not in result.stderr
    (line,) = errors(result.stderr)
    assert "interrupts-gan" in line and "GANTOOL_LOAD_PLUGINS" in line


def test_strict_plugins_false_means_off_and_a_garbled_value_is_refused(tmp_path):
    install(tmp_path, "broken", "raise RuntimeError('boom')\n", name="broken-gan", entry="broken")
    off = run_subprocess("list-plugins", env={"PYTHONPATH": str(tmp_path), "GANTOOL_STRICT_PLUGINS": "false"})
    assert off.returncode == 0 and "broken-gan" in off.stderr, off.stderr
    garbled = run_subprocess("list-plugins", env={"PYTHONPATH": str(tmp_path), "GANTOOL_STRICT_PLUGINS": "maybe"})
    assert garbled.returncode == 2 and "GANTOOL_STRICT_PLUGINS" in errors(garbled.stderr)[0]
    assert len(errors(garbled.stderr)) == 1


def test_a_plugin_loss_that_crashes_during_training_names_its_package(tmp_path):
    install(tmp_path / "site", "crashing_loss", CRASHING_LOSS, name="crashing-loss", entry="crashing")
    result = run_subprocess("train", "--loss", "crashing", "--out", str(tmp_path / "run"), *TINY,
                            env={"PYTHONPATH": str(tmp_path / "site")})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (line,) = errors(result.stderr)
    assert "crashing-loss" in line and "authors of crashing-loss" in line and "ArithmeticError" in line
    assert "GANTOOL_DEBUG" not in line


def test_a_plugin_network_that_crashes_on_its_first_batch_names_its_package_in_either_layout(tmp_path):
    """G and D run a two-image batch before training (the shape check, the layout check): a plugin's own bug there
    is named like a crash during training, not reported as gantool's."""
    install(tmp_path / "site", "crashing_critic", CRASHING_DISCRIMINATOR, name="crashing-critic", entry="crashing")
    for layout in ((), ("--channels-last",)):
        result = run_subprocess("train", "--disc", "crashing", "--out", str(tmp_path / f"run{len(layout)}"), *TINY,
                                *layout, env={"PYTHONPATH": str(tmp_path / "site")})
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        (line,) = errors(result.stderr)
        assert "crashing-critic" in line and "ValueError" in line and "channels-last" not in line, line
