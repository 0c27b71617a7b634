"""What a training checkpoint holds, packed from a training loop and unpacked into one: weights, optimizer and
schedule state, every random stream, and the counters that let a resumed run equal an uninterrupted one.
It reads the loop through the `Checkpointed` protocol, so it needs no Trainer (and trainer.py imports it).

The files themselves (safetensors + JSON, atomic) are runs/checkpoint.py's; the naming is runs/rundir.py's.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gantool import __version__
from gantool.errors import GantoolError, GantoolWarning, first_line
from gantool.storage.checkpoint import FORMAT, flatten_state_dict, load_tensors, save_tensors, unflatten_state_dict
from gantool.storage.rundir import checkpoint_path, prune_checkpoints, write_latest_pointer
from gantool.training import checkpoint_checks as checks
from gantool.training.distributed import average_buffers, gather_rank_states, rank_key, verify_replicas
from gantool.training.health import diverged, nonfinite_names
from gantool.training.rngstate import capture_rng, restore_rng

if TYPE_CHECKING:
    import torch

    from gantool.config import TrainConfig
    from gantool.interfaces import DataSpec
    from gantool.storage.rundir import RunDir
    from gantool.training.distributed import Cluster
    from gantool.training.ema import EMA
    from gantool.training.stopping import Patience

STATEFUL = ("opt_g", "opt_d", "sched_g", "sched_d")  # attributes with state_dict/load_state_dict


class Checkpointed(Protocol):
    """What a checkpoint is packed from and restored into: the loop's models, optimizers, schedules, random
    streams, counters and settings (gantool's Trainer is one)."""

    G: torch.nn.Module
    D: torch.nn.Module
    ema: EMA | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    sched_g: torch.optim.lr_scheduler.LRScheduler
    sched_d: torch.optim.lr_scheduler.LRScheduler
    noise: torch.Generator
    augment: Any
    patience: Patience | None
    cluster: Cluster
    config: TrainConfig
    plugins: dict[str, Any]
    spec: DataSpec
    run: RunDir
    step: int
    epoch: int
    position: int
    steps_per_epoch: int
    last_checkpoint: Path | None


def pack(trainer: Checkpointed) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The trainer's state as named tensors and a JSON-able record."""
    tensors = {f"g.{k}": v for k, v in trainer.G.state_dict().items()}
    tensors |= {f"d.{k}": v for k, v in trainer.D.state_dict().items()}
    if trainer.ema is not None:
        tensors |= {f"ema.{k}": v for k, v in trainer.ema.model.state_dict().items()}
    skeletons = {}
    for name in STATEFUL:
        flat, skeletons[name] = flatten_state_dict(name, getattr(trainer, name).state_dict())
        tensors |= flat
    tensors |= gather_rank_states(trainer.cluster, {**capture_rng(), "rng.noise": trainer.noise.get_state()})
    state = {
        "format": FORMAT, "gantool": __version__, "step": trainer.step, "epoch": trainer.epoch,
        "position": trainer.position, **skeletons, "config": trainer.config.to_toml_dict(),
        "plugins": trainer.plugins, "world_size": trainer.cluster.world_size, "spec": trainer.spec.to_dict(),
        "patience": trainer.patience.state() if trainer.patience is not None else None,
        "ema_updates": trainer.ema.updates if trainer.ema is not None else None,
        "augment": trainer.augment.state() if hasattr(trainer.augment, "state") else None,
    }
    return tensors, state


def restore(trainer: Checkpointed, path: Path) -> None:
    """Load a checkpoint into the trainer, so training continues exactly where it stopped. Everything in it is
    checked here, before the first step: a damaged or hostile checkpoint fails in one line, not mid-run."""
    tensors, state = load_tensors(path)
    if state.get("format") != FORMAT:
        raise GantoolError(f"{path} is not a gantool training checkpoint (format {state.get('format')!r})")
    cluster = trainer.cluster
    saved_world = state.get("world_size", 1)
    if saved_world != cluster.world_size:
        raise GantoolError(f"{path} was written by {saved_world} training process(es), this run has "
                           f"{cluster.world_size}; resume with the same process count (--nproc or "
                           "torchrun's --nnodes x --nproc-per-node), which keeps the global batch")
    step, epoch, position = checks.counters(path, state)
    fresh = {name: getattr(trainer, name).state_dict() for name in STATEFUL}
    fresh_groups = {name: [dict(group) for group in getattr(trainer, name).param_groups] for name in ("opt_g", "opt_d")}
    try:
        trainer.G.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("g.")})
        trainer.D.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("d.")})
        if trainer.ema is not None:
            trainer.ema.model.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")})
        for name in STATEFUL:
            getattr(trainer, name).load_state_dict(unflatten_state_dict(state[name], tensors))
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise GantoolError(f"{path} does not fit this run's models ({first_line(exc)}); resume with the same "
                           "--gen/--disc and options it was trained with") from None
    for name in ("opt_g", "opt_d"):
        checks.check_adam(path, name, getattr(trainer, name), fresh_groups[name])
        in_parameter_layouts(getattr(trainer, name))
    for name in ("sched_g", "sched_d"):
        checks.check_settings(path, name, fresh[name], getattr(trainer, name).state_dict())
    try:
        restore_rng(lambda name: tensors.get(rank_key(name, cluster.rank)))
        trainer.noise.set_state(tensors[rank_key("rng.noise", cluster.rank)])
    except (RuntimeError, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise checks.damaged(path, "random state", first_line(exc)) from None
    try:
        if trainer.patience is not None and state.get("patience"):
            trainer.patience.load(state["patience"])
        if trainer.ema is not None:  # checkpoints from before the warm-up existed: treat it as done
            updates = state.get("ema_updates")
            trainer.ema.updates = int(updates) if updates is not None else 10**9
        if hasattr(trainer.augment, "load_state") and state.get("augment") is not None:
            trainer.augment.load_state(state["augment"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise checks.damaged(path, "patience, EMA or augmentation state", first_line(exc)) from None
    trainer.step, trainer.epoch, trainer.position = step, epoch, position
    if position >= trainer.steps_per_epoch:
        skip_to_next_epoch(trainer, path)
    trainer.last_checkpoint = path


def in_parameter_layouts(optimizer: torch.optim.Optimizer) -> None:
    """Give each restored state tensor (stored contiguous) its parameter's memory layout: fused Adam reads state
    and parameter element by element in memory order, so a channels-last weight with contiguous moments would be
    updated with another element's moments."""
    import torch

    for group in optimizer.param_groups:
        for param in group["params"]:
            state = optimizer.state.get(param, {})
            for key, value in state.items():
                if isinstance(value, torch.Tensor) and value.shape == param.shape and value.stride() != param.stride():
                    state[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)


def skip_to_next_epoch(trainer: Checkpointed, path: Path) -> None:
    """A checkpoint that stopped at or past the end of an epoch of this data (the data has shrunk since, or
    the position is forged): end that epoch as training would have, and go on with the next, saying so.
    Continuing is what keeps the run's weights usable; refusing would leave only a new run."""
    if trainer.cluster.is_main:
        warnings.warn(GantoolWarning(
            f"{path} stopped at batch {trainer.position} of epoch {trainer.epoch}, but an epoch of this data has "
            f"{trainer.steps_per_epoch} batches (the data changed since): going on with epoch {trainer.epoch + 1}; "
            "the run will not equal an uninterrupted one"), stacklevel=2)
    with warnings.catch_warnings():  # torch warns of a schedule stepped before its optimizer: right here
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step")
        trainer.sched_g.step()
        trainer.sched_d.step()
    trainer.epoch, trainer.position = trainer.epoch + 1, 0


def save(trainer: Checkpointed, path: Path | None = None) -> Path:
    """Write the trainer's checkpoint: to `path`, or as the next step-N file, pointed to by latest.json and
    pruned to --keep. Ranks first agree on one state (batch-norm statistics averaged, weights verified);
    rank 0 writes, and a state with non-finite values never replaces a good checkpoint."""
    if trainer.ema is not None:  # its batch norm measured on every rank alike (only rank 0 draws samples)
        trainer.ema.sampling_model()
    modules = (trainer.G, trainer.D) + ((trainer.ema.model,) if trainer.ema is not None else ())
    average_buffers(trainer.cluster, modules)
    tensors, state = pack(trainer)
    verify_replicas(trainer.cluster, {k: v for k, v in tensors.items() if not k.startswith("rng.")}, trainer.step)
    bad = nonfinite_names(tensors)
    if bad:
        raise diverged(trainer.step, bad[0], trainer.last_checkpoint)
    step_file = path is None
    path = path or checkpoint_path(trainer.run.path, trainer.step)
    if not trainer.cluster.is_main:
        return path
    save_tensors(path, tensors, state)
    if step_file:
        write_latest_pointer(trainer.run.path, path)
        prune_checkpoints(trainer.run.path, trainer.config.keep, protect=(path,))
        trainer.last_checkpoint = path
    return path
