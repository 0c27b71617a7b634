"""`gantool evaluate`: offline sample quality of a trained generator, or of images made by any tool, with its
protocol and the real floor."""

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from gantool.arguments import EVALUATE_NUM, NEIGHBOURS
from gantool.commands.common import DataSetOption, DeviceOption
from gantool.completion import choices, part_names
from gantool.config import check_seed
from gantool.evaluation.learned_settings import EPOCHS, WIDTH, ContrastiveSettings
from gantool.registry import Registry

MEASURES = {"frechet_distance": "Fréchet distance (lower is better)", "kid": "KID ± spread (lower is better)",
            "precision": "precision (realistic samples)", "recall": "recall (real variety covered)",
            "classifier_score": "classifier score (max = classes)", "classes_covered": "classes covered",
            "class_entropy_bits": "class entropy, bits", "label_accuracy": "label accuracy",
            "modes_covered": "Stacked MNIST modes covered", "mode_kl": "mode KL from uniform (lower is better)"}


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def evaluate(
        source: Annotated[Path, typer.Argument(help=(
            "A run directory or its generator.safetensors export, a folder of images (PNG, JPEG, ...), or a .npy "
            "array of uint8 images shaped N x H x W x C or N x H x W."))],
        num: Annotated[int | None, typer.Option(min=EVALUATE_NUM.low, max=EVALUATE_NUM.high, show_default=False, help=(
            "Images to generate and measure; for a folder or an array, the most to measure (a seeded random "
            "choice) \\[default: 2000; 26000 for Stacked MNIST, as the literature counts]."))] = None,
        seed: Annotated[int, typer.Option(min=0, callback=lambda value: check_seed(value, "--seed"), help=(
            "Seed of the noise, of the real images drawn for the floor and of the KID subsets."))] = 0,
        extractor: Annotated[str, typer.Option(
            help="auto (digits for 1x28x28 and, per channel, 3x28x28; else inception if its weights are at hand, "
            "else learned), digits, inception, or learned (trained on the real images, cached).",
            autocompletion=choices("auto", "digits", "inception", "learned"))] = "auto",
        inception_weights: Annotated[Path | None, typer.Option(
            help="torchvision Inception-v3 weights as .safetensors (never downloaded; default: torch's hub cache)."
        )] = None,
        dataset: Annotated[str | None, typer.Option(autocompletion=part_names("dataset"), help=(
            "For a folder or an array: the dataset to measure against (its held-out part, else a fixed random "
            "half) \\[default: mnist5k; stacked-mnist for 3x28x28 images]."))] = None,
        set_: DataSetOption = None,
        neighbours: Annotated[int, typer.Option(min=NEIGHBOURS.low, max=NEIGHBOURS.high, help=(
            "k of the k-nearest-neighbour balls that precision and recall are measured with."))] = 3,
        untrained: Annotated[bool, typer.Option(
            "--untrained", help="Measure a freshly initialised generator with the same architecture and options "
            "instead: the starting point, for scale.")] = False,
        learned_seed: Annotated[int, typer.Option(min=0, callback=lambda value: check_seed(value, "--learned-seed"),
                                                  help="Seed of the learned features' training.")] = 0,
        learned_epochs: Annotated[int, typer.Option(min=EPOCHS.low, max=EPOCHS.high, help=(
            "Epochs of the learned features' training."))] = ContrastiveSettings.epochs,
        learned_width: Annotated[int, typer.Option(min=WIDTH.low, max=WIDTH.high, help=(
            "Width of the learned features' network: the features have 8 x width dimensions."))
                         ] = ContrastiveSettings.width,
        json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        device: DeviceOption = "auto",
    ) -> None:
        """Measure generated images against held-out real ones: Fréchet distance, KID, precision and recall,
        classifier scores (for Stacked MNIST, the modes covered and their KL from uniform), each beside the real
        floor."""
        from gantool.evaluation.api import measure
        from gantool.options import parse_set_arguments

        result = measure(registry(), source, num=num, seed=seed, extractor=extractor,
                         inception_weights=inception_weights, dataset=dataset,
                         options=parse_set_arguments(set_ or []), neighbours=neighbours, untrained=untrained,
                         device=device,
                         learned={"seed": learned_seed, "epochs": learned_epochs, "width": learned_width})
        if json_:
            print(json.dumps(result, indent=2))
        else:
            show(result)


def _fmt(metrics: dict[str, Any], key: str) -> str:
    value = metrics.get(key)
    if value is None:
        return "-"
    if key == "classes_covered":
        return f"{value}/{metrics['classes']}"
    if key == "modes_covered":
        return f"{value:,}/{metrics['modes']:,}"
    if key == "class_entropy_bits":
        return f"{value:.3f} (max {math.log2(metrics['classes']):.3f})"
    if key == "kid":
        return f"{value:.4g} ± {metrics['kid_std']:.2g}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _heading(result: dict[str, Any]) -> str:
    from gantool.consoles import literal

    if result.get("kind", "run") != "run":
        what = "a folder of images" if result["kind"] == "folder" else "an array"
        chosen = result["protocol"]["samples"]
        picked = f"{chosen:,} of {result['found']:,}, a random choice" if chosen < result["found"] else f"{chosen:,}"
        return f"[bold]{literal(result['source'])}[/]  {what}, {picked} images measured"
    what = "freshly initialised (--untrained)" if result.get("untrained") else f"step {result['step']}"
    return f"[bold]{literal(result['source'])}[/]  {literal(result['generator'])}, {what}"


def show(result: dict[str, Any]) -> None:
    """Print a result as a table of generated-versus-real numbers under its protocol."""
    from rich.table import Table

    from gantool.consoles import clean, out_console

    protocol = result["protocol"]
    out_console.print(_heading(result), highlight=False)
    out_console.print(clean(
        f"protocol: {protocol['samples']} samples (seed {protocol['seed']}), images "
        f"{'x'.join(map(str, protocol['image_size']))}, extractor {protocol['extractor']} "
        f"(sha256 {protocol['extractor_sha256'][:12]}…, {protocol['feature_dim']}-d features); KID over "
        f"{protocol['kid_subsets']} subsets of {protocol['kid_subset_size']}, precision/recall with k = "
        f"{protocol['neighbours']}\nreference: {protocol['reference']}\nfloor: {protocol.get('floor', '-')}"
        + (f"\nfeature space: learned from {protocol['extractor_trained_on']}, fingerprint "
           f"{protocol['fingerprint'][:16]}… (numbers compare only within one fingerprint, never with published FID)"
           if protocol.get("feature_space") == "learned" else "")
        + (f"\nmodes: {protocol['modes']}" if "modes" in protocol else "")
        + (f"\nnote: {protocol['note']}" if "note" in protocol else "")), markup=False, highlight=False)
    table = Table()
    for column in ("measure", "generated", "real floor"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for key, name in MEASURES.items():
        if key in result["metrics"]:
            table.add_row(name, _fmt(result["metrics"], key), _fmt(result.get("floor", {}), key))
    out_console.print(table)
