"""`gantool export`: write a trained generator as a folder a model hub takes, with its card, samples and demo.

The folder is assembled under a temporary name beside its destination and renamed into place at the end, so an
interrupted export leaves nothing that looks whole.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gantool.errors import GantoolError
from gantool.registry import Registry
from gantool.storage.export_folder import APP, CARD, CONFIG, FORMAT, GRID, MODEL, sha256_of

GRID_PER_CLASS = 8
GRID_COUNT = 64


def export_folder(registry: Registry, source: Path, folder: Path) -> Path:
    """Export the generator of `source` (a finished run, its export file, or an exported folder) into `folder`."""
    from gantool.images import grid_labels, save_grid
    from gantool.storage.checkpoint import atomic_write_text
    from gantool.storage.loading import load
    from gantool.storage.markdown import CONTROL
    from gantool.storage.model_card import app_text, model_card
    from gantool.storage.rundir import finished_export

    if CONTROL.search(folder.name):  # the card quotes the name in its snippets; a line break or escape would not copy
        raise GantoolError(f"the export folder's name {folder.name!r} holds control characters (a line break, a "
                           "terminal escape); choose a name without them")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise GantoolError(f"{folder} already exists and is not empty; choose a new folder for the export")
    model = finished_export(source)
    loaded = load(source)
    config = record(registry, loaded.info, loaded.latent_dim, bool(loaded.num_classes))
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    except OSError as exc:
        raise GantoolError(
            f"cannot write to {folder.parent}: {exc.strerror or exc}; choose a writable folder"
        ) from None
    try:
        shutil.copyfile(model, work / MODEL)
        config["model"]["sha256"] = sha256_of(work / MODEL)
        atomic_write_text(work / CONFIG, json.dumps(config, indent=2) + "\n")
        labels = grid_labels(loaded.num_classes, GRID_PER_CLASS) if loaded.num_classes else None
        images = loaded.sample(GRID_COUNT if labels is None else len(labels), seed=0, labels=labels)
        save_grid(images, work / GRID, nrow=GRID_PER_CLASS)
        atomic_write_text(work / CARD, model_card(config, folder.name))
        atomic_write_text(work / APP, app_text())
        readable(work)
        if folder.exists():
            folder.rmdir()  # empty, checked above
        work.rename(folder)
    except OSError as exc:
        raise GantoolError(
            f"cannot write the export to {folder}: {exc.strerror or exc}; nothing was exported"
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


def readable(work: Path) -> None:
    """The permissions a folder and files made normally get (temporary ones are private to their owner)."""
    umask = os.umask(0)
    os.umask(umask)
    work.chmod(0o777 & ~umask)
    for path in work.iterdir():
        path.chmod(0o666 & ~umask)


def record(registry: Registry, info: dict[str, Any], latent_dim: int, conditional: bool) -> dict[str, Any]:
    """config.json: the provenance record, plus how to rebuild the model without gantool's loader."""
    component = registry.get("generator", info["architecture"])
    factory = component.factory
    provenance = {key: value for key, value in info.items() if key != "source"}
    model = {
        "file": MODEL,
        "sha256": None,
        "latent_dim": latent_dim,
        "conditional": conditional,
        "factory": f"{factory.__module__}:{factory.__qualname__}",
    }
    return json.loads(json.dumps({"format": FORMAT, **provenance, "model": model}, default=str))
