"""Training batches for one epoch at a time, reproducible from (seed, epoch) alone.

Each epoch's order is a permutation drawn from a generator seeded with the run's seed and the epoch
number, so resuming needs only the epoch and the position in it, and every rank of a distributed run
can take its own shard (every `world_size`-th index) of the same order. Data held in memory as uint8
is indexed directly on the device (decoded once), or, when it would crowd a GPU, indexed in host
memory and copied one batch at a time; other datasets stream through a DataLoader. With `replacement`,
each epoch's indices are drawn at random with replacement instead (from the same seed), so a batch may be
larger than the data set.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, Subset

from gantool.errors import GantoolError
from gantool.images import from_uint8
from gantool.interfaces import DatasetBundle

GPU_DATA_SHARE = 0.25  # in-memory data may fill this share of a GPU's free memory; the rest is for training


def fits_on(device: torch.device, nbytes: int) -> bool:
    """Whether `nbytes` of data can live on `device` for the whole run (always on the CPU)."""
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes <= GPU_DATA_SHARE * free


class BatchSource:
    """Batches of (images in [-1, 1] on `device`, int64 labels) for a rank's shard of each epoch."""

    def __init__(self, data: DatasetBundle, batch_size: int, device: torch.device, seed: int, *,
                 rank: int = 0, world_size: int = 1, replacement: bool = False) -> None:
        self.data, self.batch_size, self.device, self.seed = data, batch_size, device, seed
        self.rank, self.world_size, self.replacement = rank, world_size, replacement
        self.size = len(data)
        self.steps_per_epoch = (self.size // world_size) // batch_size
        if replacement:
            self.steps_per_epoch = max(1, self.steps_per_epoch)
        if self.steps_per_epoch == 0:
            raise GantoolError(f"batch size {batch_size} x {world_size} process(es) is larger than the dataset "
                               f"({self.size} images); use a smaller --batch-size, or draw with --replacement")
        self.images = self.labels = None
        self.resident = True
        if data.images is not None:
            labels = data.labels if data.labels is not None else torch.zeros(self.size, dtype=torch.long)
            self.resident = fits_on(device, data.images.nbytes)
            home = device if self.resident else torch.device("cpu")
            self.images, self.labels = data.images.to(home), labels.to(home)

    def order(self, epoch: int) -> torch.Tensor:
        """This rank's indices for `epoch`, truncated to whole batches."""
        generator = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) % 2**64)  # any seed fits
        if self.replacement:
            drawn = self.steps_per_epoch * self.batch_size * self.world_size
            return torch.randint(self.size, (drawn,), generator=generator)[self.rank::self.world_size]
        shard = torch.randperm(self.size, generator=generator)[self.rank::self.world_size]
        return shard[: self.steps_per_epoch * self.batch_size]

    def batches(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield the batches of `epoch` from batch number `start` on."""
        indices = self.order(epoch)[start * self.batch_size:]
        if self.images is not None:
            indices = indices.to(self.images.device)
            for begin in range(0, len(indices), self.batch_size):
                index = indices[begin:begin + self.batch_size]
                images, labels = self.images[index], self.labels[index]
                if not self.resident:  # too big for the GPU: copy this batch over, without waiting for it
                    pin = self.device.type == "cuda"
                    images = (images.pin_memory() if pin else images).to(self.device, non_blocking=True)
                    labels = (labels.pin_memory() if pin else labels).to(self.device, non_blocking=True)
                yield from_uint8(images), labels
            return
        assert self.data.dataset is not None
        loader = DataLoader(Subset(self.data.dataset, indices.tolist()), batch_size=self.batch_size,
                            shuffle=False, drop_last=True,
                            pin_memory=self.device.type == "cuda")
        for images, labels in loader:
            yield images.to(self.device, non_blocking=True), torch.as_tensor(labels).to(self.device, non_blocking=True)
