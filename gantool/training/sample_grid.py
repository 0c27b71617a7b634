"""The fixed-noise sample grid a run draws every --sample-every steps: the same noise each time, so the grids
show how G changes; a conditional G gets one row per class, every row from the same noise."""

from __future__ import annotations

from pathlib import Path

import torch

from gantool.images import grid_labels, save_grid
from gantool.training.noise import draw_noise

SAMPLE_COUNT = 64  # images in an unconditional sample grid, unless --sample-count says otherwise
CLASS_ROW = 8  # images in each class row of a conditional one


class FixedSamples:
    """The grid's noise (`z`), its labels (None for an unconditional G) and its row length (None: square)."""

    def __init__(self, noise: str, latent_dim: int, num_classes: int, count: int | None, seed: int,
                 device: torch.device) -> None:
        fixed = torch.Generator().manual_seed(seed)
        if num_classes:  # rows differ by label alone
            self.row: int | None = count or CLASS_ROW
            self.labels: torch.Tensor | None = grid_labels(num_classes, self.row, device)
            self.z = draw_noise(noise, self.row, latent_dim, generator=fixed, device=device).repeat(num_classes, 1)
        else:
            self.row, self.labels = None, None
            self.z = draw_noise(noise, count or SAMPLE_COUNT, latent_dim, generator=fixed, device=device)

    def draw(self, generator: torch.nn.Module) -> torch.Tensor:
        """The grid's images from `generator`, in eval mode (batch norm's running statistics), then back to train."""
        generator.eval()
        images = generator(self.z, self.labels)
        generator.train()
        return images

    def save(self, images: torch.Tensor, path: Path) -> Path:
        return save_grid(images, path, nrow=self.row)
