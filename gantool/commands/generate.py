"""`gantool generate`: sample images from a finished run or a generator export."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gantool.registry import Registry


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def generate(
        source: Annotated[Path, typer.Argument(help="A run directory or its generator.safetensors export.")],
        num: Annotated[int, typer.Option(min=1, max=10000, help="How many images.")] = 64,
        out: Annotated[Path, typer.Option(help="PNG file to write the grid to.")] = Path("generated.png"),
        seed: Annotated[int, typer.Option(help="Seed of the noise.")] = 0,
        label: Annotated[int | None, typer.Option(help="Class to draw (conditional generators).")] = None,
        device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "cpu",
    ) -> None:
        """Draw NUM images from a trained generator into one PNG grid."""
        import torch

        from gantool.exported import load_generator
        from gantool.images import save_grid
        from gantool.trainer import pick_device

        loaded = load_generator(registry(), source, device=pick_device(device))
        noise = torch.Generator().manual_seed(seed)
        z = torch.randn(num, loaded.generator.latent_dim, generator=noise).to(loaded.device)
        labels = loaded.labels_for(num, label, noise)
        with torch.no_grad():
            images = loaded.generator(z, labels)
        save_grid(images, out)
        print(out)
