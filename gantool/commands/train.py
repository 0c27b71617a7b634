"""`gantool train`: compose G, D, loss and data by name and run the shared trainer."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gantool.commands.common import SetOption
from gantool.config import TrainConfig
from gantool.errors import GantoolError
from gantool.registry import Registry

if TYPE_CHECKING:
    from gantool.distributed import Cluster

DEFAULTS = TrainConfig()


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def train(
        ctx: typer.Context,
        gen: Annotated[str, typer.Option(help="Generator architecture (see list-plugins).")] = DEFAULTS.gen,
        disc: Annotated[str | None, typer.Option(help="Discriminator; defaults to the --gen name.")] = None,
        loss: Annotated[str, typer.Option(help="Adversarial loss.")] = DEFAULTS.loss,
        dataset: Annotated[str, typer.Option(help="Training data.")] = DEFAULTS.dataset,
        set_: SetOption = None,
        epochs: Annotated[int, typer.Option(min=1, help="Passes over the data.")] = DEFAULTS.epochs,
        max_steps: Annotated[int | None, typer.Option(min=1, help="Stop after this many iterations.")] = None,
        batch_size: Annotated[int, typer.Option(min=1, help="Images per iteration.")] = DEFAULTS.batch_size,
        lr_g: Annotated[float, typer.Option(min=0.0, help="Adam learning rate of G.")] = DEFAULTS.lr_g,
        lr_d: Annotated[float, typer.Option(min=0.0, help="Adam learning rate of D.")] = DEFAULTS.lr_d,
        seed: Annotated[int, typer.Option(help="Random seed; same seed and options give the same run on CPU.")] = 0,
        out: Annotated[Path | None, typer.Option(help="Run directory [default: runs/DATE-GEN-DATASET].")] = None,
        device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = DEFAULTS.device,
        sample_every: Annotated[int, typer.Option(min=1, help="Write a sample grid every N steps.")] = (
            DEFAULTS.sample_every
        ),
        checkpoint_every: Annotated[int, typer.Option(min=1, help="Checkpoint every N steps.")] = (
            DEFAULTS.checkpoint_every
        ),
        log_every: Annotated[int, typer.Option(min=1, help="Log metrics every N steps.")] = DEFAULTS.log_every,
        resume: Annotated[Path | None, typer.Option(help="Continue the run in this directory.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the run directory.")] = False,
        nproc: Annotated[int | None, typer.Option(min=1, help=(
            "Train data-parallel in N processes on this machine (through torchrun); --batch-size is per process."
        ))] = None,
    ) -> None:
        """Train a GAN. With no arguments: DCGAN + BCE on the bundled 5,000 MNIST digits, about 3 minutes on 2 cores."""
        from gantool.options import parse_set_arguments

        if nproc is not None and nproc > 1:
            from gantool.launch import run_torchrun

            sys.exit(run_torchrun(nproc, (ctx.find_root().obj or {}).get("argv", [])))

        config = TrainConfig(
            gen=gen, disc=disc, loss=loss, dataset=dataset, options=parse_set_arguments(set_ or []),
            epochs=epochs, max_steps=max_steps, batch_size=batch_size, lr_g=lr_g, lr_d=lr_d, seed=seed,
            device=device, sample_every=sample_every, checkpoint_every=checkpoint_every, log_every=log_every,
        )
        run_training(config, registry(), out=out, resume=resume, quiet=quiet)


def default_run_dir(config: TrainConfig) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{stamp}-{config.gen.replace(':', '-')}-{config.dataset.replace(':', '-')}"


def refuse_overwrite(run_dir: Path, *, resume: bool) -> None:
    """An earlier run's folder is only ever continued, never overwritten."""
    if not resume and (run_dir / "config.toml").exists():
        raise GantoolError(f"{run_dir} already holds a run; continue it with --resume {run_dir} "
                           "or choose another --out")


def prepare_run_dir(run_dir: Path, *, resume: bool) -> None:
    """Create the run directory, refusing to overwrite an earlier run and failing early if unwritable."""
    refuse_overwrite(run_dir, resume=resume)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise GantoolError(f"cannot write to {run_dir}: {exc.strerror or exc}; choose a writable --out") from None


