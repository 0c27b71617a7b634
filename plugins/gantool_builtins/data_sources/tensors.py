"""In-memory uint8 image tensors: resizing, a torch Dataset view of them, and the bundle that holds them."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from gantool.images import from_uint8
from gantool.interfaces import DataReport, DatasetBundle, DataSpec, EvaluationParts


def resize_uint8(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize a uint8 batch (N, C, H, W) to size x size with antialiasing, in chunks to bound memory."""
    if images.shape[-2:] == (size, size):
        return images
    chunks = []
    for chunk in images.split(1024):
        resized = F.interpolate(chunk.float(), size=(size, size), mode="bilinear", antialias=True)
        chunks.append(resized.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(chunks)


class TensorImages(Dataset):
    """(image in [-1, 1], label) pairs from uint8 images and int64 labels held in memory."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return from_uint8(self.images[index]), int(self.labels[index])


def in_memory_bundle(images: torch.Tensor, labels: torch.Tensor, num_classes: int, description: str,
                     report: DataReport | None = None,
                     evaluation_parts: EvaluationParts | None = None) -> DatasetBundle:
    """A bundle of uint8 images (N, C, S, S) and int64 labels held in memory, its spec read off the tensor."""
    channels, height, width = images.shape[1:]
    spec = DataSpec(channels=channels, height=height, width=width, num_classes=num_classes)
    return DatasetBundle(spec, TensorImages(images, labels), images, labels, description, report, evaluation_parts)
