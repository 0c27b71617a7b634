"""Text from users, files and plugins is printed as written: a Rich markup tag such as `[/]` in a path, a
metadata string or an error never crashes a command, and terminal control codes never reach the terminal."""

from __future__ import annotations

import json
import shutil
import textwrap

from safetensors import safe_open
from safetensors.torch import save_file

from gantool.errors import FILES_LEFT_OUT
from tests.conftest import TINY, run_subprocess

TAG = "mk[/]x[/b]"
ESCAPE = "\x1b[2J"
LOUD = [arg for arg in TINY if arg != "--quiet"]


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def rewrite_metadata(source, target, **changes) -> None:
    """Copy an export, changing fields of its gantool metadata."""
    with safe_open(str(source), framework="pt") as handle:
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
        state = json.loads(handle.metadata()["gantool"])
    save_file(tensors, str(target), metadata={"gantool": json.dumps(state | changes)})


def test_a_run_directory_named_with_markup_trains_and_is_printed_as_written(cli, tmp_path):
    out = tmp_path / TAG
    result = cli("train", "--out", str(out), *LOUD)
    assert result.code == 0, result.err
    assert f"{out}/generator.safetensors" in "".join(result.err.split())  # the line may be wrapped
    assert (out / "generator.safetensors").is_file()


def test_markup_and_control_codes_in_export_metadata_are_shown_as_text(cli, trained_run, tmp_path):
    export = tmp_path / "generator.safetensors"
    rewrite_metadata(trained_run / "generator.safetensors", export, dataset=f"digits {TAG}{ESCAPE}")
    result = cli("inspect", str(export))
    assert result.code == 0, result.err
    assert f"digits {TAG}" in result.out and "\x1b" not in result.out


def test_evaluating_an_export_under_a_markup_path_prints_the_path(cli, trained_run, tmp_path):
    folder = tmp_path / TAG
    folder.mkdir(parents=True)
    shutil.copy(trained_run / "generator.safetensors", folder / "generator.safetensors")
    result = cli("evaluate", str(folder / "generator.safetensors"), "--num", "10")
    assert result.code == 0, result.err
    assert str(folder) in "".join(result.out.split())


def test_a_set_value_holding_markup_is_echoed_as_written(cli, tmp_path):
    from PIL import Image

    images = tmp_path / TAG
    images.mkdir(parents=True)
    for index in range(16):
        Image.new("L", (8, 8), color=index * 16).save(images / f"{index}.png")
    result = cli("train", "--dataset", "image-folder", "--set", f"data.root={images}", "--set", "data.image_size=8",
                 "--out", str(tmp_path / "run"), *LOUD)
    assert result.code == 0, result.err
    assert str(images) in "".join(result.err.split())


def test_a_plugin_whose_import_error_holds_markup_is_listed_and_its_crash_is_one_line(tmp_path):
    (tmp_path / "marked.py").write_text(textwrap.dedent(f"""
        raise RuntimeError("bad {TAG} plugin{ESCAPE}")
    """))
    (tmp_path / "crashing.py").write_text(textwrap.dedent(f"""
        from gantool import hookimpl

        def loss():
            raise ValueError("loss {TAG} failed{ESCAPE}")

        @hookimpl
        def register_losses(register):
            register("crashing", loss)
    """))
    for module in ("marked", "crashing"):
        info = tmp_path / f"{module}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[gantool]\n{module} = {module}\n")
    env = {"PYTHONPATH": str(tmp_path)}
    listed = run_subprocess("list-plugins", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr and "\x1b" not in listed.stdout + listed.stderr
    assert f"bad{TAG}" in "".join(listed.stdout.split()) and f"bad {TAG} plugin" in listed.stderr
    crashed = run_subprocess("train", "--loss", "crashing", "--out", str(tmp_path / "run"), *TINY, env=env)
    assert crashed.returncode in (1, 2)
    line = one_error_line("\n".join(line for line in crashed.stderr.splitlines() if not line.startswith("warning:")))
    assert f"loss {TAG} failed" in line and "\x1b" not in line


def test_check_data_lists_a_file_named_with_escapes_and_brackets_harmlessly(cli, tmp_path):
    from PIL import Image

    for index in range(2):
        Image.new("L", (8, 8)).save(tmp_path / f"good{index}.png")
    (tmp_path / f"bad[red]{ESCAPE}.png").write_bytes(b"")
    result = cli("check-data", "--dataset", "image-folder", "--set", f"data.root={tmp_path}")
    assert result.code == FILES_LEFT_OUT, result.err
    assert "bad[red].png" in result.out and "\x1b" not in result.out


def test_the_internal_error_line_shows_markup_in_the_message_as_written(cli):
    from gantool import hookimpl

    class Crashes:
        @hookimpl
        def register_commands(self, app):
            @app.command("boom")
            def boom() -> None:
                raise RuntimeError(f"bad {TAG}{ESCAPE}")

    result = cli("boom", extra_plugins=[(Crashes(), "crashes")])
    assert result.code == 1
    assert f"internal error: RuntimeError: bad {TAG}" in " ".join(result.err.split()) and "\x1b" not in result.err
