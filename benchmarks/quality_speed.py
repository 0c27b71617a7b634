"""Sample quality per CPU-minute: gantool's default run against the plain tutorial loop, on the same clock.

Both loops train on the 4,500 train-split digits of mnist5k (the strict protocol: the 500 held-out reference
digits are never trained on). gantool's side is the run `gantool train --set data.split=train` makes, built
from gantool's own TrainConfig defaults and run by its Trainer; the plain side is the tutorial loop of
benchmarks/trainer_speed.py at the tutorials' batch. One run per loop and seed is stopped at each budget in
turn and measured as `gantool evaluate` measures (the shipped digit classifier's features against the
held-out digits): the clock is paused while evaluating and saving, so only training counts. gantool's
default stops at its own step count; a budget beyond that reports the finished run.

Each run is a fresh process, alternating loops within each seed. Writes OUT.md (the table), OUT.png (Fréchet
distance against seconds) and OUT.json (every run's points), and prints the table.

    python benchmarks/quality_speed.py                          # budgets 30,60,120,240 s, seed 0: ~10 min
    python benchmarks/quality_speed.py --seeds 0,1,2 --threads 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image, ImageDraw, ImageFont
from trainer_speed import TUTORIAL_BATCH, plain_loop

from gantool.assembly import build_parts
from gantool.config import TrainConfig
from gantool.evaluation.evaluator import Evaluator, digit_evaluator
from gantool.options import parse_set_arguments
from gantool.registry import load_registry
from gantool.storage.exported import load_generator
from gantool.storage.plots import _ticks as ticks
from gantool.training.progress import TrainingDisplay
from gantool.training.trainer import StepMeter, Trainer

LOOPS = {"gantool": "gantool default", "plain": "plain tutorial loop"}
COLORS = {"gantool": (40, 90, 200), "plain": (200, 60, 40)}
STRICT = ["data.split=train"]  # what `--set data.split=train` adds to the default run
EVAL_NUM, EVAL_SEED = 2000, 0  # `gantool evaluate`'s defaults
DEVICE = torch.device("cpu")
Point = dict[str, Any]


class Stopwatch:
    """Seconds of training only: it runs between `resume` and `pause`, so evaluating and saving cost nothing."""

    def __init__(self) -> None:
        self.total, self.since = 0.0, None

    def resume(self) -> None:
        self.since = time.perf_counter()

    def pause(self) -> None:
        self.total += time.perf_counter() - self.since
        self.since = None


class BudgetPoints:
    """Measures a run each time its training seconds pass the next budget, and says when all are spent."""

    def __init__(self, budgets: list[float], measure: Callable[[], Point], label: str) -> None:
        self.pending, self.measure, self.label = sorted(budgets), measure, label
        self.points: list[Point] = []

    def check(self, seconds: float, steps: int, images: int) -> bool:
        """Record every budget `seconds` has reached (the clock is paused); True when none is left."""
        while self.pending and seconds >= self.pending[0]:
            self.record(self.pending.pop(0), seconds, steps, images, finished=False)
        return not self.pending

    def finish(self, seconds: float, steps: int, images: int) -> None:
        """The run ended on its own: the budgets it did not reach get its final state, measured once."""
        if self.pending:
            final = self.measure()
            while self.pending:
                self.record(self.pending.pop(0), seconds, steps, images, finished=True, scores=final)

    def record(self, budget: float, seconds: float, steps: int, images: int, *, finished: bool,
               scores: Point | None = None) -> None:
        point = {"budget": budget, "seconds": seconds, "steps": steps, "images": images, "finished": finished,
                 **(scores or self.measure())}
        self.points.append(point)
        print(f"{self.label}: {budget:g} s budget, {seconds:.1f} s trained, {steps} steps, Fréchet "
              f"{point['frechet_distance']:.1f}" + (" (run finished)" if finished else ""), file=sys.stderr, flush=True)


def scores_of(evaluator: Evaluator, generator: torch.nn.Module, noise: str) -> Point:
    """Fréchet distance and classifier score as `gantool evaluate` measures them by default."""
    metrics = evaluator.measure(generator, num=EVAL_NUM, seed=EVAL_SEED, noise=noise, with_floor=False)["metrics"]
    return {"frechet_distance": metrics["frechet_distance"], "classifier_score": metrics["classifier_score"]}


def strict_default_config(seed: int) -> TrainConfig:
    """`gantool train --set data.split=train --seed SEED` on the CPU, every other setting gantool's default."""
    return TrainConfig(options=parse_set_arguments(STRICT), seed=seed, device=DEVICE.type)


