"""`gantool evaluate`: offline sample quality of a trained generator, or of images made by any tool, with its
protocol and the real floor."""

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from gantool.commands.common import DataSetOption, DeviceOption
from gantool.completion import choices, part_names
from gantool.registry import Registry

MEASURES = {"frechet_distance": "Fréchet distance (lower is better)", "kid": "KID ± spread (lower is better)",
            "precision": "precision (realistic samples)", "recall": "recall (real variety covered)",
            "classifier_score": "classifier score (max = classes)", "classes_covered": "classes covered",
            "class_entropy_bits": "class entropy, bits", "label_accuracy": "label accuracy"}


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def evaluate(
        source: Annotated[Path, typer.Argument(help=(
            "A run directory or its generator.safetensors export, a folder of images (PNG, JPEG, ...), or a .npy "
            "array of uint8 images shaped N x H x W x C or N x H x W."))],
        num: Annotated[int, typer.Option(min=2, max=50000, help=(
            "How many images to generate and measure; for a folder or an array, the most to measure (a seeded "
            "random choice when there are more)."))] = 2000,
        seed: Annotated[int, typer.Option(help=(
            "Seed of the noise, of the real images drawn for the floor and of the KID subsets."))] = 0,
        extractor: Annotated[str, typer.Option(
            help="Feature extractor: auto (digit classifier for 1x28x28, else Inception-v3), digits or inception.",
            autocompletion=choices("auto", "digits", "inception"))] = "auto",
        inception_weights: Annotated[Path | None, typer.Option(
            help="torchvision Inception-v3 weights as .safetensors (never downloaded; default: torch's hub cache)."
        )] = None,
        dataset: Annotated[str | None, typer.Option(autocompletion=part_names("dataset"), help=(
            "For a folder or an array: the dataset whose real images to measure against (its held-out part if it "
            "declares one, else a fixed random half) \\[default: mnist5k, the bundled digits]."))] = None,
        set_: DataSetOption = None,
        neighbours: Annotated[int, typer.Option(min=1, max=100, help=(
            "k of the k-nearest-neighbour balls that precision and recall are measured with."))] = 3,
        untrained: Annotated[bool, typer.Option(
            "--untrained", help="Measure a freshly initialised generator with the same architecture and options "
            "instead: the starting point, for scale.")] = False,
        json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        device: DeviceOption = "auto",
    ) -> None:
        """Measure generated images against held-out real ones: Fréchet distance, KID, precision and recall,
        classifier scores, each beside the real floor."""
        from gantool.devices import pick_device
        from gantool.errors import GantoolError
        from gantool.rundir import RunDir

        if extractor not in ("auto", "digits", "inception"):
            raise GantoolError(f"--extractor {extractor!r} is not known; use auto, digits or inception")
        if inception_weights is not None:
            from gantool.evaluation.inception import find_weights

            find_weights(inception_weights)  # refuse pickles and missing files before any work
        common = {"num": num, "seed": seed, "extractor": extractor, "inception_weights": inception_weights,
                  "neighbours": neighbours, "device": pick_device(device)}
        run = RunDir(source)
        if source.suffix.lower() == ".npy" or (source.is_dir() and not (run.is_run or run.finished)):
            if untrained:
                raise GantoolError("--untrained measures a fresh copy of a run's generator; give a run directory or "
                                   "its export, not a folder or an array of images")
            result = measure_images(registry(), source, dataset=dataset, settings=set_ or [], **common)
        else:
            if dataset is not None or set_:
                raise GantoolError("--dataset and --set choose the real images for a folder or an array; a run is "
                                   "measured against its own data, so leave them out")
            result = measure_run(registry(), source, untrained=untrained, **common)
        if json_:
            print(json.dumps(result, indent=2))
        else:
            show(result)


