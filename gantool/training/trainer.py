"""The one shared training loop: D step, then G step on the same fake batch, for any G, D, loss and data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from gantool.assembly import Parts
from gantool.config import TrainConfig
from gantool.errors import GantoolError
from gantool.evaluation.during_training import METRIC as EVAL_METRIC
from gantool.interfaces import generator_loss_of, needs_real_logits, penalty_of
from gantool.storage.exported import write_export
from gantool.storage.plots import draw_run_pictures
from gantool.storage.run_log import RunLog
from gantool.storage.rundir import BEST_CHECKPOINT, BEST_EXPORT, CHECKPOINTS, RunDir
from gantool.storage.trackers import Trackers
from gantool.training import checkpoint_state
from gantool.training.acceleration import Compilation, place
from gantool.training.batches import BatchSource
from gantool.training.devices import autocast_for, pick_device
from gantool.training.distributed import Cluster, reduce_meter, replicate
from gantool.training.ema import EMA
from gantool.training.generator_step import generator_steps
from gantool.training.health import HealthMonitor, diverged, nonfinite_names
from gantool.training.meter import StepMeter, step_readings
from gantool.training.noise import draw_labelled
from gantool.training.progress import TrainingDisplay
from gantool.training.sample_grid import FixedSamples
from gantool.training.schedules import step_decay
from gantool.training.signals import StopRequest, TrainingStopped, any_rank
from gantool.training.simultaneous import simultaneous_step
from gantool.training.stopping import Patience

if TYPE_CHECKING:
    from gantool.evaluation.during_training import TrainingEvaluation


@dataclass
class TrainResult:
    """Where a finished run left its export and its final sample grid."""

    export: Path
    samples: Path


class Trainer:
    """Trains `parts` with `config`, writing samples, metrics, checkpoints and the export into `run_dir`."""

    def __init__(self, config: TrainConfig, parts: Parts, run_dir: Path, plugins: dict[str, Any],
                 cluster: Cluster | None = None, evaluation: TrainingEvaluation | None = None, *,
                 device: torch.device | None = None, trackers: Trackers | None = None) -> None:
        self.config, self.parts, self.run, self.plugins = config, parts, RunDir(run_dir), plugins
        self.trackers = trackers or Trackers()  # rank 0's; the run log feeds them
        self.evaluation = evaluation
        self.cluster = cluster or Cluster()
        self.device = device or self.cluster.local_device(pick_device(config.device))  # train picks it once
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes every step: let cuDNN pick its fastest kernels
        self.num_classes = getattr(parts.generator, "num_classes", 0)  # labelled data may still train an uncond. G
        self.G = parts.generator  # the noise batches of _calibration_batch, which place's check draws, fit it
        self.G, self.D, config.channels_last = place(  # config.toml records the memory layout used
            self.G, parts.discriminator, self.device, channels_last=config.channels_last, draw=self._calibration_batch)
        self.loss = parts.loss
        self.outputs_are_logits = getattr(self.loss, "outputs_are_logits", True)  # see interfaces.Loss
        self.relativistic = needs_real_logits(self.loss)
        self.augment = parts.augmentation
        self.spec = parts.data.spec
        self.autocast = autocast_for(config.precision, self.device)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=config.lr_g, betas=tuple(config.betas_g), fused=True)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr_d, betas=tuple(config.betas_d), fused=True)
        self.sched_g = step_decay(self.opt_g, config.lr_decay_epochs, config.lr_decay_factor)
        self.sched_d = step_decay(self.opt_d, config.lr_decay_epochs, config.lr_decay_factor)
        replicate(self.cluster, (self.G, self.D), (self.opt_g, self.opt_d))
        self.ema = EMA(self.G, config.ema, self._calibration_batch) if config.ema else None
        watched = EVAL_METRIC if evaluation is not None else "g_loss"
        self.patience = Patience(config.patience, name=watched) if config.patience else None
        self.stopped_early = False
        self.noise = torch.Generator(device=self.device).manual_seed(self.cluster.seed(config.seed + 1))
        self.source = BatchSource(parts.data, config.batch_size, self.device, config.seed,
                                  rank=self.cluster.rank, world_size=self.cluster.world_size,
                                  replacement=config.replacement)
        self.steps_per_epoch = self.source.steps_per_epoch
        total = config.epochs * self.steps_per_epoch
        self.total_steps = min(total, config.max_steps) if config.max_steps else total
        self.step, self.epoch, self.position = 0, 0, 0
        self.stop = StopRequest()  # run_training installs it as the SIGINT/SIGTERM handler
        self.health = HealthMonitor(self.total_steps)
        self.last_checkpoint: Path | None = None
        self.samples = FixedSamples(config.noise, self.G.latent_dim, self.num_classes, config.sample_count,
                                    config.seed + 3, self.device)
        self.compiled = Compilation(self.G, self.D, self.device) if config.compile else None

    @property
    def finished(self) -> bool:
        """Nothing is left to train: the step budget is spent, or --patience stopped the run."""
        return self.step >= self.total_steps or (self.patience is not None and self.patience.exhausted)

    @property
    def sampler(self) -> torch.nn.Module:
        """The generator used for samples and the export: the EMA copy (its batch norm recalibrated) with --ema."""
        return self.ema.sampling_model() if self.ema is not None else self.G

    # -- the loop ---------------------------------------------------------------------------------
    def train(self, display: TrainingDisplay) -> TrainResult:
        """Run until the step budget is spent (or --patience stops it); returns where the results are."""
        meter, epoch_meter = StepMeter(self.device), StepMeter(self.device)
        if self.cluster.is_main:
            self.run.forget_after(self.step)
        log = RunLog(self.run, display, writes=self.cluster.is_main, trackers=self.trackers)
        with log, display:
            while self.step < self.total_steps and not self.stopped_early:
                epoch = self.epoch
                for real, labels in self.source.batches(self.epoch, self.position):
                    values = (self.train_step(real, labels) if self.compiled is None
                              else self.compiled.timed(self.train_step, real, labels, display=display))
                    meter.add(values, len(real))
                    epoch_meter.add(values, len(real))
                    self.step += 1
                    self.position += 1
                    display.advance(self.step, self.epoch)
                    if self.position == self.steps_per_epoch:
                        self.after_epoch(epoch_meter, display)
                    self.after_step(meter, log, display)
                    if self.step < self.total_steps and any_rank(self.cluster, self.stop.requested):
                        raise TrainingStopped(self.step, self.save_checkpoint())
                    if self.step >= self.total_steps or self.stopped_early:
                        break
                else:  # the epoch ran out: each pass must have reached its end, or this loop would never stop
                    if self.epoch == epoch:
                        raise GantoolError(f"epoch {epoch} of the data ended at batch {self.position} of "
                                           f"{self.steps_per_epoch}: the dataset yielded fewer batches than it "
                                           "holds; check that its files did not change during training")
        samples, export = self.run.sample_grid(None), self.run.export
        if self.cluster.is_main:
            self.save_samples(samples)
            log.exported(self.export(export))
            self.save_plots()
        return TrainResult(export, samples)

    def after_step(self, meter: StepMeter, log: RunLog, display: TrainingDisplay) -> None:
        """Log, sample and checkpoint at their intervals (and always after the last step)."""
        config = self.config
        if self.evaluation is not None and (self.step % (config.eval_every or 1) == 0 or self.step >= self.total_steps):
            self.evaluate(log, display)
        last = self.step >= self.total_steps or self.stopped_early
        if self.step % config.log_every == 0 or last:
            meter.images = reduce_meter(self.cluster, meter.totals, meter.images)
            values = meter.read()
            self.health.check_metrics(self.step, values, self.last_checkpoint)
            augmentation_metrics = getattr(self.augment, "metrics", None)  # e.g. an adaptive policy's strength
            if augmentation_metrics is not None:
                values |= augmentation_metrics()
            log.metrics(self.step, self.epoch, values)
        if (self.step % config.sample_every == 0 or last) and self.cluster.is_main:
            log.sample_grid(self.step, self.save_samples(self.run.sample_grid(self.step)))
        if self.step % config.checkpoint_every == 0 or last:
            self.save_checkpoint()

    def after_epoch(self, meter: StepMeter, display: TrainingDisplay) -> None:
        """Report the epoch, step the learning-rate decay, and apply --patience; then start the next epoch."""
        meter.images = reduce_meter(self.cluster, meter.totals, meter.images)  # every rank decides alike
        values = meter.read()
        display.epoch_done(self.epoch, values)
        self.sched_g.step()
        self.sched_d.step()
        finished = self.epoch
        self.epoch, self.position = self.epoch + 1, 0
        if self.epoch in self.config.lr_decay_epochs:
            display.message(f"learning rates x{self.config.lr_decay_factor:g} from epoch {self.epoch}: G "
                            f"{self.opt_g.param_groups[0]['lr']:.3g}, D {self.opt_d.param_groups[0]['lr']:.3g}")
        if self.evaluation is None:  # with --eval-every, patience follows the evaluations instead
            self.watch(self.epoch_score(values), finished, "epoch(s)", display)

    def watch(self, value: float, epoch: int, unit: str, display: TrainingDisplay) -> None:
        """Feed --patience one value (lower is better): keep the best checkpoint and export, stop when stale."""
        if self.patience is None:
            return
        if self.patience.update(value, epoch):
            self.save_checkpoint(self.run.best_checkpoint)
            if self.cluster.is_main:
                self.export(self.run.best_export)
        if self.patience.exhausted:
            self.stopped_early = True
            display.message(f"stopping early: {self.patience.name} has not improved for {self.patience.patience} "
                            f"{unit}; the best (epoch {self.patience.best_epoch}) is in {BEST_EXPORT} and "
                            f"{CHECKPOINTS}/{BEST_CHECKPOINT}")

    def evaluate(self, log: RunLog, display: TrainingDisplay) -> None:
        """Measure the sampler (every rank alike, so patience decides alike), log it, and feed --patience."""
        assert self.evaluation is not None
        sampler = self.sampler
        bad = nonfinite_names(sampler.state_dict())  # a diverged G's features break the Fréchet distance's algebra
        if bad:
            raise diverged(self.step, f"the generator's {bad[0]}", self.last_checkpoint)
        values, protocol = self.evaluation.measure(sampler)
        log.evaluation(self.step, self.epoch, values, protocol)
        self.watch(values[EVAL_METRIC], self.epoch, "evaluation(s)", display)

    def epoch_score(self, values: dict[str, float]) -> float:
        """The quantity --patience watches without --eval-every, lower is better: G's mean loss over the epoch.

        A weak signal (G's loss measures D's current opinion, not sample quality); with --eval-every the
        Fréchet distance of the evaluations is watched instead.
        """
        return values["g_loss"]

    def train_step(self, real: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """One D update, and --g-steps G updates on every --d-steps-th call (with --update simultaneous, D's and
        G's updates on that call come from one forward pass); returns detached metrics (no sync).

        With --augment, D only ever sees augmented images, real and fake alike, in both steps.
        """
        batch = len(real)
        real_labels = labels if self.num_classes else None
        g_turn = (self.step + 1) % self.config.d_steps == 0
        if g_turn and self.config.update == "simultaneous":
            return simultaneous_step(self, real, labels)
        z, fake_labels = self._noise_batch(batch)
        with self.autocast():
            with torch.set_grad_enabled(g_turn):  # G's graph is kept only when the G step reuses this batch
                fake = self._augmented(self.G(z, fake_labels))
            real = self._augmented(real)
            real_logits = self.D(real, real_labels).float()
            fake_logits = self.D(fake.detach(), fake_labels).float()
        d_parts = self.loss.discriminator_loss(real_logits, fake_logits)
        d_total = self.penalised(d_parts["loss"], real, fake, real_labels, fake_labels)
        self.opt_d.zero_grad(set_to_none=True)
        d_total.backward()
        self.opt_d.step()
        observe = getattr(self.augment, "observe", None)
        if observe is not None:  # an adaptive augmentation reads how sure D is of the real images
            # a relativistic D's scores only mean something relative to the fakes they are paired with
            observe((real_logits - fake_logits).detach() if self.relativistic else real_logits.detach())

        if g_turn:
            g_loss = generator_steps(self, z, fake, fake_labels, real, real_labels)
        else:  # no G update this call: log G's loss against the D it faced
            with torch.no_grad():
                g_loss = generator_loss_of(self.loss, fake_logits.detach(), real_logits.detach())

        return step_readings(d_total, d_parts, g_loss, real_logits, fake_logits,
                             as_probabilities=self.outputs_are_logits)

    def penalised(self, d_loss: torch.Tensor, real: torch.Tensor, fake: torch.Tensor, real_labels: torch.Tensor | None,
                  fake_labels: torch.Tensor | None) -> torch.Tensor:
        """D's loss plus the loss's penalty on the steps it applies to (read at each step: it may be replaced after
        the trainer is built), computed in fp32 for D's loss only."""
        extra = penalty_of(self.loss, self.step, self.D, real, fake.detach().float(), real_labels, fake_labels)
        return d_loss if extra is None else d_loss + extra

    def _augmented(self, images: torch.Tensor) -> torch.Tensor:
        return images if self.augment is None else self.augment(images)

    def _noise_batch(self, count: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        return draw_labelled(self.config.noise, count, self.G.latent_dim, self.num_classes, generator=self.noise)

    def _calibration_batch(self, count: int, source: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Noise (and labels) from a CPU generator of the caller's, moved to the device: EMA recalibration
        draws its fixed batches this way, leaving the training noise stream untouched."""
        z, labels = draw_labelled(self.config.noise, count, self.G.latent_dim, self.num_classes, generator=source)
        return z.to(self.device), None if labels is None else labels.to(self.device)

    # -- files ------------------------------------------------------------------------------------
    @torch.no_grad()
    def save_samples(self, path: Path) -> Path:
        """The fixed-noise grid of the sampling generator (batch norm in eval mode, running statistics)."""
        with self.autocast():
            images = self.samples.draw(self.sampler)
        self.health.check_samples(self.step, images, self.last_checkpoint)
        return self.samples.save(images, path)

    def save_plots(self) -> None:
        """loss.png from metrics.jsonl and samples.gif from the step grids, both in the run directory."""
        draw_run_pictures(self.run)

    def save_checkpoint(self, path: Path | None = None) -> Path:
        """Write a checkpoint: by default the next step-N file, pointed to by latest.json and pruned to --keep."""
        return checkpoint_state.save(self, path)

    def load_checkpoint(self, path: Path) -> None:
        """Restore everything a checkpoint holds, so training continues exactly where it stopped."""
        checkpoint_state.restore(self, path)

    def export(self, path: Path) -> Path:
        """Write the sampling generator alone, with what `gantool generate` needs to rebuild and sample it."""
        return write_export(path, self.sampler, self.parts, self.config, self.step)

