"""The small digit classifier gantool ships for measuring 1-channel 28x28 samples offline.

It is trained by tools/train_digit_classifier.py on the training part of mnist5k; its weights ship
inside the package as safetensors, and their SHA-256 is checked before every load so a result always
names the exact extractor that produced it.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import torch
from torch import nn

from gantool.errors import GantoolError

WEIGHTS_FILE = "digit_classifier.safetensors"
WEIGHTS_SHA256 = "87a88a30ed266852703c566b954e488401371871a56fde921e99828751ab1d01"
EXTRACTOR_NAME = "gantool-digit-cnn-v1"
FEATURE_DIM = 128


class DigitClassifier(nn.Module):
    """Three conv blocks and a 128-unit layer (the feature space), then 10 logits; input in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),  # 14x14
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 7x7
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),  # 3x3
        )
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(64 * 3 * 3, FEATURE_DIM), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, 10))

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, 128): the space the Fréchet distance is measured in."""
        return self.features(self.convs(images))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(images))


def weights_bytes() -> bytes:
    """The shipped weights file, refused unless its SHA-256 matches the recorded one."""
    payload = resources.files("gantool.evaluation").joinpath(WEIGHTS_FILE).read_bytes()
    digest = hashlib.sha256(payload).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise GantoolError(f"the shipped {WEIGHTS_FILE} has SHA-256 {digest[:16]}…, not the recorded "
                           f"{WEIGHTS_SHA256[:16]}…; reinstall gantool (the file is damaged or was replaced)")
    return payload


def load_digit_classifier(device: torch.device | str = "cpu") -> DigitClassifier:
    """The shipped classifier in eval mode, after checking its hash."""
    from safetensors.torch import load

    model = DigitClassifier()
    model.load_state_dict(load(weights_bytes()))
    return model.to(device).eval()


class DigitExtractor:
    """Features and class probabilities of the shipped classifier, for images in [-1, 1] (N, 1, 28, 28)."""

    name = EXTRACTOR_NAME
    sha256 = WEIGHTS_SHA256
    image_size = (1, 28, 28)

    def __init__(self, device: torch.device) -> None:
        self.model = load_digit_classifier(device)
        self.device = device

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.model.embed(images.to(self.device).float())
        return features.double().cpu(), self.model.head(features).softmax(1).double().cpu()
