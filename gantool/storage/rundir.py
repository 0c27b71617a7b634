"""A run directory: the name of every file a run writes, and the rules for a new, resumed or finished run.

Every command that reads or writes a run (train, generate, evaluate, interpolate, inspect, the trainer)
asks a `RunDir` for its paths instead of spelling file names. Torch-free.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gantool.errors import GantoolError, GantoolWarning
from gantool.storage.checkpoint import TEMP_SUFFIX, atomic_write_text, refuse_pickle
from gantool.storage.runlock import RunLock

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
LOCK = ".lock"
OUTCOME = "outcome.json"
CHECKPOINT_NAME = re.compile(r"step-\d{9}\.safetensors")
GRID_NAME = re.compile(r"step-(\d{7,})\.png")
# what a run writes in its folder; none of these may be a symbolic link (see RunDir.refuse_links)
PARTS = (CONFIG, METRICS, LOSS_PLOT, SAMPLES_GIF, SAMPLES, CHECKPOINTS, EXPORT, BEST_EXPORT, TENSORBOARD, LOCK,
         OUTCOME)


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
    lock = property(lambda self: self.path / LOCK)
    outcome = property(lambda self: self.path / OUTCOME)  # how the last training process ended, if it stopped

    def sample_grid(self, step: int | None) -> Path:
        """The grid of fixed-noise samples at a step, or the final one (None)."""
        return self.samples / ("final.png" if step is None else f"step-{step:07d}.png")

    def sample_grids(self) -> list[Path]:
        """The step grids written so far, in order (for the animation)."""
        return sorted(path for path in self.samples.glob("step-*.png") if GRID_NAME.fullmatch(path.name))

    def metric_records(self) -> tuple[list[dict[str, Any]], int]:
        """The readable lines of metrics.jsonl, and how many were not (a line cut short by a full disk)."""
        if not self.metrics.is_file():
            return [], 0
        records, unreadable = [], 0
        for line in self.metrics.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            if isinstance(record, dict) and isinstance(record.get("step"), int):
                records.append(record)
            else:
                unreadable += 1
        return records, unreadable

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
        """An earlier run's folder is only ever continued, never overwritten; one that stopped before its first
        checkpoint holds nothing to continue, so a new run may take it (what resume_checkpoint advises)."""
        if not resume and (self.finished or latest_checkpoint(self.path) is not None):
            raise GantoolError(f"{self.path} already holds a run with checkpoints; continue it with --resume "
                               f"{self.path} or choose another --out")

    def prepare(self, *, resume: bool) -> RunLock:
        """Create and lock the folder of a new (or resumed) run, failing early if it is taken or unwritable, and
        remove the temporary files a killed process left. The caller holds the returned lock while it trains."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self.refuse_links()
            lock = RunLock(self.lock, self.path).acquire()
        except OSError as exc:
            raise GantoolError(f"cannot write to {self.path}: {exc.strerror or exc}; choose a writable --out") from None
        try:
            self.refuse_overwrite(resume=resume)  # under the lock, so no other process can be writing here
            probe = self.path / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
            self.outcome.unlink(missing_ok=True)  # it trains again: how it ended before no longer says how it is
            for folder in (self.path, self.samples, self.checkpoints):  # one writer per run: these are leftovers
                for stale in folder.glob(f".*{TEMP_SUFFIX}"):
                    stale.unlink(missing_ok=True)
        except OSError as exc:
            lock.release()
            raise GantoolError(f"cannot write to {self.path}: {exc.strerror or exc}; choose a writable --out") from None
        except BaseException:
            lock.release()
            raise
        return lock

    def refuse_links(self) -> None:
        """gantool writes, prunes and loads a run's files only inside its folder: a symbolic link among them (to
        checkpoints elsewhere, a step file outside) could lead any of that away, so it is refused."""
        parts = [self.path / name for name in PARTS]
        for folder in (self.checkpoints, self.samples):
            if folder.is_dir() and not folder.is_symlink():
                parts += folder.iterdir()
        for part in parts:
            if part.is_symlink():
                raise GantoolError(f"{part} is a symbolic link; gantool reads, writes and deletes run files only "
                                   "inside the run folder, so it refuses links there: put the file or folder "
                                   "itself in its place")

    def forget_after(self, step: int) -> None:
        """Training (re)starts at `step`: drop the metric lines and sample grids of later steps, which it writes
        again, so each step is logged once; and lines a cut-short write left, with a warning."""
        records, unreadable = self.metric_records()
        kept = [record for record in records if record["step"] <= step]
        if unreadable or len(kept) < len(records):
            atomic_write_text(self.metrics, "".join(json.dumps(record) + "\n" for record in kept))
        if unreadable:
            warnings.warn(GantoolWarning(f"{self.metrics} held {unreadable} unreadable line(s), left by a write "
                                         "that was cut short (a full disk?); dropped them"), stacklevel=2)
        for grid in self.sample_grids():
            if int(GRID_NAME.fullmatch(grid.name)[1]) > step:
                grid.unlink()

    @property
    def restart_command(self) -> str:
        """How to start a run that stopped before its first checkpoint again, in its own folder and settings."""
        return f"gantool train --config {self.config} --out {self.path}"

    def check_resume_source(self) -> None:
        """--resume takes a run directory; a pickle is refused with the reason, any other file with the fix."""
        refuse_pickle(self.path)
        if self.path.exists() and not self.path.is_dir():
            raise GantoolError(f"--resume takes a run directory, not the file {self.path}: give the folder that "
                               f"holds {CONFIG} and {CHECKPOINTS}/")

    def resume_checkpoint(self) -> Path:
        """The checkpoint a resumed run continues from: the newest complete one."""
        self.check_resume_source()
        self.refuse_links()
        checkpoint = latest_checkpoint(self.path)
        if checkpoint is None:
            raise GantoolError(f"{self.path} has no checkpoint to resume from (it stopped before its first one); "
                               f"start it again with: {self.restart_command}")
        return checkpoint


