"""Sharding: N processes with batch B see as many images per epoch as one process with batch N x B, no overlap."""

import pytest
import torch

from gantool.interfaces import DatasetBundle, DataSpec
from gantool.training.batches import BatchSource


def numbered(size: int) -> DatasetBundle:
    """Tiny images whose label is their index, so every batch tells which images it holds."""
    return DatasetBundle(DataSpec(1, 2, 2), images=torch.zeros(size, 1, 2, 2, dtype=torch.uint8),
                         labels=torch.arange(size))


def epoch_ids(data: DatasetBundle, batch: int, world: int, rank: int, epoch: int) -> list[int]:
    source = BatchSource(data, batch, torch.device("cpu"), seed=7, rank=rank, world_size=world)
    ids = [i for _, labels in source.batches(epoch) for i in labels.tolist()]
    assert len(ids) == source.steps_per_epoch * batch
    return ids


@pytest.mark.parametrize("size", [103, 128, 5000])
def test_two_ranks_of_batch_b_see_as_many_images_as_one_rank_of_batch_2b(size):
    data = numbered(size)
    shards = [epoch_ids(data, 8, 2, rank, epoch=0) for rank in range(2)]
    alone = epoch_ids(data, 16, 1, 0, epoch=0)
    assert len(shards[0]) == len(shards[1])
    assert len(shards[0]) + len(shards[1]) == len(alone)
    assert not set(shards[0]) & set(shards[1]), "two ranks must never train on the same image in one epoch"


def test_each_epoch_reshuffles_every_shard():
    data = numbered(128)
    for rank in range(2):
        assert epoch_ids(data, 8, 2, rank, epoch=0) != epoch_ids(data, 8, 2, rank, epoch=1)


def test_steps_per_epoch_agree_across_ranks_so_no_rank_waits_for_another():
    data = numbered(101)
    steps = {BatchSource(data, 4, torch.device("cpu"), seed=0, rank=r, world_size=3).steps_per_epoch for r in range(3)}
    assert steps == {101 // 3 // 4}


def test_data_too_big_for_the_device_streams_the_same_batches(monkeypatch):
    import gantool.training.batches

    data = DatasetBundle(DataSpec(1, 2, 2), images=torch.randint(0, 256, (40, 1, 2, 2), dtype=torch.uint8),
                         labels=torch.arange(40))
    resident = BatchSource(data, 8, torch.device("cpu"), seed=3)
    monkeypatch.setattr(gantool.training.batches, "fits_on", lambda device, nbytes: False)
    streamed = BatchSource(data, 8, torch.device("cpu"), seed=3)
    assert resident.resident and not streamed.resident
    for (a, la), (b, lb) in zip(resident.batches(1), streamed.batches(1), strict=True):
        assert torch.equal(a, b) and torch.equal(la, lb)
