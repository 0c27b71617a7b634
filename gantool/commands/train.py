"""`gantool train`: compose G, D, loss and data by name and run the shared trainer."""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from gantool.commands.train_options import resolve_config, train_parameters
from gantool.registry import Registry


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    def train(ctx: typer.Context, config_file: Path | None, set_: list[str] | None, out: Path | None,
              resume: Path | None, quiet: bool, nproc: int | None, **settings: Any) -> None:
        """Train a GAN. With no arguments: a conditional DCGAN (cgan) + BCE on the bundled 5,000 MNIST digits, about 4
        minutes on 2 cores."""
        if nproc is not None and nproc > 1:
            from gantool.launch import run_torchrun

            sys.exit(run_torchrun(nproc, (ctx.find_root().obj or {}).get("argv", [])))

        from gantool.consoles import err_console
        from gantool.signals import TrainingInterrupted
        from gantool.training import resumed_config, run_training

        given = {name for name in ctx.params if ctx.get_parameter_source(name).name == "COMMANDLINE"}
        config = resolve_config(ctx, settings | {"set_": set_}, given, config_file)
        if resume is not None:
            config = resumed_config(resume, settings, given)
        try:
            outcome = run_training(config, registry(), out=out, resume=resume, quiet=quiet)
        except TrainingInterrupted as stopped:
            if stopped.is_main:
                err_console.print(str(stopped), highlight=False, soft_wrap=True)
            raise typer.Exit(stopped.exit_code) from None
        if outcome.is_main:
            print(os.fspath(outcome.run_dir))

    parameters = train_parameters()
    train.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    train.__annotations__ = {param.name: param.annotation for param in parameters}
    app.command()(train)
