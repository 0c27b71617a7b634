"""A run directory: the name of every file a run writes, and the rules for a new, resumed or finished run.

Every command that reads or writes a run (train, generate, evaluate, interpolate, inspect, the trainer)
asks a `RunDir` for its paths instead of spelling file names. Torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gantool.errors import GantoolError

CONFIG = "config.toml"
METRICS = "metrics.jsonl"
LOSS_PLOT = "loss.png"
SAMPLES_GIF = "samples.gif"
SAMPLES = "samples"
CHECKPOINTS = "checkpoints"
LATEST_POINTER = "latest.json"
BEST_CHECKPOINT = "best.safetensors"
EXPORT = "generator.safetensors"
BEST_EXPORT = "generator-best.safetensors"
TENSORBOARD = "tensorboard"


@dataclass(frozen=True)
class RunDir:
    """The folder of one training run and the files in it."""

    path: Path

    @classmethod
    def default(cls, gen: str, dataset: str) -> RunDir:
        """runs/DATE-GEN-DATASET, for a new run without --out."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return cls(Path("runs") / f"{stamp}-{gen.replace(':', '-')}-{dataset.replace(':', '-')}")

    config = property(lambda self: self.path / CONFIG)
    metrics = property(lambda self: self.path / METRICS)
    loss_plot = property(lambda self: self.path / LOSS_PLOT)
    samples_gif = property(lambda self: self.path / SAMPLES_GIF)
    samples = property(lambda self: self.path / SAMPLES)
    checkpoints = property(lambda self: self.path / CHECKPOINTS)
    latest_pointer = property(lambda self: self.path / CHECKPOINTS / LATEST_POINTER)
    best_checkpoint = property(lambda self: self.path / CHECKPOINTS / BEST_CHECKPOINT)
    export = property(lambda self: self.path / EXPORT)
    best_export = property(lambda self: self.path / BEST_EXPORT)
    tensorboard = property(lambda self: self.path / TENSORBOARD)

    def sample_grid(self, step: int | None) -> Path:
        """The grid of fixed-noise samples at a step, or the final one (None)."""
        return self.samples / ("final.png" if step is None else f"step-{step:07d}.png")

    def sample_grids(self) -> list[Path]:
        """The step grids written so far, in order (for the animation)."""
        return sorted(self.samples.glob("step-*.png"))

    # -- the rules ----------------------------------------------------------------------------------
    @property
    def is_run(self) -> bool:
        """A folder holds a run once its config.toml is written."""
        return self.config.is_file()

    @property
    def finished(self) -> bool:
        """A run has finished when its export exists."""
        return self.export.is_file()

    def read_config(self) -> dict[str, Any]:
        """The run's config.toml as written (plugins and resolved options included)."""
        from gantool.config import read_config_file

        return read_config_file(self.config)

    def refuse_overwrite(self, *, resume: bool) -> None:
        """An earlier run's folder is only ever continued, never overwritten."""
        if not resume and self.config.exists():
            raise GantoolError(f"{self.path} already holds a run; continue it with --resume {self.path} "
                               "or choose another --out")

    def prepare(self, *, resume: bool) -> None:
        """Create the folder of a new (or resumed) run, failing early if it is taken or unwritable."""
        self.refuse_overwrite(resume=resume)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise GantoolError(f"cannot write to {self.path}: {exc.strerror or exc}; choose a writable --out") from None

    def check_resume_source(self) -> None:
        """--resume takes a run directory; a pickle is refused with the reason, any other file with the fix."""
        from gantool.checkpoint import refuse_pickle

        refuse_pickle(self.path)
        if self.path.exists() and not self.path.is_dir():
            raise GantoolError(f"--resume takes a run directory, not the file {self.path}: give the folder that "
                               f"holds {CONFIG} and {CHECKPOINTS}/")

    def resume_checkpoint(self) -> Path:
        """The checkpoint a resumed run continues from: the newest complete one."""
        from gantool.checkpoint import latest_checkpoint

        self.check_resume_source()
        checkpoint = latest_checkpoint(self.path)
        if checkpoint is None:
            raise GantoolError(f"{self.path} has no checkpoint to resume from; start a new run with gantool train")
        return checkpoint


def export_of(source: Path) -> Path:
    """The export a command reads: a run directory's, or the file given."""
    return RunDir(source).export if source.is_dir() else source


def finished_export(source: Path) -> Path:
    """Like `export_of`, refusing a run directory that has not finished."""
    if source.is_dir() and not RunDir(source).finished:
        raise GantoolError(f"{source} has no {EXPORT}: the run has not finished; train it to the end or "
                           f"resume it with gantool train --resume {source}")
    return export_of(source)
