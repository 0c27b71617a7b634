"""`gantool export RUN DIR`: a folder to share that loads, generates and describes exactly what the run does, and
that is refused in one line when a file in it is missing, damaged or edited."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

import gantool

FILES = {"model.safetensors", "config.json", "README.md", "samples.png", "app.py"}


@pytest.fixture(scope="module")
def exported(trained_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports") / "tiny-dcgan"
    from gantool.registry import load_registry
    from gantool.storage.sharing import export_folder

    return export_folder(load_registry(), trained_run, folder)


def test_export_writes_the_hub_layout(trained_run, cli, tmp_path):
    folder = tmp_path / "shared"
    result = cli("export", str(trained_run), str(folder))
    assert result.code == 0, result.err
    assert {path.name for path in folder.iterdir()} == FILES
    config = json.loads((folder / "config.json").read_text())
    assert config["architecture"] == "builtins:dcgan" and config["spec"]["channels"] == 1
    assert config["noise"] == "normal" and config["training"]["batch_size"] == 16 and config["steps"] == 3
    card = (folder / "README.md").read_text()
    assert "![samples](samples.png)" in card and 'gantool.load("shared")' in card and "hf upload" in card
    assert "launch(" in (folder / "app.py").read_text()


def test_export_round_trips(trained_run, exported, cli, tmp_path):
    run, folder = gantool.load(trained_run), gantool.load(exported)
    assert torch.equal(folder.sample(8, seed=5), run.sample(8, seed=5))
    assert torch.equal(folder.interpolate(1, 2, 4), run.interpolate(1, 2, 4))
    assert {k: v for k, v in folder.info.items() if k != "source"} == {
        k: v for k, v in run.info.items() if k != "source"
    }
    for source, out in ((trained_run, tmp_path / "run.npy"), (exported, tmp_path / "folder.npy")):
        assert cli("generate", str(source), "--num", "4", "--format", "npy", "--out", str(out)).code == 0
    assert np.array_equal(np.load(tmp_path / "run.npy"), np.load(tmp_path / "folder.npy"))


def test_the_cards_plain_pytorch_code_runs(exported, monkeypatch):
    card = (exported / "README.md").read_text()
    plain = [block for block in re.findall(r"```python\n(.*?)```", card, re.S) if "load_state_dict" in block]
    assert len(plain) == 1
    monkeypatch.chdir(exported.parent)
    namespace: dict = {}
    exec(plain[0], namespace)  # the card's own example: the plugin's factory, config.json and the weights
    images = namespace["images"]
    assert images.shape == (16, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    expected = gantool.load(exported).generate(torch.zeros(1, 100))
    assert torch.allclose(namespace["generator"](torch.zeros(1, 100), None), expected, atol=1e-6)


def damage_model(folder):
    data = bytearray((folder / "model.safetensors").read_bytes())
    data[-4] ^= 0xFF
    (folder / "model.safetensors").write_bytes(bytes(data))


def edit_config(folder):
    config = json.loads((folder / "config.json").read_text())
    config["options"]["depth"] = 16
    (folder / "config.json").write_text(json.dumps(config))


DAMAGE = {
    "model missing": (lambda folder: (folder / "model.safetensors").unlink(), "has no model.safetensors"),
    "config missing": (lambda folder: (folder / "config.json").unlink(), "has no config.json"),
    "model changed": (damage_model, "does not match the sha256"),
    "config edited": (edit_config, "config.json was edited"),
    "config not json": (lambda folder: (folder / "config.json").write_text("{"), "is not readable JSON"),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_export_is_one_line_exit_2(exported, damage, cli, tmp_path):
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in exported.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    change, message = DAMAGE[damage]
    change(folder)
    result = cli("generate", str(folder), "--out", str(tmp_path / "out.png"))
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert not (tmp_path / "out.png").exists()
    with pytest.raises(gantool.GantoolError, match=message):
        gantool.load(folder)


def test_export_never_writes_over_a_folder_in_use(trained_run, cli, tmp_path):
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    result = cli("export", str(trained_run), str(folder))
    assert result.code == 2 and "is not empty" in result.err
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]
    assert [path.name for path in tmp_path.iterdir()] == ["taken"]  # no temporary folder left behind


def test_evaluate_and_inspect_take_the_folder_as_they_take_the_run(trained_run, exported, cli):
    run, folder = (cli("evaluate", str(source), "--num", "100", "--json") for source in (trained_run, exported))
    assert run.code == 0 and folder.code == 0, folder.err
    assert json.loads(folder.out) | {"source": ""} == json.loads(run.out) | {"source": ""}
    run, folder = (json.loads(cli("inspect", str(source), "--json").out) for source in (trained_run, exported))
    assert folder["export"] == run["export"] and folder["config"] == run["config"]