class BudgetTrainer(Trainer):
    """gantool's Trainer, unchanged in its steps, with the clock paused for its per-step bookkeeping and a stop
    once the last budget is measured."""

    def __init__(self, *args: Any, points: BudgetPoints, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.points, self.clock = points, Stopwatch()

    def after_step(self, meter: StepMeter, metrics: Any, display: TrainingDisplay) -> None:
        self.clock.pause()
        super().after_step(meter, metrics, display)  # logging, sample grids and checkpoints: not training time
        if self.points.check(self.clock.total, self.step, self.step * self.config.batch_size):
            self.stopped_early = True
        if self.step < self.total_steps and not self.stopped_early:
            self.clock.resume()


def train_gantool(seed: int, budgets: list[float], evaluator: Evaluator) -> list[Point]:
    """The strict default run, set up as `gantool train` sets it up, measured through its export at each budget."""
    config = strict_default_config(seed)
    registry = load_registry()
    torch.manual_seed(config.seed)
    parts = build_parts(registry, gen=config.gen, disc=config.disc, loss=config.loss, dataset=config.dataset,
                        options=config.options)
    plugins = {kind: {"name": c.qualified_name, "package": c.plugin.package, "version": c.plugin.version}
               for kind, c in parts.components.items()}
    with tempfile.TemporaryDirectory() as run_dir:
        export = Path(run_dir) / "budget-export.safetensors"

        def measure() -> Point:
            loaded = load_generator(registry, trainer.export(export), device=DEVICE)
            return scores_of(evaluator, loaded.generator, loaded.state.get("noise", "normal"))

        points = BudgetPoints(budgets, measure, f"gantool seed {seed}")
        trainer = BudgetTrainer(config, parts, Path(run_dir), plugins, points=points)
        trainer.clock.resume()
        trainer.train(TrainingDisplay(trainer.total_steps, quiet=True))
        points.finish(trainer.clock.total, trainer.step, trainer.step * config.batch_size)
    return points.points


def train_plain(seed: int, budgets: list[float], evaluator: Evaluator) -> list[Point]:
    """The tutorial loop of trainer_speed.py on the train-split digits, stepped until the last budget."""
    data = load_registry().get("dataset", "mnist5k").factory(split="train")
    torch.manual_seed(seed)
    step, generator, _ = plain_loop(data.spec, data.images, DEVICE, TUTORIAL_BATCH, workers=0)
    points = BudgetPoints(budgets, lambda: scores_of(evaluator, generator, "normal"), f"plain seed {seed}")
    clock, steps, done = Stopwatch(), 0, False
    while not done:
        clock.resume()
        step()
        clock.pause()
        steps += 1
        done = points.check(clock.total, steps, steps * TUTORIAL_BATCH)
    return points.points


def run_one(loop: str, seed: int, args: argparse.Namespace) -> list[Point]:
    """Train one loop with one seed in a fresh process; its progress lines pass through to stderr."""
    command = [sys.executable, __file__, "--run", f"{loop}:{seed}", "--budgets", args.budgets]
    if args.threads:
        command += ["--threads", str(args.threads)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{loop} seed {seed} failed (exit {done.returncode}); its error is above")
    return json.loads(done.stdout.splitlines()[-1])


def mean_spread(values: list[float], digits: int) -> str:
    """`mean` for one value, `mean ± sample standard deviation` for several."""
    text = f"{statistics.mean(values):,.{digits}f}"
    return text + (f" ± {statistics.stdev(values):,.{digits}f}" if len(values) > 1 else "")


def summary_rows(results: dict[str, list[list[Point]]], budgets: list[float]) -> list[Point]:
    """One row per budget and loop, each a mean over the seeds (every run of a loop has the same budgets)."""
    rows = []
    for index, budget in enumerate(budgets):
        for loop, runs in results.items():
            points = [run[index] for run in runs]
            rows.append({"budget": budget, "loop": loop, "points": points,
                         "seconds": statistics.mean(p["seconds"] for p in points),
                         "frechet": statistics.mean(p["frechet_distance"] for p in points),
                         "spread": statistics.stdev(p["frechet_distance"] for p in points) if len(points) > 1 else 0.0})
    return rows


def table(rows: list[Point]) -> str:
    """The Markdown table; a dagger marks a default run that had finished before the budget."""
    lines = ["| budget s | loop | steps | images seen | Fréchet distance | classifier score |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        points = row["points"]
        finished = " †" if any(p["finished"] for p in points) else ""
        lines.append(f"| {row['budget']:g} | {LOOPS[row['loop']]} | {mean_spread([p['steps'] for p in points], 0)}"
                     f"{finished} | {mean_spread([p['images'] for p in points], 0)} | "
                     f"{mean_spread([p['frechet_distance'] for p in points], 1)} | "
                     f"{mean_spread([p['classifier_score'] for p in points], 2)} |")
    if any(p["finished"] for row in rows for p in row["points"]):
        lines.append("\n† gantool's default run had made all its steps before this budget: this is the finished run.")
    return "\n".join(lines)


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo, for naming the machine beside the numbers."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return "unknown CPU"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")


def describe(args: argparse.Namespace, evaluator: Evaluator) -> str:
    """What was measured, on what, and the real-versus-real floor, as the lines above the table."""
    protocol = evaluator.protocol(EVAL_NUM, EVAL_SEED)
    floor = evaluator.floor(EVAL_NUM, EVAL_SEED)["frechet_distance"]
    threads = args.threads or torch.get_num_threads()
    machine = f"{cpu_name()}, {threads} thread{'s' * (threads != 1)}, torch {torch.__version__}"
    return (f"{machine}; seeds {args.seeds}; training seconds only (evaluation and saving paused the clock).\n"
            f"Fréchet distance of {EVAL_NUM} samples in {protocol['extractor']} features against "
            f"{protocol['reference']} (real floor {floor:.2f}); mean ± standard deviation over seeds.")


def plot(rows: list[Point], path: Path, *, size: tuple[int, int] = (720, 420)) -> Path:
    """Fréchet distance against training seconds, one line per loop with ± one standard deviation, as a PNG."""
    width, height = size
    left, right, top, bottom = 64, 16, 28, 44
    image = Image.new("RGB", size, "white")
    draw, font = ImageDraw.Draw(image), ImageFont.load_default()
    x_high = 1.04 * max(max(row["seconds"] for row in rows), max(row["budget"] for row in rows))  # a margin
    y_low = min(row["frechet"] - row["spread"] for row in rows)
    y_high = max(row["frechet"] + row["spread"] for row in rows)
    pad = (y_high - y_low) * 0.05 or 1.0
    y_low, y_high = max(y_low - pad, 0.0), y_high + pad

    def at(seconds: float, value: float) -> tuple[float, float]:
        return (left + seconds / x_high * (width - left - right),
                top + (y_high - value) / (y_high - y_low) * (height - top - bottom))

    draw.rectangle((left, top, width - right, height - bottom), outline=(90, 90, 90))
    for value in ticks(y_low, y_high):
        y = at(0, value)[1]
        draw.line((left - 4, y, width - right, y), fill=(225, 225, 225))
        draw.text((left - 8, y), f"{value:.3g}", fill="black", font=font, anchor="rm")
    for seconds in ticks(0, x_high):
        x = at(seconds, y_low)[0]
        draw.line((x, height - bottom, x, height - bottom + 4), fill=(90, 90, 90))
        draw.text((x, height - bottom + 8), f"{seconds:g}", fill="black", font=font, anchor="mt")
    draw.text(((left + width - right) / 2, height - 12), "training seconds", fill="black", font=font, anchor="mm")
    # "Frechet": Pillow's bundled font has no accented letters
    draw.text((left, 14), "Frechet distance (lower is better)", fill="black", font=font, anchor="lm")
    for index, loop in enumerate(LOOPS):
        draw_series([row for row in rows if row["loop"] == loop], draw, at, COLORS[loop])
        legend_x = width - right - 300 + index * 150
        draw.line((legend_x, 14, legend_x + 18, 14), fill=COLORS[loop], width=3)
        draw.text((legend_x + 22, 14), LOOPS[loop], fill="black", font=font, anchor="lm")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


def draw_series(rows: list[Point], draw: ImageDraw.ImageDraw, at: Callable[[float, float], tuple[float, float]],
                color: tuple[int, int, int]) -> None:
    """One loop's line through its mean points, each with a dot and a bar of ± one standard deviation."""
    centres = [at(row["seconds"], row["frechet"]) for row in rows]
    if len(centres) > 1:
        draw.line(centres, fill=color, width=2)
    for row, (x, y) in zip(rows, centres, strict=True):
        if row["spread"]:
            draw.line((x, at(0, row["frechet"] - row["spread"])[1], x, at(0, row["frechet"] + row["spread"])[1]),
                      fill=color, width=1)
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=color)


def parse_numbers(text: str, kind: type) -> list:
    """`30,60,120` -> [30.0, 60.0, 120.0] (or ints), refusing an empty list."""
    try:
        values = [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values:
        raise SystemExit(f"expected comma-separated {kind.__name__} values such as 30,60; got {text!r}")
    return values


def main() -> None:
    """Train each loop and seed in its own process and report; with --run, be that process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="30,60,120,240", help="training seconds at which to measure, e.g. 30,60")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds; several give mean and spread")
    parser.add_argument("--threads", type=int, help="torch threads of each training process [default: torch's]")
    parser.add_argument("--out", type=Path, default=Path("docs/images/quality-speed"),
                        help="writes OUT.md, OUT.png and OUT.json")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # LOOP:SEED, in the process that trains it
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    budgets, seeds = sorted(parse_numbers(args.budgets, float)), parse_numbers(args.seeds, int)
    evaluator = digit_evaluator(load_registry(), DEVICE)
    if args.run:
        loop, seed = args.run.split(":")
        train = train_gantool if loop == "gantool" else train_plain
        print(json.dumps(train(int(seed), budgets, evaluator)))
        return
    results: dict[str, list[list[Point]]] = {loop: [] for loop in LOOPS}
    for seed in seeds:
        for loop in LOOPS:
            results[loop].append(run_one(loop, seed, args))
    write_report(results, budgets, args, evaluator)


def write_report(results: dict[str, list[list[Point]]], budgets: list[float], args: argparse.Namespace,
                 evaluator: Evaluator) -> None:
    """OUT.md (the table under its description), OUT.png, OUT.json (every point), and the table printed."""
    rows = summary_rows(results, budgets)
    report = f"{describe(args, evaluator)}\n\n{table(rows)}\n"
    paths = [args.out.with_suffix(suffix) for suffix in (".md", ".png", ".json")]
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    paths[0].write_text(report, encoding="utf-8")
    plot(rows, paths[1])
    paths[2].write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"{report}\nwritten: {', '.join(map(str, paths))}")


if __name__ == "__main__":
    main()
