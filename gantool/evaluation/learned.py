"""Features learned from the real images themselves, for data no shipped extractor fits (--extractor learned).

The encoder of contrastive.py is trained once per set of images and settings, then cached under the user's cache
folder as safetensors with a JSON note beside it, keyed by a fingerprint of the images' pixels and the settings:
the same images give the same feature space again without training, and changed images give a new one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from gantool.errors import GantoolError
from gantool.evaluation.contrastive import Encoder, to_unit, train_encoder
from gantool.evaluation.learned_settings import ContrastiveSettings

EXTRACTOR_NAME = "gantool-learned-contrastive-v1"
CACHE_ENV = "GANTOOL_CACHE"
CACHE_ADVICE = f"Free space or point {CACHE_ENV} at a writable folder, then run the command again"


def cache_folder() -> Path:
    """Where learned extractors are kept: $GANTOOL_CACHE, else $XDG_CACHE_HOME/gantool, else ~/.cache/gantool."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]) / "learned-features"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gantool" / "learned-features"


def fingerprint(images: torch.Tensor, settings: ContrastiveSettings) -> str:
    """SHA-256 of the method, the settings, and the images' shape, type and pixels: the cache key."""
    digest = hashlib.sha256()
    described = {"method": EXTRACTOR_NAME, "settings": asdict(settings), "shape": list(images.shape),
                 "dtype": str(images.dtype)}
    digest.update(json.dumps(described, sort_keys=True).encode())
    digest.update(images.contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()


@torch.no_grad()
def feature_scale(encoder: Encoder, images: torch.Tensor, device: torch.device) -> dict[str, torch.Tensor]:
    """Mean and standard deviation of every feature over the training images: each feature is reported in units of
    its own spread (a constant one keeps unit scale), so distances read alike whatever the network's raw scale."""
    features = torch.cat([encoder(to_unit(chunk).to(device)).double().cpu() for chunk in images.split(256)])
    spread = features.std(dim=0)
    return {"scale.mean": features.mean(dim=0), "scale.std": torch.where(spread > 1e-6, spread, 1.0)}


class LearnedExtractor:
    """The cached encoder's standardised features of images in [-1, 1], with its name, SHA-256 and what it was
    learned from."""

    name = EXTRACTOR_NAME

    def __init__(self, encoder: Encoder, scale: dict[str, torch.Tensor], weights_sha256: str, note: dict[str, Any],
                 device: torch.device) -> None:
        self.model, self.sha256, self.device = encoder.to(device).eval(), weights_sha256, device
        self.mean, self.std = scale["scale.mean"], scale["scale.std"]
        self.image_size = tuple(note["image_size"])
        self.fingerprint = note["fingerprint"]
        self.protocol = {"feature_space": "learned", "fingerprint": self.fingerprint,
                         "extractor_trained_on": note["trained_on"], "extractor_settings": note["settings"]}

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, None]:
        """(features, no class probabilities) for a batch of images."""
        if tuple(images.shape[1:]) != self.image_size:
            raise GantoolError(f"the learned features were made for {'x'.join(map(str, self.image_size))} images, "
                               f"not {'x'.join(map(str, images.shape[1:]))}; evaluate cannot measure these")
        return (self.model(images.to(self.device).float()).double().cpu() - self.mean) / self.std, None


Cached = tuple[Encoder, dict[str, torch.Tensor], str, dict[str, Any]]


def _load(weights: Path, note_path: Path, key: str, shape: tuple[int, ...], settings: ContrastiveSettings
          ) -> Cached | None:
    """The cached encoder if both files are there, whole, and made for this key; None otherwise (train again)."""
    from safetensors.torch import load

    if not (weights.is_file() and note_path.is_file()):
        return None
    try:
        note = json.loads(note_path.read_text())
        payload = weights.read_bytes()
        sha256 = hashlib.sha256(payload).hexdigest()
        if note.get("fingerprint") != key or note.get("weights_sha256") != sha256:
            return None
        tensors = load(payload)
        scale = {name: tensors.pop(name) for name in ("scale.mean", "scale.std")}
        encoder = Encoder(shape[0], min(shape[1:]), settings.width)
        encoder.load_state_dict(tensors)
    except (OSError, ValueError, RuntimeError, KeyError):  # damaged or foreign files: rebuilt, never trusted
        return None
    return encoder, scale, sha256, note


def learned_extractor(images: torch.Tensor, description: str, settings: ContrastiveSettings, device: torch.device,
                      *, show_progress: bool = True) -> LearnedExtractor:
    """The extractor learned from `images` (N x C x H x W) with `settings`: from the cache, or trained and cached."""
    from safetensors.torch import save

    from gantool.storage.checkpoint import atomic_write_bytes

    if len(images) < 2:
        raise GantoolError(f"learned features need at least 2 real images to train on, {description} has "
                           f"{len(images)}; give a larger dataset")
    key = fingerprint(images, settings)
    folder = cache_folder()
    weights, note_path = folder / f"{key[:32]}.safetensors", folder / f"{key[:32]}.json"
    shape = tuple(images.shape[1:])
    cached = _load(weights, note_path, key, shape, settings)
    if cached is None:
        trained = train_encoder(images, settings, device, show_progress=show_progress)
        scale = feature_scale(trained.encoder, images, device)
        payload = save({**{name: tensor.detach().cpu().contiguous() for name, tensor in
                           trained.encoder.state_dict().items()}, **scale})
        sha256 = hashlib.sha256(payload).hexdigest()
        note = {"method": EXTRACTOR_NAME, "fingerprint": key, "weights_sha256": sha256, "image_size": list(shape),
                "trained_on": f"{len(images):,} real images of {description}", "settings": asdict(settings),
                "epoch_losses": trained.losses, "seconds": round(trained.seconds, 1), "torch": torch.__version__}
        atomic_write_bytes(weights, payload, advice=CACHE_ADVICE)
        atomic_write_bytes(note_path, json.dumps(note, indent=2).encode(), advice=CACHE_ADVICE)
        cached = trained.encoder, scale, sha256, note
    encoder, scale, sha256, note = cached
    return LearnedExtractor(encoder, scale, sha256, note, device)

