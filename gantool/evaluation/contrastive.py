"""A small CNN taught to describe images by the images alone: SimCLR's contrastive objective (NT-Xent).

Two augmented views of every image are pulled together and pushed away from the other images of the batch.
The views differ by a crop, a mirror image and a colour jitter, which keep what an image shows; blur and noise
are never used, so the features stay sensitive to them (they are what a poor generator adds). Every random draw
comes from a generator seeded by the settings, so one seed gives one network on a given machine.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

from gantool.evaluation.learned_settings import ContrastiveSettings

FINAL_SIDE = 8
"""Stride-2 stages halve the image until its side is at most this; the features pool what is left."""


class Encoder(nn.Module):
    """Stride-2 conv stages (from 2 x width channels, doubling) down to FINAL_SIDE, one 3x3 conv to 8 x width
    channels, averaged over space: the feature vector. No full-resolution layer: it would cost most of the time."""

    def __init__(self, channels: int, side: int, width: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        current, wider = channels, 2 * width
        while side > FINAL_SIDE:
            layers += [nn.Conv2d(current, wider, 4, stride=2, padding=1), nn.BatchNorm2d(wider), nn.ReLU()]
            current, wider, side = wider, min(2 * wider, 8 * width), side // 2
        layers += [nn.Conv2d(current, 8 * width, 3, padding=1), nn.BatchNorm2d(8 * width), nn.ReLU()]
        self.body = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images).mean(dim=(2, 3))


def projection_head(dim: int) -> nn.Module:
    """The MLP the loss sees; the features are taken before it, where augmentations have erased less."""
    return nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim // 2))


def augment(images: torch.Tensor, settings: ContrastiveSettings, generator: torch.Generator) -> torch.Tensor:
    """One random view of each image in [-1, 1]: a crop resized back, a mirror half the time, colour jitter."""
    count, channels = images.shape[:2]

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(count, generator=generator) * (high - low) + low

    scale = uniform(settings.smallest_crop, 1.0)
    mirror = torch.where(torch.rand(count, generator=generator) < 0.5, -1.0, 1.0)
    shift_x, shift_y = (uniform(-1.0, 1.0) * (1 - scale) for _ in range(2))
    theta = torch.zeros(count, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = scale * mirror, shift_x
    theta[:, 1, 1], theta[:, 1, 2] = scale, shift_y
    grid = functional.affine_grid(theta.to(images.device), list(images.shape), align_corners=False)
    views = functional.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
    views = views.add(1).div(2)  # [0, 1] for the colour changes
    strength = settings.jitter
    brightness, contrast, saturation = (uniform(1 - strength, 1 + strength).view(-1, 1, 1, 1).to(images.device)
                                        for _ in range(3))
    views = views * brightness
    views = (views - views.mean(dim=(1, 2, 3), keepdim=True)) * contrast + views.mean(dim=(1, 2, 3), keepdim=True)
    if channels == 3:
        grey = views.mean(dim=1, keepdim=True)
        views = (views - grey) * saturation + grey
    return views.clamp(0, 1).mul(2).sub(1)


def nt_xent(projected: torch.Tensor, temperature: float) -> torch.Tensor:
    """The normalised-temperature cross-entropy of 2N projections, where rows i and i + N are one image's views."""
    unit = functional.normalize(projected, dim=1)
    similarity = unit @ unit.T / temperature
    similarity.fill_diagonal_(float("-inf"))
    half = len(unit) // 2
    partner = torch.cat([torch.arange(half, 2 * half), torch.arange(half)]).to(unit.device)
    return functional.cross_entropy(similarity, partner)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels or floats in [-1, 1] as floats in [-1, 1]."""
    return images.float().div(127.5).sub(1.0) if images.dtype == torch.uint8 else images.float()


@dataclass
class Trained:
    """The encoder in eval mode, with the loss of each epoch and the seconds training took."""

    encoder: Encoder
    losses: list[float]
    seconds: float


def train_encoder(images: torch.Tensor, settings: ContrastiveSettings, device: torch.device, *,
                  show_progress: bool = True) -> Trained:
    """Train an encoder on `images` (N x C x H x W, uint8 or [-1, 1]) for settings.epochs epochs, with a bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from gantool.consoles import err_console

    started = time.perf_counter()
    generator = torch.Generator().manual_seed(settings.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        encoder = Encoder(images.shape[1], min(images.shape[2:]), settings.width)
        head = projection_head(settings.feature_dim)
    encoder.to(device).train()
    head.to(device).train()
    optimiser = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=settings.learning_rate)
    batch = min(settings.batch_size, len(images) - len(images) % 2)
    steps = len(images) // batch
    schedule = torch.optim.lr_scheduler.LambdaLR(  # cosine decay: the last epochs settle the features
        optimiser, lambda step: 0.5 * (1 + math.cos(math.pi * step / max(1, settings.epochs * steps))))
    losses = []
    columns = (TextColumn("learning features"), BarColumn(), MofNCompleteColumn(), TextColumn("epochs"),
               TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True, disable=not show_progress) as progress:
        task = progress.add_task("", total=settings.epochs, loss="-")
        for _ in range(settings.epochs):
            order = torch.randperm(len(images), generator=generator)
            total = torch.zeros((), device=device)
            for step in range(steps):
                chunk = to_unit(images[order[step * batch:(step + 1) * batch]]).to(device)
                views = torch.cat([augment(chunk, settings, generator), augment(chunk, settings, generator)])
                loss = nt_xent(head(encoder(views)), settings.temperature)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                schedule.step()
                total += loss.detach()
            losses.append(float(total) / steps)
            progress.update(task, advance=1, loss=f"{losses[-1]:.3f}")
    return Trained(encoder.eval(), losses, time.perf_counter() - started)
