"""`gantool train`: compose G, D, loss and data by name and run the shared trainer."""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from gantool.commands.train_options import INVOCATION, resolve_config, train_parameters
from gantool.config import TrainConfig, flag
from gantool.errors import GantoolError
from gantool.registry import Registry
from gantool.storage.rundir import RunDir
from gantool.training.run import RESUMABLE, resumed_config, run_training


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    def train(ctx: typer.Context, config_file: Path | None, set_: list[str] | None, out: Path | None,
              resume: Path | None, quiet: bool, nproc: int | None, threads: int | None, **settings: Any) -> None:
        """Train a GAN. With no arguments: a conditional DCGAN (cgan) + BCE on the bundled 5,000 MNIST digits, about 4
        minutes on 2 cores."""
        if nproc is not None and nproc > 1:
            from gantool.training.launch import run_torchrun

            sys.exit(run_torchrun(nproc, (ctx.find_root().obj or {}).get("argv", [])))

        from gantool.consoles import err_console
        from gantool.training.signals import TrainingInterrupted

        given = {name for name in ctx.params if ctx.get_parameter_source(name).name == "COMMANDLINE"}
        if resume is not None:
            refuse_fixed_settings(resume, given)
            config = resumed_config(resume, settings, given)
        else:
            config = resolve_config(ctx, settings | {"set_": set_}, given, config_file)
        if threads is not None:  # how the run computes, not what it computes: not recorded in config.toml
            import torch

            torch.set_num_threads(threads)
        try:
            outcome = run_training(config, registry(), out=out, resume=resume, quiet=quiet)
        except TrainingInterrupted as stopped:
            if stopped.is_main:
                err_console.print(str(stopped), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(stopped.exit_code) from None
        if outcome.is_main:
            print(os.fspath(outcome.run_dir))

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

