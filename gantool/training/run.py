"""The training run that `gantool train` and `gantool.train(...)` both start: check what can fail early, open the
process group, build the parts, and train in every process until the export, or a clean stop, is written.

A stop (Ctrl-C, SIGTERM, or a KeyboardInterrupt raised in the callback) becomes TrainingInterrupted once the
step's checkpoint is saved."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gantool.config import TrainConfig, given_settings, read_config_file
from gantool.errors import GantoolError
from gantool.registry import Registry
from gantool.storage.rundir import RunDir
from gantool.training.progress import TrainingDisplay

if TYPE_CHECKING:
    import torch

    from gantool.assembly import Parts
    from gantool.training.distributed import Cluster
    from gantool.training.signals import StopRequest

Callback = Callable[[int, dict[str, float]], None]
# The saved settings a resumed run may change: the step budget, to train further, and where it runs.
RESUMABLE = ("epochs", "max_steps", "device")


@dataclass
class RunOutcome:
    """What `run_training` hands back to the command or the function that started it."""

    run_dir: Path
    export: Path
    samples: Path
    steps: int
    is_main: bool


class CallbackDisplay(TrainingDisplay):
    """The usual display that also hands every logged line to `callback`; a KeyboardInterrupt raised there asks
    for the same clean stop Ctrl-C does, so the step's checkpoint is written before training ends."""

    def __init__(self, total_steps: int, *, quiet: bool, callback: Callback, stop: StopRequest) -> None:
        super().__init__(total_steps, quiet=quiet)
        self.callback, self.stop = callback, stop

    def metrics(self, step: int, epoch: int, values: Mapping[str, Any]) -> None:
        super().metrics(step, epoch, values)
        try:
            self.callback(step, dict(values))
        except KeyboardInterrupt:
            self.stop.signum = self.stop.signum or signal.SIGINT


def resumed_config(resume: Path, values: dict[str, Any], given: set[str]) -> TrainConfig:
    """The saved config of the run being resumed, with the RESUMABLE settings given."""
    run = RunDir(resume)
    run.check_resume_source()
    saved = TrainConfig.from_toml_dict(read_config_file(run.config), str(run.config))
    for name in RESUMABLE:
        if name in given:
            setattr(saved, name, values[name])
    return saved


def follow_recipe(config: TrainConfig, parts: Parts) -> None:
    """Record in `config` what --gen auto's recipe chose: the parts built, and its settings the user left unset."""
    assert parts.recipe is not None
    given = given_settings(config)
    config.gen = parts.components["gen"].name
    config.loss = config.loss if "loss" in given else parts.components["loss"].name
    if "augment" not in given and "aug" in parts.components:
        config.augment = parts.components["aug"].name
    for name, value in parts.recipe.settings.items():
        if name not in given:
            setattr(config, name, value)
    config.check()


def run_training(
    config: TrainConfig,
    registry: Registry,
    *,
    out: Path | None,
    resume: Path | None,
    quiet: bool = False,
    callback: Callback | None = None,
) -> RunOutcome:
    """Check what can fail early, then train in every process of the (possibly one-process) group.

    A stop signal ends it with TrainingInterrupted once the step's checkpoint is saved."""
    from gantool.training.devices import autocast_for, pick_device, resolve_precision
    from gantool.training.distributed import process_group

    checkpoint = None
    if resume is not None:
        checkpoint = RunDir(resume).resume_checkpoint()
        out = resume
    elif out is not None and out.resolve() == Path.cwd().resolve():  # `--out ''` is the current directory too
        raise GantoolError("--out is empty or the current directory; a run needs a folder of its own: give one, "
                           "e.g. --out runs/NAME")
    device = pick_device(config.device)
    config.precision = resolve_precision(config.precision, device)  # config.toml records the precision used
    autocast_for(config.precision, device)  # refuse an unusable precision before any file
    with process_group(device) as cluster, ExitStack() as held:
        return _train_in(
            cluster,
            cluster.local_device(device),
            config,
            registry,
            out=out,
            resume=resume,
            checkpoint=checkpoint,
            quiet=quiet,
            callback=callback,
            held=held,
        )


