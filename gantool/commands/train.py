"""`gantool train`: compose G, D, loss and data by name and run the shared trainer."""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from gantool.commands.train_options import INVOCATION, as_text, resolve_config, train_parameters
from gantool.config import AUTO_GENERATOR, TrainConfig, flag, read_config_file
from gantool.errors import GantoolError
from gantool.registry import Registry
from gantool.rundir import RunDir

if TYPE_CHECKING:
    import torch

    from gantool.distributed import Cluster

# The saved settings a resumed run may change: the step budget, to train further, and where it runs.
RESUMABLE = ("epochs", "max_steps", "device")


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    def train(ctx: typer.Context, config_file: Path | None, set_: list[str] | None, out: Path | None,
              resume: Path | None, quiet: bool, nproc: int | None, threads: int | None, **settings: Any) -> None:
        """Train a GAN. With no arguments: a conditional DCGAN (cgan) + BCE on the bundled 5,000 MNIST digits, about 4
        minutes on 2 cores."""
        if nproc is not None and nproc > 1:
            from gantool.launch import run_torchrun

            sys.exit(run_torchrun(nproc, (ctx.find_root().obj or {}).get("argv", [])))

        given = {name for name in ctx.params if ctx.get_parameter_source(name).name == "COMMANDLINE"}
        if resume is not None:
            refuse_fixed_settings(resume, given)
            config = resumed_config(resume, settings, given)
        else:
            config = resolve_config(ctx, settings | {"set_": set_}, given, config_file)
        if threads is not None:  # how the run computes, not what it computes: not recorded in config.toml
            import torch

            torch.set_num_threads(threads)
        run_training(config, registry(), out=out, resume=resume, quiet=quiet)

    parameters = train_parameters()
    train.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    train.__annotations__ = {param.name: param.annotation for param in parameters}
    app.command()(train)


def refuse_fixed_settings(resume: Path, given: set[str]) -> None:
    """A resumed run keeps the settings it was started with: refuse, in one line, any other one given with it
    (they used to be dropped without a word), and say which ones a resumed run takes."""
    named = {"config_file": "--config", "set_": "--set", "out": "--out"}
    fixed = [name for name in given if name in named or (name in TrainConfig.__dataclass_fields__
                                                         and name not in RESUMABLE)]
    if not fixed:
        return
    allowed = [flag(name) for name in (*RESUMABLE, *INVOCATION) if name not in named and name != "resume"]
    raise GantoolError(f"--resume continues {resume} with the settings it was started with, so "
                       f"{', '.join(sorted(named.get(name, flag(name)) for name in fixed))} cannot be given with it; "
                       f"a resumed run takes only {', '.join(allowed)} (to change the others, start a new run from "
                       f"its settings: gantool train --config {RunDir(resume).config} ...)")


def resumed_config(resume: Path, values: dict[str, Any], given: set[str]) -> TrainConfig:
    """The saved config of the run being resumed, with the RESUMABLE settings given on the command line."""
    run = RunDir(resume)
    run.check_resume_source()
    saved = TrainConfig.from_toml_dict(read_config_file(run.config), str(run.config))
    for name in RESUMABLE:
        if name in given:
            setattr(saved, name, values[name])
    return saved


def run_training(config: TrainConfig, registry: Registry, *, out: Path | None, resume: Path | None,
                 quiet: bool = False) -> Path:
    """Check what can fail early, then train in every process of the (possibly one-process) group."""
    from gantool.devices import autocast_for, pick_device
    from gantool.distributed import process_group

    checkpoint = None
    if resume is not None:
        checkpoint = RunDir(resume).resume_checkpoint()
        out = resume
    elif out is not None and out.resolve() == Path.cwd().resolve():  # `--out ''` is the current directory too
        raise GantoolError("--out is empty or the current directory; a run needs a folder of its own: give one, "
                           "e.g. --out runs/NAME")
    device = pick_device(config.device)
    autocast_for(config.precision, device)  # refuse an unusable precision before any file
    if config.tensorboard:
        from gantool.tensorboard_log import require_tensorboard

        require_tensorboard()
    with process_group(device) as cluster, ExitStack() as held:
        return _train_in(cluster, cluster.local_device(device), config, registry, out=out, resume=resume,
                         checkpoint=checkpoint, quiet=quiet, held=held)


