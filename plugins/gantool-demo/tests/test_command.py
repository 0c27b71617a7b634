"""The `demo` command as a plugin adds it: listed, light to import, and failing in one line on what a user gets
wrong."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from conftest import run_gantool
from gantool.testing import check_plugin, check_torch_free_import

from gantool_demo import plugin
from gantool_demo.provenance import provenance_markdown

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_list_plugins_shows_the_plugin_and_help_shows_the_command():
    result = run_gantool("list-plugins", "--json")
    assert result.returncode == 0, result.stderr
    found = {plugin["plugin"]: plugin for plugin in json.loads(result.stdout)}["demo"]
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    assert (found["package"], found["version"], found["status"]) == ("gantool-demo", declared, "ok")
    assert found["provides"] == ["command:demo"]
    assert metadata.version("gantool-demo") == declared
    help_text = run_gantool("demo", "--help").stdout
    assert "--port" in help_text and "127.0.0.1" in help_text


def test_hook_module_keeps_the_plugin_contract_and_imports_neither_torch_nor_gradio():
    check_plugin(plugin)  # adds its command beside gantool's own without replacing one
    check_torch_free_import("gantool_demo.plugin")
    code = "import sys, gantool_demo.plugin; print(sorted({'gradio', 'torch'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_unknown_run_is_one_line_exit_2(tmp_path):
    result = run_gantool("demo", str(tmp_path / "no-such-run"), "--port", "1")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no-such-run" in result.stderr and "Traceback" not in result.stderr


def test_unfinished_run_is_one_line_exit_2(tmp_path):
    (tmp_path / "config.toml").write_text('gen = "dcgan"\n')
    result = run_gantool("demo", str(tmp_path))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "has not finished" in result.stderr


def test_taken_port_is_one_line_exit_2(run):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_gantool("demo", str(run), "--port", str(port))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def test_provenance_shows_architecture_options_steps_and_evaluation():
    info = {
        "architecture": "builtins:cgan",
        "options": {"depth": 8, "latent_dim": 100},
        "spec": {"channels": 1, "height": 28, "width": 28, "num_classes": 10},
        "dataset": "mnist5k",
        "steps": 3,
        "training": {"loss": "bce", "batch_size": 16, "lr_g": 0.0012, "options": {"disc": {"depth": 4}}},
        "evaluation": {"step": 3, "metrics": {"frechet_distance": 123.456789}, "protocol": {}},
    }
    text = provenance_markdown(info)
    for expected in (
        "| architecture | builtins:cgan |",
        "| images | 1x28x28, 10 classes |",
        "| training steps | 3 |",
        "| depth | 8 |",
        "| loss | bce |",
        "| lr_g | 0.0012 |",
        "| disc.depth | 4 |",
        "Evaluation at step 3",
        "| frechet_distance | 123.5 |",
    ):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert "None recorded" in provenance_markdown(info | {"evaluation": None})


def test_provenance_shows_values_as_text_not_markup():
    from markdown_it import MarkdownIt

    hostile = '<img src=x onerror="alert(1)">[a](javascript:alert(2))`x`|\x1b[31m'
    info = {"architecture": hostile, "spec": {}, "options": {hostile: hostile},
            "training": {"dataset": hostile, "options": {"data": {"root": hostile}}},
            "evaluation": {"step": hostile, "metrics": {hostile: hostile}}}
    text = provenance_markdown(info)
    assert "<" not in text and "\x1b" not in text
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<img" not in html and "<a " not in html and "<code>" not in html
    assert html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;[a](javascript:alert(2))`x`|") == 8, html
