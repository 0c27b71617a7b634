"""Promise 5: loading runs no code; hostile or damaged files fail in one clear line with exit code 2."""

from __future__ import annotations

import json
import pickle
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from gantool.storage.rundir import latest_checkpoint


class CreatesMarker:
    """Unpickling this object opens (creates) the marker file: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def one_line(result) -> str:
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "pwned"


@pytest.fixture
def evil_bytes(marker):
    return pickle.dumps({"state_dict": CreatesMarker(str(marker))})


def _evil_run(tmp_path, trained_run, evil_bytes, where: str):
    """A copy of a real run with one file replaced by the malicious pickle."""
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    if where == "export":
        (run / "generator.safetensors").write_bytes(evil_bytes)
    else:
        latest_checkpoint(run).write_bytes(evil_bytes)
    return run


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".pkl"])
@pytest.mark.parametrize("command", [["generate"], ["evaluate"], ["train", "--resume"]])
def test_pickle_files_are_refused_without_being_opened(cli, tmp_path, marker, evil_bytes, suffix, command):
    evil = tmp_path / f"model{suffix}"
    evil.write_bytes(evil_bytes)
    extra = ["--out", str(tmp_path / "out.png")] if command == ["generate"] else []
    result = cli(*command, str(evil), *extra)
    assert result.code == 2
    line = one_line(result)
    assert "pickle" in line and "safetensors" in line
    assert not marker.exists()


@pytest.mark.parametrize(("command", "where"), [(["generate"], "export"), (["evaluate"], "export"),
                                                (["train", "--resume"], "checkpoint")])
def test_a_pickle_renamed_to_safetensors_is_refused(cli, tmp_path, trained_run, marker, evil_bytes, command, where):
    run = _evil_run(tmp_path, trained_run, evil_bytes, where)
    extra = {"generate": ["--out", str(tmp_path / "x.png")], "evaluate": [], "train": ["--max-steps", "9"]}
    result = cli(*command, str(run), *extra[command[0]])
    assert result.code == 2
    assert "pickle" in one_line(result)
    assert not marker.exists()


def _rewrite_export(source, target, *, state_changes=None, tensor_change=None):
    tensors = load_file(str(source))
    from safetensors import safe_open

    with safe_open(str(source), framework="pt") as handle:
        state = json.loads(handle.metadata()["gantool"])
    state.update(state_changes or {})
    if tensor_change:
        tensor_change(tensors)
    save_file(tensors, str(target), metadata={"gantool": json.dumps(state)})
    return target


def _nan_first(tensors):
    name = next(name for name, tensor in tensors.items() if tensor.is_floating_point())
    tensors[name] = torch.full_like(tensors[name], float("nan"))


def _drop_first(tensors):
    tensors.pop(next(name for name in tensors if name.endswith(".weight")))


@pytest.mark.parametrize(("change", "expected"), [
    ({"state_changes": {"generator": "builtins:no-such-arch"}}, "no-such-arch"),
    ({"state_changes": {"options": {"latent_dim": 100, "depth": 16}}}, "does not fit"),
    ({"tensor_change": _drop_first}, "does not fit"),
    ({"tensor_change": _nan_first}, "non-finite"),
    ({"state_changes": {"spec": None}}, "metadata"),
])
def test_wrong_or_damaged_exports_fail_in_one_line(cli, tmp_path, trained_run, change, expected):
    export = _rewrite_export(trained_run / "generator.safetensors", tmp_path / "g.safetensors", **change)
    result = cli("generate", str(export), "--out", str(tmp_path / "x.png"))
    assert result.code == 2
    assert expected in one_line(result)
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("damage", ["truncate", "header", "empty"])
def test_corrupt_safetensors_fail_in_one_line(cli, tmp_path, trained_run, damage):
    data = (trained_run / "generator.safetensors").read_bytes()
    broken = {"truncate": data[: len(data) // 2], "header": b"\xff" * 8 + data[8:], "empty": b""}[damage]
    export = tmp_path / "g.safetensors"
    export.write_bytes(broken)
    result = cli("generate", str(export), "--out", str(tmp_path / "x.png"))
    assert result.code == 2
    assert "safetensors" in one_line(result)


def test_resume_from_a_checkpoint_with_non_finite_weights_is_refused(cli, tmp_path, trained_run):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    checkpoint = latest_checkpoint(run)
    _rewrite_export(checkpoint, checkpoint, tensor_change=_nan_first)
    result = cli("train", "--resume", str(run), "--max-steps", "9")
    assert result.code == 2
    assert "non-finite" in one_line(result)