def measure_run(registry: Registry, source: Path, *, num: int, seed: int, extractor: Any,
                inception_weights: Path | None, neighbours: int, device: Any, untrained: bool) -> dict[str, Any]:
    """Sample a run's generator (or a fresh one of its shape) and measure it against the run's reference."""
    from gantool.evaluation.evaluator import build_evaluator
    from gantool.evaluation.reference import overlap_note
    from gantool.exported import load_generator, run_data

    loaded = load_generator(registry, source, device=device)
    generator = loaded.generator
    if untrained:
        import torch

        from gantool.assembly import build_generator

        torch.manual_seed(seed)
        generator = build_generator(registry, loaded.state["generator"], loaded.state["options"], loaded.spec)
        generator.to(loaded.device).eval()
    dataset, data_options = run_data(source, loaded.state)
    evaluator = build_evaluator(registry, loaded.spec, choice=extractor, dataset=dataset, data_options=data_options,
                                inception_weights=inception_weights, device=loaded.device, neighbours=neighbours)
    result = {"source": str(source), "kind": "run", "generator": loaded.state["generator"],
              "step": 0 if untrained else loaded.state.get("step"), "untrained": untrained,
              **evaluator.measure(generator, num=num, seed=seed, noise=loaded.state.get("noise", "normal"))}
    note = overlap_note(registry, evaluator.real, dataset, data_options)
    if note:
        result["protocol"]["note"] = note
    return result


def measure_images(registry: Registry, source: Path, *, num: int, seed: int, extractor: Any,
                   inception_weights: Path | None, neighbours: int, device: Any, dataset: str | None,
                   settings: list[str]) -> dict[str, Any]:
    """Measure a folder of images or a .npy array against the real images of `dataset` (default: the bundled
    digits), built with its --set data.* options."""
    import torch

    from gantool.errors import GantoolError
    from gantool.evaluation.evaluator import evaluator_for, pick_extractor
    from gantool.evaluation.reference import DIGIT_REFERENCE
    from gantool.evaluation.sources import read_array, read_folder
    from gantool.interfaces import DataSpec
    from gantool.options import parse_set_arguments

    options = parse_set_arguments(settings)
    others = [kind for kind, values in options.items() if values and kind != "data"]
    if others:
        raise GantoolError(f"evaluate builds only the real images: drop the --set {others[0]}.* options")
    kind = "array" if source.suffix.lower() == ".npy" else "folder"
    pixels, found = (read_array if kind == "array" else read_folder)(source, num, seed)
    images = torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()
    spec = DataSpec(*images.shape[1:])
    evaluator = evaluator_for(registry, pick_extractor(spec, extractor, inception_weights), dataset or DIGIT_REFERENCE,
                              options["data"], inception_weights=inception_weights, device=device,
                              neighbours=neighbours, shape=tuple(images.shape[1:]))
    return {"source": str(source), "kind": kind, "found": found, **evaluator.measure_images(images, seed=seed)}


def _fmt(metrics: dict[str, Any], key: str) -> str:
    value = metrics.get(key)
    if value is None:
        return "-"
    if key == "classes_covered":
        return f"{value}/{metrics['classes']}"
    if key == "class_entropy_bits":
        return f"{value:.3f} (max {math.log2(metrics['classes']):.3f})"
    if key == "kid":
        return f"{value:.4g} ± {metrics['kid_std']:.2g}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _heading(result: dict[str, Any]) -> str:
    if result.get("kind", "run") != "run":
        what = "a folder of images" if result["kind"] == "folder" else "an array"
        chosen = result["protocol"]["samples"]
        picked = f"{chosen:,} of {result['found']:,}, a random choice" if chosen < result["found"] else f"{chosen:,}"
        return f"[bold]{result['source']}[/]  {what}, {picked} images measured"
    what = "freshly initialised (--untrained)" if result.get("untrained") else f"step {result['step']}"
    return f"[bold]{result['source']}[/]  {result['generator']}, {what}"


def show(result: dict[str, Any]) -> None:
    """Print a result as a table of generated-versus-real numbers under its protocol."""
    from rich.table import Table

    from gantool.consoles import out_console

    protocol = result["protocol"]
    out_console.print(_heading(result), highlight=False)
    out_console.print(
        f"protocol: {protocol['samples']} samples (seed {protocol['seed']}), images "
        f"{'x'.join(map(str, protocol['image_size']))}, extractor {protocol['extractor']} "
        f"(sha256 {protocol['extractor_sha256'][:12]}…, {protocol['feature_dim']}-d features); KID over "
        f"{protocol['kid_subsets']} subsets of {protocol['kid_subset_size']}, precision/recall with k = "
        f"{protocol['neighbours']}\nreference: {protocol['reference']}\nfloor: {protocol.get('floor', '-')}"
        + (f"\nnote: {protocol['note']}" if "note" in protocol else ""), highlight=False)
    table = Table()
    for column in ("measure", "generated", "real floor"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for key, name in MEASURES.items():
        if key in result["metrics"]:
            table.add_row(name, _fmt(result["metrics"], key), _fmt(result.get("floor", {}), key))
    out_console.print(table)
