"""An exported folder (`gantool export RUN DIR`): its layout, and the checks that it is whole when it is read.

model.safetensors is the run's generator export byte for byte (weights plus gantool's metadata); config.json
repeats what rebuilds it and records the model's sha256, so a missing, damaged or edited file is refused in one
line instead of producing wrong images. Torch-free.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from gantool.errors import GantoolError

FORMAT = "gantool-export-folder-1"
MODEL = "model.safetensors"
CONFIG = "config.json"
CARD = "README.md"
GRID = "samples.png"
APP = "app.py"
# The fields of config.json that must agree with model.safetensors' own metadata (config key, metadata key).
AGREE = (("architecture", "generator"), ("options", "options"), ("spec", "spec"), ("noise", "noise"))
MAX_HEADER = 100_000_000  # safetensors' own limit on its JSON header


def is_export_folder(folder: Path) -> bool:
    """A folder that `gantool export` wrote, or that is meant to be one (either of its two key files present)."""
    return folder.is_dir() and ((folder / MODEL).exists() or (folder / CONFIG).exists())


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks (inspect prints it; an exported folder's config.json records it)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_config(folder: Path) -> dict[str, Any]:
    """config.json of an exported folder, refusing a missing, unreadable or foreign one."""
    path = folder / CONFIG
    again = "export the run again with gantool export RUN DIR"
    if not path.is_file():
        raise GantoolError(f"{folder} has no {CONFIG}, so its model cannot be rebuilt; {again}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise GantoolError(f"{path} is not readable JSON ({exc}); {again}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise GantoolError(f"{path} is not a gantool export's config (format {FORMAT!r} expected); {again}")
    return config


def model_metadata(path: Path) -> dict[str, Any]:
    """gantool's metadata in a safetensors file, read from its header without loading any tensor."""
    try:
        with path.open("rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            if not 0 < size <= MAX_HEADER:
                raise ValueError("bad header size")
            header = json.loads(handle.read(size))
        return json.loads(header["__metadata__"]["gantool"])
    except (OSError, ValueError, KeyError, TypeError):
        raise GantoolError(
            f"{path} is not a safetensors file written by gantool; export the run again with gantool export RUN DIR"
        ) from None


def checked_model(folder: Path) -> Path:
    """The model file of an exported folder, once config.json and model.safetensors are present and agree."""
    config = read_config(folder)
    model = folder / MODEL
    again = "export the run again with gantool export RUN DIR"
    if not model.is_file():
        raise GantoolError(f"{folder} has no {MODEL}; {again}")
    expected = config.get("model", {}).get("sha256") if isinstance(config.get("model"), dict) else None
    if sha256_of(model) != expected:
        raise GantoolError(
            f"{model} does not match the sha256 recorded in {CONFIG}: one of them was changed or damaged; {again}"
        )
    state = model_metadata(model)
    for key, meta in AGREE:
        if config.get(key) != state.get(meta, "normal" if meta == "noise" else None):
            raise GantoolError(
                f"{folder / CONFIG} says {key} {config.get(key)!r} but {MODEL} was exported with "
                f"{state.get(meta)!r}: {CONFIG} was edited; {again}"
            )
    return model
