"""`gantool export`: a trained generator as a folder to share (weights, config, model card, samples, demo)."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gantool.registry import Registry


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def export(
        source: Annotated[Path, typer.Argument(help="A finished run directory or its generator.safetensors export.")],
        folder: Annotated[Path, typer.Argument(help="The folder to create (new or empty).")],
    ) -> None:
        """Write a folder a model hub takes: model.safetensors, config.json, a model card (README.md), the sample
        grid and app.py for the demo. Upload it with the hub's own CLI (hf upload); gantool stays offline."""
        from gantool.storage.sharing import export_folder

        print(export_folder(registry(), source, folder))
