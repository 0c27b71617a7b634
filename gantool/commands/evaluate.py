"""`gantool evaluate`: offline sample quality of a trained generator, with its protocol and the real floor."""

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from gantool.registry import Registry


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def evaluate(
        source: Annotated[Path, typer.Argument(help="A run directory or its generator.safetensors export.")],
        num: Annotated[int, typer.Option(min=2, max=50000, help="How many images to generate and measure.")] = 2000,
        seed: Annotated[int, typer.Option(help="Seed of the noise (and of the real images drawn for the floor).")] = 0,
        extractor: Annotated[str, typer.Option(
            help="Feature extractor: auto (digit classifier for 1x28x28, else Inception-v3), digits or inception."
        )] = "auto",
        inception_weights: Annotated[Path | None, typer.Option(
            help="torchvision Inception-v3 weights as .safetensors (never downloaded; default: torch's hub cache)."
        )] = None,
        untrained: Annotated[bool, typer.Option(
            "--untrained", help="Measure a freshly initialised generator with the same architecture and options "
            "instead: the starting point, for scale.")] = False,
        json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "cpu",
    ) -> None:
        """Measure generated images against held-out real ones: Fréchet distance, classifier scores, floor."""
        from gantool.errors import GantoolError
        from gantool.evaluation.digits import EXTRACTOR_NAME as DIGITS
        from gantool.evaluation.evaluator import build_evaluator
        from gantool.exported import load_generator, run_data
        from gantool.trainer import pick_device

        if extractor not in ("auto", "digits", "inception"):
            raise GantoolError(f"--extractor {extractor!r} is not known; use auto, digits or inception")
        if inception_weights is not None:
            from gantool.evaluation.inception import find_weights

            find_weights(inception_weights)  # refuse pickles and missing files before any work
        loaded = load_generator(registry(), source, device=pick_device(device))
        generator = loaded.generator
        if untrained:
            import torch

            from gantool.assembly import build_generator

            torch.manual_seed(seed)
            generator = build_generator(registry(), loaded.state["generator"], loaded.state["options"], loaded.spec)
            generator.to(loaded.device).eval()
        dataset, data_options = run_data(source, loaded.state)
        evaluator = build_evaluator(registry(), loaded.spec, choice=extractor, dataset=dataset,  # type: ignore[arg-type]
                                    data_options=data_options, inception_weights=inception_weights,
                                    device=loaded.device)
        result = {"source": str(source), "generator": loaded.state["generator"],
                  "step": 0 if untrained else loaded.state.get("step"), "untrained": untrained,
                  **evaluator.measure(generator, num=num, seed=seed, noise=loaded.state.get("noise", "normal"))}
        if result["protocol"]["extractor"] == DIGITS and dataset == "mnist5k" and data_options.get("split") != "train":
            result["protocol"]["note"] = ("the generator was trained on mnist5k digits that include the held-out "
                                          "reference; train with --set data.split=train for a strict protocol")
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
    if key == "class_entropy_bits":
        return f"{value:.3f} (max {math.log2(metrics['classes']):.3f})"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def show(result: dict[str, Any]) -> None:
    """Print a result as a table of generated-versus-real numbers under its protocol."""
    from rich.table import Table

    from gantool.consoles import out_console

    protocol = result["protocol"]
    what = "freshly initialised (--untrained)" if result.get("untrained") else f"step {result['step']}"
    out_console.print(f"[bold]{result['source']}[/]  {result['generator']}, {what}", highlight=False)
    out_console.print(
        f"protocol: {protocol['samples']} samples (seed {protocol['seed']}), images "
        f"{'x'.join(map(str, protocol['image_size']))}, extractor {protocol['extractor']} "
        f"(sha256 {protocol['extractor_sha256'][:12]}…, {protocol['feature_dim']}-d features)\n"
        f"reference: {protocol['reference']}\nfloor: {protocol.get('floor', '-')}"
        + (f"\nnote: {protocol['note']}" if "note" in protocol else ""), highlight=False)
    table = Table()
    for column in ("measure", "generated", "real floor"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    names = {"frechet_distance": "Fréchet distance (lower is better)", "classifier_score": "classifier score (max = "
             "classes)", "classes_covered": "classes covered", "class_entropy_bits": "class entropy, bits",
             "label_accuracy": "label accuracy"}
    for key, name in names.items():
        if key in result["metrics"]:
            table.add_row(name, _fmt(result["metrics"], key), _fmt(result.get("floor", {}), key))
    out_console.print(table)
