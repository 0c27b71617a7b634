"""`gantool generate`: sample images from a finished run or a generator export."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gantool.arguments import GENERATE_NUM
from gantool.commands.common import DeviceOption
from gantool.completion import choices
from gantool.config import check_seed
from gantool.registry import Registry

FORMATS = ("grid", "files", "npy")
DEFAULT_OUT = {"grid": Path("generated.png"), "files": Path("generated"), "npy": Path("generated.npy")}


def check_out(out: Path | None, format_: str) -> Path:
    """The output path for a format, refusing names that would write the wrong kind of file."""
    from gantool.errors import GantoolError

    if out is None:
        return DEFAULT_OUT[format_]
    expected = {"grid": ".png", "npy": ".npy"}.get(format_)
    if expected and out.suffix.lower() != expected:
        raise GantoolError(f"--format {format_} writes a {expected} file; give --out a name ending in {expected}")
    if format_ == "files" and out.exists() and not out.is_dir():
        raise GantoolError(f"--format files writes a folder of PNGs, but {out} is a file; give --out a folder")
    return out


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def generate(
        source: Annotated[Path, typer.Argument(help="A run directory or its generator.safetensors export.")],
        num: Annotated[int, typer.Option(
            min=GENERATE_NUM.low, max=GENERATE_NUM.high, help="How many images (per class with --per-class).")]
        = 64,
        out: Annotated[Path | None, typer.Option(help=(
            "Where to write: a .png (grid), a folder (files) or a .npy file (npy) \\[default: generated.png, "
            "generated/ or generated.npy]"))] = None,
        format_: Annotated[str, typer.Option(
            "--format", help="grid: one PNG; files: a folder of single PNGs; npy: uint8 array (N, H, W, C).",
            autocompletion=choices(*FORMATS))] = "grid",
        seed: Annotated[int, typer.Option(min=0, callback=lambda value: check_seed(value, "--seed"), help=(
            "Seed of the noise; the same seed draws the same images."))] = 0,
        label: Annotated[int | None, typer.Option(help="Class to draw (conditional generators).")] = None,
        per_class: Annotated[bool, typer.Option(
            "--per-class", help=(
                "Draw NUM images of every class, one grid row per class, from the same NUM noise vectors in every "
                "row (conditional generators).")
        )] = False,
        device: DeviceOption = "auto",
    ) -> None:
        """Draw images from a trained generator (its EMA weights when the run kept them)."""
        import torch

        from gantool.errors import GantoolError
        from gantool.storage.exported import load_generator
        from gantool.storage.sample_files import write_images
        from gantool.training.devices import pick_device

        if format_ not in FORMATS:
            raise GantoolError(f"--format {format_!r} is not known; use {', '.join(FORMATS)}")
        out = check_out(out, format_)
        if per_class and label is not None:
            raise GantoolError("--per-class and --label both choose the classes; give only one of them")
        loaded = load_generator(registry(), source, device=pick_device(device))
        if per_class:
            if not loaded.num_classes:
                raise GantoolError(f"--per-class needs a conditional generator; {loaded.state['generator']} is "
                                   "unconditional, so leave --per-class out")
            labels = torch.arange(loaded.num_classes).repeat_interleave(num)
        else:
            labels = loaded.labels_for(num, label, torch.Generator().manual_seed(seed + 1))
        # --per-class: the same NUM noise vectors in every class row, so rows differ by the label alone
        z = loaded.noise(num, seed).repeat(loaded.num_classes, 1) if per_class else loaded.noise(num, seed)
        images = loaded.sample(z, labels)
        write_images(images, None if labels is None else labels.cpu(), out, format_, nrow=num if per_class else None)
        print(out)
