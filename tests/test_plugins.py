"""Plugin discovery through entry points, in-process plugins, and name resolution."""

import json
import textwrap

import pytest

import gantool
from gantool import hookimpl
from gantool.errors import GantoolError
from gantool.registry import Registry, load_registry
from tests.conftest import run_subprocess


class InProcessPlugin:
    """A plugin object registered without packaging, as tests and embedding applications do."""

    @hookimpl
    def register_losses(self, register):
        def zero_loss():
            """A loss used only by the tests."""
            raise AssertionError("never built in these tests")

        register("test-zero", zero_loss)


def test_builtins_are_found_through_the_entry_point(cli):
    result = cli("list-plugins", "--json")
    assert result.code == 0
    plugins = {p["plugin"]: p for p in json.loads(result.out)}
    builtins = plugins["builtins"]
    assert builtins["package"] == "gantool"
    assert builtins["version"] == gantool.__version__
    assert builtins["status"] == "ok"
    for part in ("generator:dcgan", "discriminator:dcgan", "loss:bce", "dataset:mnist5k"):
        assert part in builtins["provides"]


def test_in_process_plugin_shows_up_in_list_plugins(cli):
    result = cli("list-plugins", "--json", extra_plugins=[(InProcessPlugin(), "test-plugin")])
    plugins = {p["plugin"]: p for p in json.loads(result.out)}
    assert plugins["test-plugin"]["provides"] == ["loss:test-zero"]
    table = cli("list-plugins", extra_plugins=[(InProcessPlugin(), "test-plugin")])
    assert "test-plugin" in table.out and "loss:test-zero" in table.out


def test_third_party_distribution_is_discovered(tmp_path):
    """A separately installed distribution with a `gantool` entry point is found, named and versioned."""
    package = tmp_path / "acme_gan"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent("""
        from gantool import hookimpl

        def acme_loss():
            raise NotImplementedError

        @hookimpl
        def register_losses(register):
            register("acme", acme_loss)
    """))
    dist = tmp_path / "acme_gan-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-gan\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text("[gantool]\nacme = acme_gan\n")
    result = run_subprocess("list-plugins", "--json", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    plugins = {p["plugin"]: p for p in json.loads(result.stdout)}
    assert plugins["acme"]["package"] == "acme-gan"
    assert plugins["acme"]["version"] == "1.2.3"
    assert plugins["acme"]["provides"] == ["loss:acme"]


def test_unknown_name_lists_known_ones_and_the_closest():
    registry = load_registry()
    with pytest.raises(GantoolError) as error:
        registry.get("generator", "dcgn")
    message = str(error.value)
    assert "'dcgn'" in message and "did you mean 'dcgan'" in message and "dcgan" in message.split("known")[1]


def test_same_name_from_two_plugins_needs_the_qualified_form():
    class Other:
        @hookimpl
        def register_losses(self, register):
            register("bce", lambda: "other bce")

    registry = load_registry([(Other(), "other")])
    with pytest.raises(GantoolError, match="gantool .*builtins:bce.* and .*other:bce"):
        registry.get("loss", "bce")
    assert registry.get("loss", "other:bce").factory() == "other bce"
    assert registry.get("loss", "builtins:bce").plugin.package == "gantool"


def test_component_names_must_be_lower_case_with_hyphens():
    class BadName:
        @hookimpl
        def register_losses(self, register):
            register("Bad_Name", lambda: None)

    registry = Registry()
    with pytest.warns(UserWarning, match="Bad_Name"):
        info = registry.add_plugin(BadName(), "bad-name")
    assert info.status == "error"
    assert registry.names("loss") == []
