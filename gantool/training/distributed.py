"""Data-parallel training across the processes `torchrun` starts: one model replica per process.

The processes ("ranks") start from rank 0's weights, average the gradients of G and of D by hand
(one all-reduce just before each optimizer step, so losses that call D twice or add gradient
penalties need no wrapping), keep their own batch-norm running statistics between checkpoints and
average them at each checkpoint, and there prove that every replica still holds the same weights.
Outside torchrun everything here is a no-op on a one-process `Cluster`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from gantool.errors import GantoolError, ReplicaMismatchError, first_line
from gantool.training.launch import launched_by_torchrun

REPORT_ENV = "GANTOOL_REPLICA_REPORT"  # debugging: a folder where each rank writes its checkpoint checksums
SEED_STRIDE = 1_000_003  # rank r draws noise from seed + r x this, so ranks never share a stream


@dataclass(frozen=True)
class Cluster:
    """This process's place among the ranks; the default is a single process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes files and shows progress."""
        return self.rank == 0

    @property
    def comm_device(self) -> torch.device:
        """Where tensors must be for a collective: the local GPU under NCCL, else the CPU."""
        return torch.device("cuda", self.local_rank) if self.backend == "nccl" else torch.device("cpu")

    def local_device(self, device: torch.device) -> torch.device:
        """Each rank on one machine takes its own GPU, numbered by its local rank."""
        if not self.active or device.type != "cuda":
            return device
        if device.index is not None and device.index != self.local_rank:
            raise GantoolError(f"--device {device} names one GPU, but each of the {self.world_size} processes needs "
                               "its own; use --device cuda (or auto) and choose GPUs with CUDA_VISIBLE_DEVICES")
        return torch.device("cuda", self.local_rank)

    def seed(self, seed: int) -> int:
        """A seed for this rank's random draws (fake labels, noise): rank 0 keeps `seed` itself."""
        return seed + SEED_STRIDE * self.rank


@contextmanager
def process_group(device: torch.device) -> Iterator[Cluster]:
    """Join the ranks torchrun started (gloo on the CPU, NCCL on GPUs); a single process otherwise."""
    if not launched_by_torchrun() or int(os.environ["WORLD_SIZE"]) == 1:
        yield Cluster()
        return
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "nccl" if device.type == "cuda" else "gloo"
    if backend == "nccl":
        if local_rank >= torch.cuda.device_count():
            raise GantoolError(f"local rank {local_rank} has no GPU of its own ({torch.cuda.device_count()} visible); "
                               "start at most one process per GPU (--nproc-per-node)")
        torch.cuda.set_device(local_rank)
    try:
        dist.init_process_group(backend, rank=rank, world_size=world)
    except (RuntimeError, ValueError) as exc:
        raise GantoolError(f"rank {rank} could not join the {world} training processes ({first_line(exc)}); check the "
                           "--rdzv-endpoint host and port are reachable from every machine") from None
    cluster, finished = Cluster(rank, world, local_rank, backend), False
    try:
        yield cluster
        finished = True
    finally:
        if finished:
            wait_for_all(cluster)  # no rank leaves while another still writes or reads
        dist.destroy_process_group()


def wait_for_all(cluster: Cluster) -> None:
    """Every rank reaches this point before any goes on."""
    if cluster.active:
        dist.barrier(device_ids=[cluster.local_rank] if cluster.backend == "nccl" else None)


def broadcast_text(cluster: Cluster, text: str) -> str:
    """Rank 0's `text` on every rank (e.g. a run directory named after the clock)."""
    if not cluster.active:
        return text
    data = torch.tensor(list(text.encode("utf-8")), dtype=torch.uint8, device=cluster.comm_device)
    length = torch.tensor([len(data)], device=cluster.comm_device)
    dist.broadcast(length, 0)
    if not cluster.is_main:
        data = torch.empty(int(length.item()), dtype=torch.uint8, device=cluster.comm_device)
    dist.broadcast(data, 0)
    return bytes(data.cpu().tolist()).decode("utf-8")


def replicate(cluster: Cluster, modules: Iterable[nn.Module], optimizers: Iterable[torch.optim.Optimizer]) -> None:
    """Copy rank 0's weights and buffers to every rank, and average gradients before every optimizer step."""
    if not cluster.active:
        return
    with torch.no_grad():
        for module in modules:
            for tensor in [*module.parameters(), *module.buffers()]:
                _broadcast_in_place(cluster, tensor)
    for optimizer in optimizers:
        params = [p for group in optimizer.param_groups for p in group["params"]]
        optimizer.register_step_pre_hook(lambda _opt, _args, _kwargs, params=params: average_gradients(cluster, params))


def _broadcast_in_place(cluster: Cluster, tensor: torch.Tensor) -> None:
    if tensor.device == cluster.comm_device:
        dist.broadcast(tensor.data, 0)
        return
    moved = tensor.detach().to(cluster.comm_device)
    dist.broadcast(moved, 0)
    tensor.data.copy_(moved)


