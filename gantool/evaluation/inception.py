"""Inception-v3 pool features (torchvision's model) for data the digit classifier does not fit.

gantool never downloads: the weights come from a safetensors file the user gives, or from
torch's hub cache folder. Pickle-based .pth files are refused, since loading them can run code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from gantool.errors import GantoolError
from gantool.storage.checkpoint import refuse_pickle

EXTRACTOR_NAME = "torchvision-inception_v3-pool3"
HUB_PATTERN = "inception_v3*.safetensors"
INPUT_SIDE = 299
CONVERT = ("python -c \"import torchvision; from safetensors.torch import save_file; save_file(torchvision.models."
           "inception_v3(weights='IMAGENET1K_V1').state_dict(), 'inception_v3.safetensors')\"")


def hub_folder() -> Path:
    """Where torch keeps downloaded weights; gantool looks there for inception_v3*.safetensors."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def hub_weights() -> list[Path]:
    """Inception-v3 safetensors files in torch's hub cache, in name order (none unless the user put them there)."""
    return sorted(hub_folder().glob(HUB_PATTERN))


def find_weights(path: Path | None) -> Path:
    """The weights file to use: the one given, else one in the hub cache; a clear error otherwise."""
    if path is not None:
        refuse_pickle(path)
        if path.suffix != ".safetensors":
            raise GantoolError(f"--inception-weights {path} must be a .safetensors file; convert it with: {CONVERT}")
        if not path.is_file():
            raise GantoolError(f"--inception-weights {path} does not exist; make it on a machine with network "
                               f"access with: {CONVERT}")
        return path
    found = hub_weights()
    if not found:
        raise GantoolError(
            "Inception-v3 features need its weights, which gantool never downloads: make them on a machine with "
            f"network access with {CONVERT} and pass --inception-weights inception_v3.safetensors (or copy the file "
            f"into {hub_folder()}), or measure in features learned from the real images with --extractor learned"
        )
    return found[0]


class InceptionExtractor:
    """2048-d pool features of images in [-1, 1], resized to 299x299 (grey images repeated to RGB)."""

    name = EXTRACTOR_NAME

    def __init__(self, weights: Path, device: torch.device) -> None:
        from safetensors.torch import load
        from torchvision.models import Inception3

        payload = weights.read_bytes()
        self.sha256 = hashlib.sha256(payload).hexdigest()
        # transform_input=False: torchvision's ImageNet weights expect inputs in [-1, 1], as ours are.
        model = Inception3(aux_logits=True, transform_input=False, init_weights=False)
        try:
            model.load_state_dict(load(payload))
        except Exception as exc:
            first = str(exc).strip().splitlines()[0]
            raise GantoolError(f"{weights} does not hold torchvision inception_v3 weights ({first}); "
                               f"make the file with: {CONVERT}") from None
        model.fc = torch.nn.Identity()
        self.model = model.to(device).eval()
        self.device = device
        self.image_size = (3, INPUT_SIDE, INPUT_SIDE)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, None]:
        """(features, no class probabilities) for a batch of images."""
        images = images.to(self.device).float()
        if images.shape[1] not in (1, 3):
            raise GantoolError(f"Inception-v3 takes grey or RGB images, not {images.shape[1]} channels; "
                               "evaluate cannot measure this generator")
        if images.shape[1] == 1:
            images = images.repeat(1, 3, 1, 1)
        resized = torch.nn.functional.interpolate(images, size=(INPUT_SIDE, INPUT_SIDE), mode="bilinear",
                                                  align_corners=False)
        return self.model(resized).double().cpu(), None
