"""Check that evaluate's learned features rank what they should, before trusting them (docs/evaluation.md).

Run from the repository root, under the shared CPU lock on a busy machine (minutes on 2 CPU cores):
    PYTHONPATH=.:plugins python tools/validate_learned_features.py --folder /work/data/emoji64 --out /tmp/validation
It writes one JSON line per measurement to OUT/results.jsonl (and prints it):
- colour: for each extractor seed, real images (the floor), lightly and strongly blurred copies of them, uniform
  noise, and the samples of a 150-step DCGAN trained on the folder, all against the held-out reference;
- digits: the checkpoints of a 400-step DCGAN (and a fresh generator) on mnist5k, measured by the shipped digit
  classifier and by learned features of two seeds, so the rankings can be compared.
Runs and learned features are cached (OUT and GANTOOL_CACHE), so a second call only measures.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch
from torchvision.transforms.functional import gaussian_blur

from gantool.assembly import build_generator
from gantool.evaluation.evaluator import Evaluator, digit_evaluator, evaluator_for
from gantool.evaluation.frechet import feature_stats, frechet_from_stats
from gantool.evaluation.learned_settings import ContrastiveSettings
from gantool.interfaces import DataSpec
from gantool.registry import load_registry
from gantool.storage.exported import checkpoint_sampler, load_generator
from gantool.storage.rundir import RunDir, checkpoint_path

CPU = torch.device("cpu")
MEASURES = ("frechet_distance", "kid", "precision", "recall")
DIGIT_STEPS = (50, 100, 200, 400)


class Log:
    """Appends each record as one JSON line to a file and prints it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, **record: object) -> None:
        line = json.dumps(record | {"time": time.strftime("%H:%M:%S")})
        print(line, flush=True)
        with self.path.open("a") as handle:
            handle.write(line + "\n")


def numbers(result: dict) -> dict:
    """The four measures of a result and of its floor."""
    floor = result.get("floor", {})
    return {key: result["metrics"][key] for key in MEASURES} | {f"floor_{key}": floor[key] for key in MEASURES
                                                                 if key in floor}


def train(log: Log, out: Path, *args: str) -> None:
    """A gantool run in `out`, unless it is already there."""
    if (out / "generator.safetensors").exists():
        return
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gantool", "train", "--out", str(out), "--quiet", *args], check=True)
    log(phase="train", run=out.name, seconds=round(time.perf_counter() - started, 1))


def checkpoint_generator(registry, run: Path, step: int) -> torch.nn.Module:
    """The sampling generator of one training checkpoint."""
    tensors, state = checkpoint_sampler(registry, RunDir(run), checkpoint_path(run, step))
    generator = build_generator(registry, state["generator"], state["options"], DataSpec.from_dict(state["spec"]))
    generator.load_state_dict(tensors)
    return generator.eval()


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """uint8 images under a Gaussian blur of `sigma` pixels."""
    size = 2 * round(3 * sigma) + 1
    return gaussian_blur(images.float(), [size, size], [sigma, sigma]).round().clamp(0, 255).to(torch.uint8)


def learned(log: Log, registry, dataset: str, options: dict, seed: int, what: str) -> Evaluator:
    started = time.perf_counter()
    evaluator = evaluator_for(registry, "learned", dataset, options, inception_weights=None, device=CPU,
                              learned=ContrastiveSettings(seed=seed))
    log(phase=f"{what}-extractor", seed=seed, seconds=round(time.perf_counter() - started, 1),
        fingerprint=evaluator.extract.fingerprint)
    return evaluator


def colour(log: Log, registry, folder: Path, out: Path) -> None:
    options = {"root": str(folder), "image_size": 64}
    run = out / "colour-early"
    train(log, run, "--dataset", "image-folder", "--set", f"data.root={folder}", "--set", "data.image_size=64",
          "--gen", "dcgan", "--set", "gen.depth=32", "--set", "disc.depth=32", "--max-steps", "150",
          "--sample-every", "150")
    early = load_generator(registry, run, device=CPU).generator
    for seed in (0, 1):
        evaluator = learned(log, registry, "image-folder", options, seed, "colour")
        pool = evaluator.floor_pool.images
        sets = {"real (the floor)": pool, "blur sigma 0.6": blurred(pool, 0.6), "blur sigma 1.5": blurred(pool, 1.5),
                "uniform noise": torch.randint(0, 256, pool.shape, generator=torch.Generator().manual_seed(0),
                                               dtype=torch.uint8)}
        for name, images in sets.items():
            log(phase="colour", seed=seed, set=name, n=len(pool), **numbers(evaluator.measure_images(images)))
        log(phase="colour", seed=seed, set="DCGAN, step 150", n=len(pool),
            **numbers(evaluator.measure(early, num=len(pool))))
        half = len(evaluator.reference.images) // 2  # does having trained on the floor's images move the floor?
        reference = feature_stats(evaluator._features(evaluator.reference.images[half:2 * half])[0])
        unseen = feature_stats(evaluator._features(evaluator.reference.images[:half])[0])
        seen = feature_stats(evaluator._features(pool[:half])[0])
        log(phase="colour-seen-unseen", seed=seed, n=half, unseen=frechet_from_stats(*unseen, *reference),
            seen=frechet_from_stats(*seen, *reference))


def digits(log: Log, registry, out: Path) -> None:
    run = out / "digits"
    train(log, run, "--gen", "dcgan", "--set", "data.split=train", "--max-steps", str(DIGIT_STEPS[-1]),
          "--checkpoint-every", str(DIGIT_STEPS[0]), "--keep", "100", "--sample-every", str(DIGIT_STEPS[-1]))
    generators = {f"step {step}": checkpoint_generator(registry, run, step) for step in DIGIT_STEPS}
    torch.manual_seed(0)
    generators["untrained"] = build_generator(registry, "dcgan", {}, DataSpec(1, 28, 28)).eval()
    classifier = digit_evaluator(registry, CPU)
    for name, generator in generators.items():
        log(phase="digits", extractor="digit classifier", run=name, **numbers(classifier.measure(generator, num=1000)))
    for seed in (0, 1):
        evaluator = learned(log, registry, "mnist5k", {}, seed, "digits")
        for name, generator in generators.items():
            log(phase="digits", extractor=f"learned, seed {seed}", run=name,
                **numbers(evaluator.measure(generator, num=1000)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="a folder of 64x64 colour images (skipped when not given)")
    parser.add_argument("--out", type=Path, required=True, help="where the runs and results.jsonl go")
    parser.add_argument("--skip-digits", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    log, registry = Log(args.out / "results.jsonl"), load_registry()
    if args.folder is not None:
        colour(log, registry, args.folder, args.out)
    if not args.skip_digits:
        digits(log, registry, args.out)


if __name__ == "__main__":
    main()