def _train_in(
    cluster: Cluster,
    device: torch.device,
    config: TrainConfig,
    registry: Registry,
    *,
    out: Path | None,
    resume: Path | None,
    checkpoint: Path | None,
    quiet: bool,
    callback: Callback | None,
    held: ExitStack,
) -> RunOutcome:
    """The run itself, in every process of a distributed run; only rank 0 writes files and talks, holding the
    run folder's lock in `held` until the caller's block ends."""
    import tomli_w
    import torch
    from rich.text import Text

    from gantool.assembly import build_parts, plugin_at_fault, plugin_failure, warn_left_out
    from gantool.consoles import clean, err_console
    from gantool.storage.checkpoint import atomic_write_text, write_error
    from gantool.storage.run_state import ending
    from gantool.storage.trackers import Trackers, build_trackers, tracker_names
    from gantool.training.distributed import broadcast_text, wait_for_all
    from gantool.training.signals import StopNow, TrainingInterrupted, TrainingStopped, stop_message, stop_now_message
    from gantool.training.trainer import Trainer

    torch.manual_seed(config.seed)  # the same initial weights everywhere (rank 0's are broadcast anyway)
    parts = build_parts(
        registry,
        gen=config.gen,
        disc=config.disc,
        loss=config.loss,
        dataset=config.dataset,
        options=config.options,
        augment=config.augment,
        unconditional=config.unconditional,
        given=given_settings(config),
    )
    tracking = tracker_names(config.track, config.tensorboard)
    trackers = build_trackers(registry, tracking, config.options.get("track", {}))
    if parts.recipe is not None:  # config.toml records what was trained, so it reruns exactly
        follow_recipe(config, parts)
    run = RunDir(Path(broadcast_text(cluster, os.fspath(out or RunDir.default(config.gen, config.dataset).path))))
    if cluster.is_main:
        warn_left_out(parts.data, config.dataset)
    if cluster.rank:
        torch.manual_seed(cluster.seed(config.seed))  # but each rank its own random draws from here on
    plugins = {
        kind: {"name": c.qualified_name, "package": c.plugin.package, "version": c.plugin.version}
        for kind, c in parts.components.items()
    }
    run.refuse_overwrite(resume=resume is not None)  # on every rank, before rank 0 writes anything
    evaluation = None
    if config.eval_every:  # built before any file is written: it fails early when no extractor fits the data
        from gantool.evaluation.during_training import training_evaluation

        evaluation = training_evaluation(
            registry,
            parts.data.spec,
            config.dataset,
            parts.options_config()["data"],
            device,
            num=config.eval_num,
            noise=config.noise,
            quiet=quiet or not cluster.is_main,
        )
    wait_for_all(cluster)
    if cluster.is_main:
        held.enter_context(run.prepare(resume=resume is not None))
    trackers = trackers if cluster.is_main else Trackers()
    trainer = Trainer(config, parts, run.path, plugins, cluster, evaluation, device=device, trackers=trackers)
    if checkpoint is not None:
        trainer.load_checkpoint(checkpoint)
        if trainer.finished and run.finished:  # nothing to resume: the run's folder, as a finished resume always did
            if cluster.is_main and not quiet:
                how = (
                    f"--patience stopped it at step {trainer.step}"
                    if trainer.step < trainer.total_steps
                    else f"step {trainer.step} of {trainer.total_steps}; give a larger --max-steps or --epochs to "
                    "train it further"
                )
                err_console.print(
                    f"{run.path} has already finished, so there is nothing to resume ({how})",
                    highlight=False,
                    soft_wrap=True,
                )
            return RunOutcome(run.path, run.export, run.sample_grid(None), trainer.step, cluster.is_main)
    record = config.to_toml_dict() | {"options": parts.options_config() | _tracker_options(config), "plugins": plugins}
    if cluster.is_main:
        atomic_write_text(run.config, tomli_w.dumps(record))
        trackers.start(run.path, record)

    silent = quiet or not cluster.is_main
    display = (
        TrainingDisplay(trainer.total_steps, quiet=silent)
        if callback is None or not cluster.is_main
        else CallbackDisplay(trainer.total_steps, quiet=silent, callback=callback, stop=trainer.stop)
    )
    g_params = sum(p.numel() for p in trainer.G.parameters())
    d_params = sum(p.numel() for p in trainer.D.parameters())
    display.message(Text.assemble(("gantool train", "bold"), clean(
        f"  G {config.gen} ({g_params:,} params)  D {config.disc or config.gen} "
        f"({d_params:,} params)  loss {config.loss}  augment {config.augment or 'none'}  data {config.dataset} "
        f"({parts.data.description}, "
        f"{len(parts.data):,} images {parts.data.spec.channels}x{parts.data.spec.height}x{parts.data.spec.width})"
    )))
    display.message(
        f"options {parts.options_config()}  device {trainer.device}  precision {config.precision}  "
        f"threads {torch.get_num_threads()}"
    )
    display.message(describe_training(config))
    batch = f"batch {config.batch_size}" + (
        f" x {cluster.world_size} processes = {config.batch_size * cluster.world_size}" if cluster.active else ""
    )
    display.message(f"{trainer.total_steps} steps of {batch}, run directory {run.path}")
    with trainer.stop.installed(), ending(run, trackers, records=cluster.is_main):
        try:
            result = trainer.train(display)
        except OSError as exc:  # metrics, samples or plots on a full or vanished disk: one line, nothing lost
            raise write_error(Path(exc.filename or run.path), exc) from None
        except TrainingStopped as stopped:
            raise TrainingInterrupted(
                stop_message(trainer.stop, stopped, run.path), trainer.stop.exit_code, is_main=cluster.is_main
            ) from None
        except StopNow as stop:
            raise TrainingInterrupted(
                stop_now_message(stop, trainer.last_checkpoint, run.path), stop.exit_code, is_main=cluster.is_main
            ) from None
        except Exception as exc:  # a third-party part's own bug: name its package instead of gantool's
            culprit = plugin_at_fault(parts.components.values(), exc)
            if culprit is None or isinstance(exc, GantoolError):
                raise
            when = f"during training after step {trainer.step} (checkpoints written before are kept)"
            raise plugin_failure(culprit, exc, when) from None
    display.message(
        f"samples: {result.samples}  (animated: {run.samples_gif})\nlosses:  {run.loss_plot}\nexport:  {result.export}"
    )
    return RunOutcome(run.path, result.export, result.samples, trainer.step, cluster.is_main)


def _tracker_options(config: TrainConfig) -> dict[str, dict[str, Any]]:
    """The --set track.* settings as given, so config.toml reruns with them (trackers read the rest from their
    own environment variables, which stay out of the file)."""
    return {"track": dict(config.options["track"])} if config.options.get("track") else {}


def describe_training(config: TrainConfig) -> str:
    """One line of the resolved optimisation settings, shown at the start of a run."""
    from gantool.commands.train_options import as_text

    decay = (
        f"x{config.lr_decay_factor} at epochs {','.join(map(str, config.lr_decay_epochs))}"
        if config.lr_decay_epochs
        else "none"
    )
    return (
        f"Adam G lr {config.lr_g:g} betas {as_text(config.betas_g)}, D lr {config.lr_d:g} betas "
        f"{as_text(config.betas_d)}; lr decay {decay}; {config.d_steps} D / {config.g_steps} G step(s); "
        f"EMA {config.ema or 'off'}; patience {config.patience or 'off'}; "
        f"evaluation every {config.eval_every or '-'} steps; noise {config.noise}; "
        f"seed {config.seed}"
    )
