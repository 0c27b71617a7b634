"""Commands added by plugins: listed in `provides`, never replacing a built-in or another plugin's command."""

from __future__ import annotations

import json

import pytest

from gantool import hookimpl
from gantool.testing import check_plugin


class Commands:
    """A plugin that adds the named commands, each printing which plugin it came from."""

    def __init__(self, label: str, *names: str) -> None:
        self.label, self.names = label, names

    @hookimpl
    def register_commands(self, app):
        for name in self.names:
            app.command(name)(lambda label=self.label: print(f"from {label}"))


def listed(cli, plugins) -> tuple[dict[str, dict], str]:
    result = cli("list-plugins", "--json", extra_plugins=plugins)
    assert result.code == 0, result.err
    return {plugin["plugin"]: plugin for plugin in json.loads(result.out)}, result.err


def test_commands_are_listed_in_provides(cli):
    plugins, _ = listed(cli, [(Commands("hello", "hello"), "hello-plugin")])
    assert plugins["hello-plugin"]["provides"] == ["command:hello"]
    assert {"command:train", "command:generate", "command:list-plugins"} <= set(plugins["builtins"]["provides"])
    assert cli("hello", extra_plugins=[(Commands("hello", "hello"), "hello-plugin")]).out == "from hello\n"


def test_a_plugin_command_cannot_replace_a_built_in_one(cli):
    plugins, err = listed(cli, [(Commands("thief", "train", "other"), "thief")])
    assert plugins["thief"]["status"] == "error" and plugins["thief"]["provides"] == []
    assert "would replace gantool's own 'train'" in plugins["thief"]["error"]
    assert "'thief'" in err and "would replace gantool's own 'train'" in err
    help_text = cli("train", "--help", extra_plugins=[(Commands("thief", "train"), "thief")])
    assert help_text.code == 0 and "--batch-size" in help_text.out  # the built-in is kept
    assert cli("other", extra_plugins=[(Commands("thief", "train", "other"), "thief")]).code == 2  # none of its


def test_two_plugins_with_one_command_name_are_reported(cli):
    both = [(Commands("second", "hello"), "zeta"), (Commands("first", "hello"), "alpha")]
    plugins, err = listed(cli, both)
    assert plugins["alpha"]["status"] == "ok" and plugins["alpha"]["provides"] == ["command:hello"]
    assert plugins["zeta"]["status"] == "error"
    assert "'hello' is already added by plugin 'alpha'" in plugins["zeta"]["error"]
    assert "'zeta'" in err
    assert cli("hello", extra_plugins=both).out == "from first\n"


def test_check_plugin_accepts_a_plugin_that_only_adds_commands_and_refuses_a_clash():
    registry = check_plugin(Commands("hello", "hello"))
    assert registry.plugins["plugin-under-test"].provides == ["command:hello"]
    with pytest.raises(AssertionError, match="would replace gantool's own 'generate'"):
        check_plugin(Commands("thief", "generate"))
