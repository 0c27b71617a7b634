"""`gantool train`: compose G, D, loss and data by name and run the shared trainer."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gantool.commands.common import SetOption
from gantool.config import AUTO_GENERATOR, TrainConfig, parse_number_list, read_config_file
from gantool.errors import GantoolError
from gantool.registry import Registry

if TYPE_CHECKING:
    from gantool.distributed import Cluster

DEFAULTS = TrainConfig()
# Options of the invocation itself, not of the run: never read from or written to config.toml.
INVOCATION = {"ctx", "config_file", "out", "resume", "quiet", "nproc"}


def _betas(values: list[float]) -> str:
    return ",".join(str(value) for value in values)


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def train(
        ctx: typer.Context,
        config_file: Annotated[Path | None, typer.Option(
            "--config", help="Read every option from this TOML file (a run's config.toml works); the command line "
                             "overrides it.")] = None,
        gen: Annotated[str, typer.Option(help="Generator architecture (see list-plugins); auto: cgan for data with "
                                              "class labels, dcgan otherwise.")] = DEFAULTS.gen,
        disc: Annotated[str | None, typer.Option(help="Discriminator; defaults to the --gen name.")] = None,
        loss: Annotated[str, typer.Option(help="Adversarial loss.")] = DEFAULTS.loss,
        dataset: Annotated[str, typer.Option(help="Training data.")] = DEFAULTS.dataset,
        augment: Annotated[str | None, typer.Option(help=(
            "Differentiable augmentation applied to real and generated images before D (e.g. diffaugment; "
            "options with --set aug.KEY=VALUE)."))] = DEFAULTS.augment,
        set_: SetOption = None,
        epochs: Annotated[int, typer.Option(min=1, help="Passes over the data.")] = DEFAULTS.epochs,
        max_steps: Annotated[int | None, typer.Option(min=1, help="Stop after this many iterations.")] = None,
        batch_size: Annotated[int, typer.Option(min=1, help="Images per iteration.")] = DEFAULTS.batch_size,
        lr_g: Annotated[float, typer.Option(min=0.0, help="Adam learning rate of G.")] = DEFAULTS.lr_g,
        lr_d: Annotated[float, typer.Option(min=0.0, help="Adam learning rate of D.")] = DEFAULTS.lr_d,
        betas_g: Annotated[str, typer.Option(help="Adam betas of G, as BETA1,BETA2.")] = _betas(DEFAULTS.betas_g),
        betas_d: Annotated[str, typer.Option(help="Adam betas of D, as BETA1,BETA2.")] = _betas(DEFAULTS.betas_d),
        d_steps: Annotated[int, typer.Option(min=1, help="D updates (one real batch each) per G update.")] = (
            DEFAULTS.d_steps
        ),
        g_steps: Annotated[int, typer.Option(min=1, help="G updates per D update; each extra one draws fresh "
                                                         "noise.")] = DEFAULTS.g_steps,
        lr_decay_epochs: Annotated[str, typer.Option(help="Epochs (counted from 0) from which both learning "
                                                          "rates are multiplied by --lr-decay-factor: 30,40.")] = "",
        lr_decay_factor: Annotated[float, typer.Option(min=0.0, help="Learning-rate factor at each decay "
                                                                     "epoch.")] = DEFAULTS.lr_decay_factor,
        ema: Annotated[float | None, typer.Option(help="Keep an exponential moving average of G with this decay "
                                                       "(e.g. 0.999); it makes the samples and the export.")] = (
            DEFAULTS.ema
        ),
        patience: Annotated[int | None, typer.Option(min=1, help=(
            "Stop when G's epoch loss has not improved for N epochs (with --eval-every: the Fréchet distance for N "
            "evaluations), keeping the best."))] = None,
        eval_every: Annotated[int | None, typer.Option(min=1, help=(
            "Every N steps and at the end, measure --eval-num samples as gantool evaluate does and log them in "
            "metrics.jsonl; --patience and the best checkpoint then follow the Fréchet distance."))] = None,
        eval_num: Annotated[int, typer.Option(min=2, help="Samples per evaluation (--eval-every).")] = (
            DEFAULTS.eval_num
        ),
        precision: Annotated[str, typer.Option(help="fp32, or bf16 autocast (CPUs with avx512_bf16/AMX, "
                                                    "GPUs with bf16).")] = DEFAULTS.precision,
        noise: Annotated[str, typer.Option(help="Latent noise: normal, or uniform on \\[-1, 1].")] = DEFAULTS.noise,
        seed: Annotated[int, typer.Option(help="Random seed; same seed and options give the same run on CPU.")] = (
            DEFAULTS.seed
        ),
        out: Annotated[Path | None, typer.Option(help="Run directory \\[default: runs/DATE-GEN-DATASET].")] = None,
        device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = DEFAULTS.device,
        sample_every: Annotated[int, typer.Option(min=1, help="Write a sample grid every N steps.")] = (
            DEFAULTS.sample_every
        ),
        checkpoint_every: Annotated[int, typer.Option(min=1, help="Checkpoint every N steps.")] = (
            DEFAULTS.checkpoint_every
        ),
        log_every: Annotated[int, typer.Option(min=1, help="Log metrics every N steps.")] = DEFAULTS.log_every,
        keep: Annotated[int, typer.Option(min=1, help="Step checkpoints to keep.")] = DEFAULTS.keep,
        tensorboard: Annotated[bool, typer.Option("--tensorboard", help="Also write TensorBoard scalars (needs "
                                                                        "gantool\\[tensorboard]).")] = False,
        resume: Annotated[Path | None, typer.Option(help="Continue the run in this directory.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the run directory.")] = False,
        nproc: Annotated[int | None, typer.Option(min=1, help=(
            "Train data-parallel in N processes on this machine (through torchrun); --batch-size is per process."
        ))] = None,
    ) -> None:
        """Train a GAN. With no arguments: a conditional DCGAN (cgan) + BCE on the bundled 5,000 MNIST digits, about 4
        minutes on 2 cores."""
        if nproc is not None and nproc > 1:
            from gantool.launch import run_torchrun

            sys.exit(run_torchrun(nproc, (ctx.find_root().obj or {}).get("argv", [])))

        given = {name for name in ctx.params if ctx.get_parameter_source(name).name == "COMMANDLINE"}
        values = {name: value for name, value in ctx.params.items() if name not in INVOCATION}
        config = resolve_config(values, given - INVOCATION, config_file)
        if resume is not None:
            config = resumed_config(resume, values, given)
        run_training(config, registry(), out=out, resume=resume, quiet=quiet)


def command_line_to_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Turn command-line values into TrainConfig fields (lists from comma-separated text, --set into options)."""
    from gantool.options import parse_set_arguments

    fields = dict(values)
    if "set_" in fields:
        fields["options"] = parse_set_arguments(fields.pop("set_") or [])
    for name in ("betas_g", "betas_d"):
        if name in fields:
            fields[name] = parse_number_list(fields[name], float, f"--{name.replace('_', '-')}")
    if "lr_decay_epochs" in fields:
        fields["lr_decay_epochs"] = parse_number_list(fields["lr_decay_epochs"], int, "--lr-decay-epochs")
    return fields


