"""Installed with pip, the plugin is found by gantool, listed with its version, and trains by name."""

import json
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest

TINY = ["--set", "gen.depth=8", "--set", "disc.depth=8", "--batch-size", "16", "--max-steps", "3", "--quiet"]


def gantool(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gantool", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture(scope="module", autouse=True)
def installed():
    try:
        return metadata.version("gantool-wgan")
    except metadata.PackageNotFoundError:
        pytest.fail("gantool-wgan is not installed: run `pip install ./plugins/gantool-wgan` first")


def test_list_plugins_shows_the_plugin_with_its_version(installed):
    result = gantool("list-plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["plugin"]: p for p in json.loads(result.stdout)}
    wgan = plugins["wgan"]
    assert (wgan["package"], wgan["version"], wgan["status"]) == ("gantool-wgan", installed, "ok")
    assert wgan["provides"] == ["generator:wgan", "discriminator:wgan", "loss:wgan-gp"]


def test_describe_shows_the_penalty_weight():
    result = gantool("describe", "wgan-gp")
    assert result.returncode == 0, result.stderr
    assert "loss.weight" in result.stdout and "10.0" in result.stdout


def test_wgan_gp_trains_by_name_and_its_export_samples(tmp_path, installed):
    run = tmp_path / "run"
    result = gantool("train", "--gen", "wgan", "--loss", "wgan-gp", "--out", str(run), *TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((run / "config.toml").read_text())
    assert config["plugins"]["loss"] == {"name": "wgan:wgan-gp", "package": "gantool-wgan", "version": installed}
    assert config["plugins"]["disc"]["name"] == "wgan:wgan"
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert lines and all(line["d_loss"] == line["d_loss"] for line in lines)  # logged and not NaN
    result = gantool("generate", str(run), "--num", "4", "--out", str(tmp_path / "grid.png"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_critic_trains_with_the_builtin_hinge_loss(tmp_path):
    result = gantool("train", "--gen", "wgan", "--loss", "hinge", "--out", str(tmp_path / "run"), *TINY)
    assert result.returncode == 0, result.stderr
