"""Exports and the files commands read or write: weights of the wrong dtype and metadata outside its schema,
unreadable inputs and unwritable outputs each end in one line with exit code 2, never in a crash or silence."""

from __future__ import annotations

import json
import pickle

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file


def one_line(result) -> str:
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert result.code == 2 and len(lines) == 1 and "Traceback" not in result.err, result.err
    return lines[0]


def rewrite_export(source, target, tensor_dtype=None, **changes) -> str:
    """Copy an export with fields of its metadata changed, or its first weight stored as `tensor_dtype`;
    returns the name of that weight."""
    with safe_open(str(source), framework="pt") as handle:
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
        state = json.loads(handle.metadata()["gantool"])
    name = next(key for key, tensor in tensors.items() if tensor.is_floating_point())
    if tensor_dtype is not None:
        tensors[name] = tensors[name].to(tensor_dtype)
    save_file(tensors, str(target), metadata={"gantool": json.dumps(state | changes)})
    return name


@pytest.mark.parametrize("dtype", [torch.int8, torch.uint8, torch.bool, torch.int64, torch.float64,
                                   torch.complex64])
def test_weights_stored_as_another_dtype_are_refused(cli, trained_run, tmp_path, dtype):
    export = tmp_path / "generator.safetensors"
    name = rewrite_export(trained_run / "generator.safetensors", export, dtype)
    result = cli("generate", str(export), "--out", str(tmp_path / "out.png"))
    line = one_line(result)
    assert name in line and str(dtype) in line
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize(("field", "value"), [
    ("noise", "cauchy"), ("spec", {"channels": 1, "height": 28, "width": 28, "num_classes": -5}),
    ("spec", {"channels": 1, "height": 28, "width": 28, "num_classes": 10**30}),
    ("spec", {"channels": "1", "height": 28, "width": 28, "num_classes": 0}), ("ema", "yes"), ("step", -3),
])
def test_export_metadata_outside_its_schema_is_refused(cli, trained_run, tmp_path, field, value):
    export = tmp_path / "generator.safetensors"
    rewrite_export(trained_run / "generator.safetensors", export, **{field: value})
    result = cli("generate", str(export), "--out", str(tmp_path / "out.png"))
    assert field in one_line(result)
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("protocol", [0, 1])
def test_an_old_protocol_pickle_named_safetensors_is_called_a_pickle(cli, tmp_path, protocol):
    fake = tmp_path / "generator.safetensors"
    fake.write_bytes(pickle.dumps({"weight": [0.5, 1.5], "name": "g"}, protocol=protocol))
    line = one_line(cli("generate", str(fake), "--out", str(tmp_path / "out.png")))
    assert "pickle" in line and "truncated" not in line


def test_inspect_refuses_what_is_not_a_run_or_a_file(cli):
    assert "/dev/null" in one_line(cli("inspect", "/dev/null"))


@pytest.mark.parametrize("command", [["generate", "--out", "/proc/nope/x.png"],
                                     ["generate", "--format", "npy", "--out", "/proc/nope/x.npy"],
                                     ["interpolate", "--out", "/proc/nope/x.png"],
                                     ["interpolate", "--out", "/proc/nope/x.gif"]])
def test_an_unwritable_output_is_one_line_without_resume_advice(cli, trained_run, command):
    line = one_line(cli(command[0], str(trained_run), *command[1:]))
    assert "/proc/nope" in line and "--out" in line and "--resume" not in line


@pytest.mark.parametrize("config", ["/dev/zero", "FOLDER"])
def test_a_config_that_is_a_device_or_a_folder_is_one_line(cli, tmp_path, config):
    config = str(tmp_path) if config == "FOLDER" else config
    assert config in one_line(cli("train", "--config", config, "--out", str(tmp_path / "run")))
    assert not (tmp_path / "run").exists()
