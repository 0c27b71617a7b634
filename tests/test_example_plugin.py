"""The example third-party plugin, once installed with pip, is listed with the version its source declares.

Skipped until `pip install ./plugins/gantool-wgan`; .ci/run installs it and runs this file again, together
with the plugin's own tests.
"""

import json
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import run_subprocess

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "gantool-wgan"


def test_installed_example_plugin_is_listed_with_its_version():
    try:
        metadata.version("gantool-wgan")
    except metadata.PackageNotFoundError:
        pytest.skip("gantool-wgan is not installed (pip install ./plugins/gantool-wgan)")
    declared = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]["version"]
    result = run_subprocess("list-plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["plugin"]: p for p in json.loads(result.stdout)}
    assert plugins["wgan"]["package"] == "gantool-wgan"
    assert plugins["wgan"]["version"] == declared, "the installed plugin is not the one in this checkout"
    assert plugins["wgan"]["status"] == "ok"
    assert {"loss:wgan-gp", "generator:wgan"} <= set(plugins["wgan"]["provides"])
    assert "loss:hinge" not in plugins["wgan"]["provides"]  # the built-in hinge, so --loss hinge stays unambiguous