def resolve_config(values: dict[str, Any], given: set[str], config_file: Path | None) -> TrainConfig:
    """Defaults, then the --config file, then what the command line gave explicitly."""
    fields = command_line_to_fields(values)
    if config_file is None:
        return TrainConfig(**fields)
    data = read_config_file(config_file)
    base = TrainConfig.from_toml_dict(data, str(config_file)).to_toml_dict()
    overrides = command_line_to_fields({name: values[name] for name in given})
    options = {kind: dict(opts) for kind, opts in base.get("options", {}).items()}
    for kind, opts in overrides.pop("options", {}).items():
        options.setdefault(kind, {}).update(opts)
    return TrainConfig(**(base | overrides | {"options": options}))


def resumed_config(resume: Path, values: dict[str, Any], given: set[str]) -> TrainConfig:
    """The saved config of the run being resumed; only --epochs and --max-steps may extend it."""
    check_resume_source(resume)
    path = resume / "config.toml"
    saved = TrainConfig.from_toml_dict(read_config_file(path), str(path))
    for name in ("epochs", "max_steps"):
        if name in given:
            setattr(saved, name, values[name])
    return saved


def check_resume_source(resume: Path) -> None:
    """--resume takes a run directory; a pickle is refused with the reason, any other file with the fix."""
    from gantool.checkpoint import refuse_pickle

    refuse_pickle(resume)
    if resume.exists() and not resume.is_dir():
        raise GantoolError(f"--resume takes a run directory, not the file {resume}: give the folder that "
                           "holds config.toml and checkpoints/")


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
    """Check what can fail early, then train in every process of the (possibly one-process) group."""
    from gantool.checkpoint import latest_checkpoint
    from gantool.distributed import process_group
    from gantool.precision import autocast_for
    from gantool.trainer import pick_device

    checkpoint = None
    if resume is not None:
        check_resume_source(resume)
        checkpoint = latest_checkpoint(resume)
        if checkpoint is None:
            raise GantoolError(f"{resume} has no checkpoint to resume from; start a new run with gantool train")
        out = resume
    autocast_for(config.precision, pick_device(config.device))  # refuse an unusable precision before any file
    if config.tensorboard:
        from gantool.tensorboard_log import require_tensorboard

        require_tensorboard()
    with process_group(pick_device(config.device)) as cluster:
        return _train_in(cluster, config, registry, out=out, resume=resume, checkpoint=checkpoint, quiet=quiet)


