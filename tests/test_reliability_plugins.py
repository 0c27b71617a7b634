"""Promise 6: broken plugins are reported (name, package, error) and skipped; strict mode and an allow-list."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.conftest import run_subprocess

PLUGINS = {
    # distribution name, module, entry-point name, module source
    "acme-gan": ("acme_gan", "acme", """
        from gantool import hookimpl

        def acme_loss():
            raise NotImplementedError

        def exploding_generator(spec, *, latent_dim: int = 8):
            raise ZeroDivisionError("the plugin's own bug")

        @hookimpl
        def register_losses(register):
            register("acme", acme_loss)

        @hookimpl
        def register_generators(register):
            register("exploding", exploding_generator)
    """),
    "broken-import": ("broken_import", "broken", "raise RuntimeError('boom at import')\n"),
    "quits-on-import": ("quits_on_import", "quitter", "import sys\nsys.exit('bye')\n"),
    "broken-hook": ("broken_hook", "badhook", """
        from gantool import hookimpl

        @hookimpl
        def register_losses(register):
            raise KeyError("no such thing")
    """),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder on PYTHONPATH holding four installed distributions: one good, three broken."""
    root = tmp_path_factory.mktemp("site")
    for dist, (module, entry, source) in PLUGINS.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        info = root / f"{module}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[gantool]\n{entry} = {module}\n")
    return root


def plugins_listed(result) -> dict[str, dict]:
    return {plugin["plugin"]: plugin for plugin in json.loads(result.stdout)}


def test_broken_plugins_are_reported_and_the_rest_works(site):
    result = run_subprocess("list-plugins", "--json", env={"PYTHONPATH": str(site)})
    assert result.returncode == 0, result.stderr
    listed = plugins_listed(result)
    assert listed["builtins"]["status"] == "ok" and listed["acme"]["status"] == "ok"
    for name, package, error in (("broken", "broken-import", "RuntimeError: boom at import"),
                                 ("quitter", "quits-on-import", "SystemExit: bye"),
                                 ("badhook", "broken-hook", "register_losses failed: KeyError")):
        assert listed[name]["status"] == "error" and listed[name]["package"] == package
        assert error in listed[name]["error"] and listed[name]["provides"] == []
        warning = next(line for line in result.stderr.splitlines() if f"'{name}'" in line)
        assert warning.startswith("warning:") and package in warning and error in warning
    table = run_subprocess("list-plugins", env={"PYTHONPATH": str(site)})
    assert table.returncode == 0 and "boom at import" in table.stdout


def test_strict_mode_makes_a_broken_plugin_fatal_in_one_line(site):
    result = run_subprocess("list-plugins", env={"PYTHONPATH": str(site), "GANTOOL_STRICT_PLUGINS": "1"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "GANTOOL_STRICT_PLUGINS" in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize(("allowed", "expected"), [
    ("acme_gan", {"builtins", "acme"}),  # names compare as pip does
    ("", {"builtins"}),
    ("acme-gan,broken-hook", {"builtins", "acme", "badhook"}),
])
def test_load_plugins_allows_only_the_named_distributions(site, allowed, expected):
    result = run_subprocess("list-plugins", "--json", env={"PYTHONPATH": str(site), "GANTOOL_LOAD_PLUGINS": allowed})
    assert result.returncode == 0, result.stderr
    assert set(plugins_listed(result)) == expected
    assert ("boom at import" in result.stderr) is False


def test_a_plugin_factory_that_crashes_is_one_line_naming_its_package(site, tmp_path):
    result = run_subprocess("train", "--gen", "exploding", "--disc", "dcgan", "--out", str(tmp_path / "run"),
                            env={"PYTHONPATH": str(site), "GANTOOL_LOAD_PLUGINS": "acme-gan"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "acme-gan" in lines[0] and "ZeroDivisionError" in lines[0] and "exploding" in lines[0]
    assert not (tmp_path / "run").exists()
