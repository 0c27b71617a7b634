"""`gantool interpolate`: walk the latent space between two seeds, as a PNG strip or an animated GIF."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gantool.arguments import INTERPOLATE_STEPS
from gantool.commands.common import DeviceOption
from gantool.completion import choices
from gantool.config import check_seed
from gantool.registry import Registry


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def interpolate(
        source: Annotated[Path, typer.Argument(help="A run directory or its generator.safetensors export.")],
        steps: Annotated[int, typer.Option(
            min=INTERPOLATE_STEPS.low, max=INTERPOLATE_STEPS.high,
            help="Images along the path, both ends included.")] = 10,
        seed_a: Annotated[int, typer.Option(min=0, callback=lambda value: check_seed(value, "--seed-a"),
                                            help="Start seed; the same seeds walk the same path.")] = 0,
        seed_b: Annotated[int | None, typer.Option(min=0, callback=lambda value: check_seed(value, "--seed-b"),
                                                   help="End seed \\[default: the start seed + 1].")] = None,
        mode: Annotated[str, typer.Option(help="lerp (straight line) or slerp (along the sphere).",
                                          autocompletion=choices("lerp", "slerp"))] = "slerp",
        out: Annotated[Path, typer.Option(help="A .png (one strip) or a .gif (animation).")] = Path(
            "interpolation.png"),
        label: Annotated[int | None, typer.Option(help="Class for a conditional generator \\[default: 0].")] = None,
        label_b: Annotated[int | None, typer.Option(
            help="Switch a conditional generator to this class halfway along the path.")] = None,
        frame_ms: Annotated[int, typer.Option(min=10, help="GIF: milliseconds per frame.")] = 100,
        scale: Annotated[int, typer.Option(min=1, max=16, help="GIF: enlarge frames this many times.")] = 4,
        device: DeviceOption = "auto",
    ) -> None:
        """Generate images along a path between two noise vectors (the label stays fixed or switches halfway)."""
        import torch

        from gantool.errors import GantoolError
        from gantool.images import save_grid
        from gantool.storage.exported import load_generator
        from gantool.storage.interpolation import interpolate as walk
        from gantool.storage.sample_files import write_gif
        from gantool.training.devices import pick_device

        if mode not in ("lerp", "slerp"):
            raise GantoolError(f"--mode {mode!r} is not known; use lerp or slerp")
        if out.suffix.lower() not in (".png", ".gif"):
            raise GantoolError(f"--out {out} must end in .png (a strip) or .gif (an animation)")
        loaded = load_generator(registry(), source, device=pick_device(device))
        if label_b is not None and not loaded.num_classes:
            raise GantoolError(f"--label-b needs a conditional generator; {loaded.state['generator']} is "
                               "unconditional, so leave it out")
        first = loaded.labels_for(steps, label if label is not None or not loaded.num_classes else 0, None)
        if label_b is not None:
            second = loaded.labels_for(steps, label_b, None)
            first = torch.where(torch.arange(steps, device=first.device) < (steps + 1) // 2, first, second)
        seed_b = seed_a + 1 if seed_b is None else seed_b
        path = walk(loaded.noise(1, seed_a)[0], loaded.noise(1, seed_b)[0], steps, mode)  # type: ignore[arg-type]
        images = loaded.sample(path, first)
        if out.suffix.lower() == ".gif":
            write_gif(images, out, frame_ms=frame_ms, scale=scale)
        else:
            save_grid(images, out, nrow=steps)
        print(f"{out}  (seed-a {seed_a}, seed-b {seed_b}, {mode})")