def export_of(source: Path) -> Path:
    """The export a command reads: a run directory's, or the file given; a run whose parts include a symbolic link
    (its export leading to a file elsewhere) is refused, as training refuses it."""
    run = RunDir(source if source.is_dir() else source.parent)
    if run.is_run:
        run.refuse_links()
    return RunDir(source).export if source.is_dir() else source


def finished_export(source: Path) -> Path:
    """Like `export_of`, refusing a run directory that has not finished; an exported folder gives its checked
    model file."""
    if source.is_dir() and not RunDir(source).is_run:
        from gantool.storage.export_folder import checked_model, is_export_folder

        if is_export_folder(source):
            return checked_model(source)
    if source.is_dir() and not RunDir(source).finished:
        raise GantoolError(f"{source} has no {EXPORT}: the run has not finished; train it to the end or "
                           f"resume it with gantool train --resume {source}")
    return export_of(source)


# -- the checkpoints/ folder ---------------------------------------------------------------------
def checkpoint_path(run_dir: Path, step: int) -> Path:
    """The checkpoint file of a step (nine digits, so names sort by step)."""
    return RunDir(run_dir).checkpoints / f"step-{step:09d}.safetensors"


def write_latest_pointer(run_dir: Path, checkpoint: Path) -> None:
    """Point `checkpoints/latest.json` at a checkpoint (replaced atomically)."""
    atomic_write_text(RunDir(run_dir).latest_pointer, json.dumps({"checkpoint": checkpoint.name}))


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run: the pointer's target, else the newest file."""
    folder, pointer = RunDir(run_dir).checkpoints, RunDir(run_dir).latest_pointer
    if pointer.is_file():
        try:
            name = json.loads(pointer.read_text())["checkpoint"]
            # only a plain checkpoint name in this folder: a pointer must not lead anywhere else
            if isinstance(name, str) and CHECKPOINT_NAME.fullmatch(name) and (folder / name).is_file():
                return folder / name
        except (json.JSONDecodeError, KeyError, TypeError, OSError, UnicodeDecodeError):
            pass
    candidates = _checkpoints(folder)
    return candidates[-1] if candidates else None


def _checkpoints(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("step-*.safetensors") if CHECKPOINT_NAME.fullmatch(path.name))


def prune_checkpoints(run_dir: Path, keep: int, protect: tuple[Path, ...] = ()) -> None:
    """Delete all but the newest `keep` checkpoints (never those in `protect`), and temp files a crash left."""
    folder = RunDir(run_dir).checkpoints
    for stale in folder.glob(f".*{TEMP_SUFFIX}"):  # one writer per run: any temp file here is from a killed one
        stale.unlink(missing_ok=True)
    if keep <= 0:
        return
    for old in _checkpoints(folder)[:-keep]:
        if old not in protect:
            old.unlink(missing_ok=True)