def run_training(config: TrainConfig, registry: Registry, *, out: Path | None, resume: Path | None,
                 quiet: bool = False) -> Path:
    """Build the parts, set up the run directory, train, and report where the results are."""
    from gantool.checkpoint import latest_checkpoint
    from gantool.config import read_config_file
    from gantool.distributed import process_group
    from gantool.trainer import pick_device

    checkpoint = None
    if resume is not None:
        checkpoint = latest_checkpoint(resume)
        if checkpoint is None:
            raise GantoolError(f"{resume} has no checkpoint to resume from; start a new run with gantool train")
        saved = TrainConfig.from_toml_dict(read_config_file(resume / "config.toml"), str(resume / "config.toml"))
        saved.epochs, saved.max_steps = config.epochs, config.max_steps
        config, out = saved, resume
    with process_group(pick_device(config.device)) as cluster:
        return _train_in(cluster, config, registry, out=out, resume=resume, checkpoint=checkpoint, quiet=quiet)


def _train_in(cluster: Cluster, config: TrainConfig, registry: Registry, *, out: Path | None, resume: Path | None,
              checkpoint: Path | None, quiet: bool) -> Path:
    """The run itself, in every process of a distributed run; only rank 0 writes files and talks."""
    import tomli_w
    import torch

    from gantool.assembly import build_parts
    from gantool.checkpoint import atomic_write_text
    from gantool.distributed import broadcast_text, wait_for_all
    from gantool.progress import TrainingDisplay
    from gantool.trainer import Trainer

    run_dir = Path(broadcast_text(cluster, os.fspath(out or default_run_dir(config))))
    torch.manual_seed(config.seed)  # the same initial weights everywhere (rank 0's are broadcast anyway)
    parts = build_parts(registry, gen=config.gen, disc=config.disc, loss=config.loss, dataset=config.dataset,
                        options=config.options)
    if cluster.rank:
        torch.manual_seed(cluster.seed(config.seed))  # but each rank its own random draws from here on
    plugins = {kind: {"name": c.qualified_name, "package": c.plugin.package, "version": c.plugin.version}
               for kind, c in parts.components.items()}
    refuse_overwrite(run_dir, resume=resume is not None)  # on every rank, before rank 0 writes anything
    wait_for_all(cluster)
    if cluster.is_main:
        prepare_run_dir(run_dir, resume=resume is not None)
    trainer = Trainer(config, parts, run_dir, plugins, cluster)
    if checkpoint is not None:
        trainer.load_checkpoint(checkpoint)
    record = config.to_toml_dict() | {"options": parts.options_config(), "plugins": plugins}
    if cluster.is_main:
        atomic_write_text(run_dir / "config.toml", tomli_w.dumps(record))

    display = TrainingDisplay(trainer.total_steps, quiet=quiet or not cluster.is_main)
    g_params = sum(p.numel() for p in trainer.G.parameters())
    d_params = sum(p.numel() for p in trainer.D.parameters())
    display.message(
        f"[bold]gantool train[/]  G {config.gen} ({g_params:,} params)  D {config.disc or config.gen} "
        f"({d_params:,} params)  loss {config.loss}  data {config.dataset} ({parts.data.description}, "
        f"{len(parts.data):,} images {parts.data.spec.channels}x{parts.data.spec.height}x{parts.data.spec.width})"
    )
    display.message(f"options {parts.options_config()}  device {trainer.device}  threads {torch.get_num_threads()}")
    batch = f"batch {config.batch_size}" + (
        f" x {cluster.world_size} processes = {config.batch_size * cluster.world_size}" if cluster.active else "")
    display.message(f"{trainer.total_steps} steps of {batch}, run directory {run_dir}")
    result = trainer.train(display)
    display.message(f"samples: {result.samples}\nexport:  {result.export}")
    if cluster.is_main:
        print(os.fspath(run_dir))
    return run_dir
