"""The hook gantool finds through this package's `gantool` entry point: it adds the `demo` command.

Imported by every gantool command, `gantool --help` included, so nothing heavy is imported here.
"""

from pathlib import Path
from typing import Annotated

import typer
from gantool import hookimpl

from gantool_demo import DEFAULT_PORT


@hookimpl
def register_commands(app: typer.Typer) -> None:
    @app.command()
    def demo(
        source: Annotated[
            Path, typer.Argument(help="A run directory, its generator.safetensors, or an exported folder.")
        ],
        port: Annotated[
            int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1 to serve the page on.")
        ] = DEFAULT_PORT,
        device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "cpu",
    ) -> None:
        """Serve a web page on 127.0.0.1 to sample, walk and download a trained generator (Ctrl-C stops it)."""
        from gantool_demo import launch

        launch(source, port=port, device=device)