def _train_in(cluster: Cluster, config: TrainConfig, registry: Registry, *, out: Path | None, resume: Path | None,
              checkpoint: Path | None, quiet: bool) -> Path:
    """The run itself, in every process of a distributed run; only rank 0 writes files and talks."""
    import tomli_w
    import torch

    from gantool.assembly import build_parts, warn_left_out
    from gantool.checkpoint import atomic_write_text, write_error
    from gantool.distributed import broadcast_text, wait_for_all
    from gantool.progress import TrainingDisplay
    from gantool.signals import TrainingStopped, stop_message
    from gantool.trainer import Trainer

    torch.manual_seed(config.seed)  # the same initial weights everywhere (rank 0's are broadcast anyway)
    parts = build_parts(registry, gen=config.gen, disc=config.disc, loss=config.loss, dataset=config.dataset,
                        options=config.options, augment=config.augment)
    config.gen = parts.components["gen"].name if config.gen == AUTO_GENERATOR else config.gen  # rerun as trained
    run_dir = Path(broadcast_text(cluster, os.fspath(out or default_run_dir(config))))
    if cluster.is_main:
        warn_left_out(parts.data, config.dataset)
    if cluster.rank:
        torch.manual_seed(cluster.seed(config.seed))  # but each rank its own random draws from here on
    plugins = {kind: {"name": c.qualified_name, "package": c.plugin.package, "version": c.plugin.version}
               for kind, c in parts.components.items()}
    refuse_overwrite(run_dir, resume=resume is not None)  # on every rank, before rank 0 writes anything
    evaluation = None
    if config.eval_every:  # built before any file is written: it fails early when no extractor fits the data
        from gantool.evaluation.during_training import training_evaluation
        from gantool.trainer import pick_device

        evaluation = training_evaluation(registry, parts.data.spec, config.dataset, parts.options_config()["data"],
                                         cluster.local_device(pick_device(config.device)), num=config.eval_num,
                                         noise=config.noise)
    wait_for_all(cluster)
    if cluster.is_main:
        prepare_run_dir(run_dir, resume=resume is not None)
    trainer = Trainer(config, parts, run_dir, plugins, cluster, evaluation)
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
        f"({d_params:,} params)  loss {config.loss}  augment {config.augment or 'none'}  data {config.dataset} "
        f"({parts.data.description}, "
        f"{len(parts.data):,} images {parts.data.spec.channels}x{parts.data.spec.height}x{parts.data.spec.width})"
    )
    display.message(f"options {parts.options_config()}  device {trainer.device}  precision {config.precision}  "
                    f"threads {torch.get_num_threads()}")
    display.message(describe_training(config))
    batch = f"batch {config.batch_size}" + (
        f" x {cluster.world_size} processes = {config.batch_size * cluster.world_size}" if cluster.active else "")
    display.message(f"{trainer.total_steps} steps of {batch}, run directory {run_dir}")
    with trainer.stop.installed():
        try:
            result = trainer.train(display)
        except OSError as exc:  # metrics, samples or plots on a full or vanished disk: one line, nothing lost
            raise write_error(Path(exc.filename or run_dir), exc) from None
        except TrainingStopped as stopped:
            if cluster.is_main:
                display.console.print(stop_message(trainer.stop, stopped, run_dir), highlight=False, soft_wrap=True)
            raise typer.Exit(trainer.stop.exit_code) from None
    display.message(f"samples: {result.samples}  (animated: {run_dir / 'samples.gif'})\n"
                    f"losses:  {run_dir / 'loss.png'}\nexport:  {result.export}")
    if cluster.is_main:
        print(os.fspath(run_dir))
    return run_dir


def describe_training(config: TrainConfig) -> str:
    """One line of the resolved optimisation settings, shown at the start of a run."""
    decay = (f"x{config.lr_decay_factor} at epochs {','.join(map(str, config.lr_decay_epochs))}"
             if config.lr_decay_epochs else "none")
    return (f"Adam G lr {config.lr_g:g} betas {_betas(config.betas_g)}, D lr {config.lr_d:g} betas "
            f"{_betas(config.betas_d)}; lr decay {decay}; {config.d_steps} D / {config.g_steps} G step(s); "
            f"EMA {config.ema or 'off'}; patience {config.patience or 'off'}; "
            f"evaluation every {config.eval_every or '-'} steps; noise {config.noise}; "
            f"seed {config.seed}")