def _train_in(cluster: Cluster, device: torch.device, config: TrainConfig, registry: Registry, *, out: Path | None,
              resume: Path | None, checkpoint: Path | None, quiet: bool, held: ExitStack) -> Path:
    """The run itself, in every process of a distributed run; only rank 0 writes files and talks, holding the
    run folder's lock in `held` until the caller's block ends."""
    import tomli_w
    import torch

    from gantool.assembly import build_parts, warn_left_out
    from gantool.checkpoint import atomic_write_text, write_error
    from gantool.consoles import err_console
    from gantool.distributed import broadcast_text, wait_for_all
    from gantool.progress import TrainingDisplay
    from gantool.signals import StopNow, TrainingStopped, stop_message, stop_now_message
    from gantool.trainer import Trainer

    torch.manual_seed(config.seed)  # the same initial weights everywhere (rank 0's are broadcast anyway)
    parts = build_parts(registry, gen=config.gen, disc=config.disc, loss=config.loss, dataset=config.dataset,
                        options=config.options, augment=config.augment)
    if config.gen == AUTO_GENERATOR:  # config.toml records what was trained, so it reruns exactly
        config.gen = parts.components["gen"].name
    run = RunDir(Path(broadcast_text(cluster, os.fspath(out or RunDir.default(config.gen, config.dataset).path))))
    if cluster.is_main:
        warn_left_out(parts.data, config.dataset)
    if cluster.rank:
        torch.manual_seed(cluster.seed(config.seed))  # but each rank its own random draws from here on
    plugins = {kind: {"name": c.qualified_name, "package": c.plugin.package, "version": c.plugin.version}
               for kind, c in parts.components.items()}
    run.refuse_overwrite(resume=resume is not None)  # on every rank, before rank 0 writes anything
    evaluation = None
    if config.eval_every:  # built before any file is written: it fails early when no extractor fits the data
        from gantool.evaluation.during_training import training_evaluation

        evaluation = training_evaluation(registry, parts.data.spec, config.dataset, parts.options_config()["data"],
                                         device, num=config.eval_num, noise=config.noise)
    wait_for_all(cluster)
    if cluster.is_main:
        held.enter_context(run.prepare(resume=resume is not None))
    trainer = Trainer(config, parts, run.path, plugins, cluster, evaluation, device=device)
    if checkpoint is not None:
        trainer.load_checkpoint(checkpoint)
        if trainer.finished and run.finished:  # exit 0 with the run's folder, as a finished resume always did
            if cluster.is_main and not quiet:
                how = (f"--patience stopped it at step {trainer.step}" if trainer.step < trainer.total_steps else
                       f"step {trainer.step} of {trainer.total_steps}; give a larger --max-steps or --epochs to "
                       "train it further")
                err_console.print(f"{run.path} has already finished, so there is nothing to resume ({how})",
                                  highlight=False, soft_wrap=True)
            if cluster.is_main:
                print(os.fspath(run.path))
            return run.path
    record = config.to_toml_dict() | {"options": parts.options_config(), "plugins": plugins}
    if cluster.is_main:
        atomic_write_text(run.config, tomli_w.dumps(record))

    display = TrainingDisplay(trainer.total_steps, quiet=quiet or not cluster.is_main)
    g_params = sum(p.numel() for p in trainer.G.parameters())
    d_params = sum(p.numel() for p in trainer.D.parameters())
    display.message(
        f"[bold]gantool train[/]  G {config.gen} ({g_params:,} params)  D {config.disc or config.gen} "
        f"({d_params:,} params)  loss {config.loss}  augment {config.augment or 'none'}  data {config.dataset} "
        f"({parts.data.description}, "
        f"{len(parts.data):,} images {parts.data.spec.channels}x{parts.data.spec.height}x{parts.data.spec.width})"
    )
    display.message(f"options {parts.options_config()}  device {trainer.device}  precision {config.precision}  "
                    f"threads {torch.get_num_threads()}")
    display.message(describe_training(config))
    batch = f"batch {config.batch_size}" + (
        f" x {cluster.world_size} processes = {config.batch_size * cluster.world_size}" if cluster.active else "")
    display.message(f"{trainer.total_steps} steps of {batch}, run directory {run.path}")
    with trainer.stop.installed():
        try:
            result = trainer.train(display)
        except OSError as exc:  # metrics, samples or plots on a full or vanished disk: one line, nothing lost
            raise write_error(Path(exc.filename or run.path), exc) from None
        except TrainingStopped as stopped:
            if cluster.is_main:
                display.console.print(stop_message(trainer.stop, stopped, run.path), highlight=False, soft_wrap=True)
            raise typer.Exit(trainer.stop.exit_code) from None
        except StopNow as stop:
            if cluster.is_main:
                display.console.print(stop_now_message(stop, trainer.last_checkpoint, run.path), markup=False,
                                      highlight=False, soft_wrap=True)
            raise typer.Exit(stop.exit_code) from None
    display.message(f"samples: {result.samples}  (animated: {run.samples_gif})\n"
                    f"losses:  {run.loss_plot}\nexport:  {result.export}")
    if cluster.is_main:
        print(os.fspath(run.path))
    return run.path


def describe_training(config: TrainConfig) -> str:
    """One line of the resolved optimisation settings, shown at the start of a run."""
    decay = (f"x{config.lr_decay_factor} at epochs {','.join(map(str, config.lr_decay_epochs))}"
             if config.lr_decay_epochs else "none")
    return (f"Adam G lr {config.lr_g:g} betas {as_text(config.betas_g)}, D lr {config.lr_d:g} betas "
            f"{as_text(config.betas_d)}; lr decay {decay}; {config.d_steps} D / {config.g_steps} G step(s); "
            f"EMA {config.ema or 'off'}; patience {config.patience or 'off'}; "
            f"evaluation every {config.eval_every or '-'} steps; noise {config.noise}; "
            f"seed {config.seed}")