def average_gradients(cluster: Cluster, params: Iterable[nn.Parameter]) -> None:
    """Replace each gradient by its mean over the ranks: one all-reduce per dtype, no host sync on GPUs.

    A parameter that got no gradient on this rank counts as a zero gradient, so all ranks agree on
    which parameters the optimizer updates.
    """
    trainable = [p for p in params if p.requires_grad]
    for p in trainable:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for p in trainable:
        by_dtype.setdefault(p.grad.dtype, []).append(p.grad)
    for grads in by_dtype.values():
        _all_reduce_mean(cluster, grads)


def _all_reduce_mean(cluster: Cluster, tensors: list[torch.Tensor]) -> None:
    flat = torch.cat([t.reshape(-1) for t in tensors]).to(cluster.comm_device)
    dist.all_reduce(flat)
    flat.div_(cluster.world_size)
    offset = 0
    for tensor in tensors:
        count = tensor.numel()
        tensor.copy_(flat[offset:offset + count].view_as(tensor))
        offset += count


def average_buffers(cluster: Cluster, modules: Iterable[nn.Module]) -> None:
    """Average floating-point buffers (batch-norm running statistics) over the ranks, so all agree."""
    if not cluster.active:
        return
    with torch.no_grad():
        for module in modules:
            buffers = [b for b in module.buffers() if b.is_floating_point()]
            if buffers:
                _all_reduce_mean(cluster, buffers)


def reduce_meter(cluster: Cluster, totals: torch.Tensor, images: int) -> int:
    """Average the metric sums over the ranks in place; returns the images all ranks processed."""
    if not cluster.active:
        return images
    moved = totals.to(cluster.comm_device)
    count = torch.tensor([images], dtype=torch.float64, device=cluster.comm_device)
    dist.all_reduce(moved)
    dist.all_reduce(count)
    totals.copy_(moved.div_(cluster.world_size))
    return int(count.item())


def rank_key(name: str, rank: int) -> str:
    """Checkpoint key of a per-rank tensor: rank 0 keeps the plain name, so one-process runs read the same."""
    return name if rank == 0 else f"{name}.rank{rank}"


def gather_rank_states(cluster: Cluster, states: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Every rank's copy of each (RNG) state tensor, keyed by `rank_key`, so a resume restores all of them."""
    if not cluster.active:
        return dict(states)
    gathered: dict[str, torch.Tensor] = {}
    for name, state in states.items():
        local = state.to(cluster.comm_device)
        parts = [torch.empty_like(local) for _ in range(cluster.world_size)]
        dist.all_gather(parts, local)
        gathered |= {rank_key(name, rank): part.cpu() for rank, part in enumerate(parts)}
    return gathered


def checksums(tensors: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """One int64 per tensor: the wrapping sum of its raw bit patterns, so any changed bit shows (cheap, exact)."""
    sums = []
    for tensor in tensors.values():
        flat = tensor.detach().reshape(-1)
        if flat.is_floating_point():
            flat = flat.view({8: torch.int64, 4: torch.int32, 2: torch.int16, 1: torch.uint8}[flat.element_size()])
        sums.append(flat.to(torch.int64).sum() if flat.numel() else torch.zeros((), dtype=torch.int64,
                                                                               device=flat.device))
    return torch.stack(sums).cpu() if sums else torch.zeros(0, dtype=torch.int64)


def verify_replicas(cluster: Cluster, tensors: Mapping[str, torch.Tensor], step: int) -> None:
    """Compare all ranks' checksums of `tensors` (collective); any difference stops every rank loudly."""
    local = checksums(tensors)
    _write_report(cluster, tensors, local, step)
    if not cluster.active:
        return
    moved = local.to(cluster.comm_device)
    parts = [torch.empty_like(moved) for _ in range(cluster.world_size)]
    dist.all_gather(parts, moved)
    compare_checksums(list(tensors), torch.stack([p.cpu() for p in parts]), step)


def compare_checksums(names: list[str], table: torch.Tensor, step: int) -> None:
    """`table` holds one row of checksums per rank; raise naming the first tensor and rank that differ."""
    differs = (table != table[0]).any(dim=1).nonzero().flatten().tolist()
    if not differs:
        return
    rank = differs[0]
    column = int((table[rank] != table[0]).nonzero()[0])
    raise ReplicaMismatchError(
        f"at step {step} the weights of rank {rank} differ from rank 0 (first in {names[column]}); the processes "
        "no longer train the same model, so the run stops before saving. Check that every process runs the same "
        "gantool and plugin versions on the same kind of device, then resume from the last checkpoint (if any)")


def _write_report(cluster: Cluster, tensors: Mapping[str, torch.Tensor], local: torch.Tensor, step: int) -> None:
    folder = os.environ.get(REPORT_ENV)
    if not folder:
        return
    report = {"rank": cluster.rank, "world_size": cluster.world_size, "step": step,
              "checksums": dict(zip(tensors, local.tolist(), strict=True))}
    path = Path(folder) / f"rank{cluster.rank}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1), encoding="utf-8")
