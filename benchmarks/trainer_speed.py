"""Training speed of gantool's step against the networks alone and the plain PyTorch loop the tutorials write.

Sides, all on gantool's DCGAN networks with the same images and batch:
- `bare`: the networks alone, as one GAN step needs them (G forward; D on real and fake; D's backward; D on
  the fakes again and the backward through D into G), no optimiser, data or bookkeeping, eager, timed in
  both memory formats and the better one reported: the ceiling the trainer is measured against.
- `plain`: the loop the MNIST/DCGAN tutorials write (anew here, not copied): PIL images through a DataLoader
  with ToTensor and Normalize, Sigmoid + BCELoss, a second G forward for the G step (with D's weight
  gradients computed and thrown away), and `.item()` on every loss every step.
- `gantool-*`: gantool's trainer step fed as `gantool train` feeds it, with its metrics summed as the loop
  does: fp32 as by default (channels-last), `--no-channels-last`, `--compile`, and bf16 autocast (with
  `bare-bf16`) where the CPU or GPU has it.

Each measurement runs in its own process, in alternation, so a noisy neighbour slows all sides alike and each
process's peak memory is its own. The median of the rounds is reported with the FLOP rate achieved (FLOPs of
one step counted by torch's FlopCounterMode on the eager step). `--profile` instead runs torch's profiler over
a few steps of each side and prints the top operations and where the time outside convolutions goes;
`--whole-run` times the no-argument `gantool train` from start to exit; `--one-process` builds every side in one
process and alternates them there.

    python benchmarks/trainer_speed.py                     # DCGAN 1x28x28 batch 128 and 3x64x64 batch 64, CPU
    python benchmarks/trainer_speed.py --shapes dcgan64 --device cuda
    python benchmarks/trainer_speed.py --profile --sides gantool-fp32,gantool-bf16
    python benchmarks/trainer_speed.py --whole-run --against ../gantool-145f6f7
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import torch
from gantool_builtins.losses import LOSSES
from gantool_builtins.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode
from torchvision import transforms

from gantool.assembly import Parts
from gantool.config import TrainConfig
from gantool.interfaces import DatasetBundle, DataSpec
from gantool.registry import load_registry
from gantool.training.devices import bf16_supported, pick_device
from gantool.training.meter import StepMeter
from gantool.training.trainer import Trainer

LATENT = 100
TUTORIAL_BATCH = 128  # the batch of the PyTorch DCGAN tutorial; quality_speed.py trains the plain loop with it
SHAPES = {"dcgan28": (1, 28, TUTORIAL_BATCH), "dcgan64": (3, 64, 64)}  # channels, side, batch
SIDES = ("bare", "plain", "gantool-fp32", "gantool-contiguous", "gantool-compile", "bare-bf16", "gantool-bf16")
BF16_SIDES = ("bare-bf16", "gantool-bf16")
# Operations by the kind of work they do, for the profile's breakdown (first match wins, on the name).
KINDS = (("convolution", ("conv", "mkldnn_convolution")), ("batch norm", ("batch_norm",)),
         ("activations", ("relu", "tanh", "sigmoid", "leaky")), ("casts and copies", ("_to_copy", "copy_", "clone")),
         ("losses", ("binary_cross_entropy", "softplus", "log_sigmoid")))
REGIONS = ("optimiser", "ema", "data", "metrics")  # record_function ranges that own everything inside them


def load_images(spec: DataSpec) -> torch.Tensor:
    """mnist5k for 1x28x28 (the tutorials' data); seeded random images for any other shape (speed does not
    depend on what the pixels show)."""
    if (spec.channels, spec.height) == (1, 28):
        return load_registry().get("dataset", "mnist5k").factory().images
    shape = (4096, spec.channels, spec.height, spec.width)
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


class PILImages(Dataset):
    """What torchvision's MNIST and ImageFolder hand a DataLoader: one PIL image at a time, then transforms."""

    def __init__(self, images: torch.Tensor) -> None:
        self.arrays = [image.permute(1, 2, 0).squeeze(-1).numpy() for image in images]
        channels = images.shape[1]
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.5,) * channels, (0.5,) * channels)])

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.transform(Image.fromarray(self.arrays[index]))


def bare_networks(spec: DataSpec, device: torch.device, batch: int, precision: str,
                  memory_format: torch.memory_format) -> Callable[[], None]:
    """One GAN step's forward and backward passes of G and D alone, nothing else."""
    G = DCGANGenerator(spec, latent_dim=LATENT).to(device, memory_format=memory_format)
    D = DCGANDiscriminator(spec).to(device, memory_format=memory_format)
    real = torch.randn(batch, spec.channels, spec.height, spec.width, device=device).contiguous(
        memory_format=memory_format)
    z = torch.randn(batch, LATENT, device=device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")

    def step() -> None:
        with autocast:
            fake = G(z)
            d_loss = D(real).float().mean() - D(fake.detach()).float().mean()
        d_loss.backward()
        D.requires_grad_(False)
        with autocast:
            g_loss = D(fake).float().mean()
        g_loss.backward()
        D.requires_grad_(True)
        for param in (*G.parameters(), *D.parameters()):
            param.grad = None

    return step


def plain_loop(spec: DataSpec, images: torch.Tensor, device: torch.device, batch: int,
               workers: int) -> tuple[Callable[[], None], nn.Module, nn.Module]:
    """One iteration of the tutorial loop per call, and its G and D (quality_speed.py samples the G)."""
    G = DCGANGenerator(spec, latent_dim=LATENT).to(device)
    D = nn.Sequential(DCGANDiscriminator(spec), nn.Sigmoid()).to(device)
    criterion = nn.BCELoss()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = DataLoader(PILImages(images), batch_size=batch, shuffle=True, drop_last=True, num_workers=workers,
                        persistent_workers=workers > 0, pin_memory=device.type == "cuda")
    batches = iter(())

    def step() -> None:
        nonlocal batches
        real = next(batches, None)
        if real is None:
            batches = iter(loader)
            real = next(batches)
        real = real.to(device)
        ones, zeros = torch.ones(batch, device=device), torch.zeros(batch, device=device)
        D.zero_grad()
        d_real = criterion(D(real).view(-1), ones)
        d_real.backward()
        fake = G(torch.randn(batch, LATENT, device=device))
        d_fake = criterion(D(fake.detach()).view(-1), zeros)
        d_fake.backward()
        opt_d.step()
        G.zero_grad()
        fake = G(torch.randn(batch, LATENT, device=device))
        g_loss = criterion(D(fake).view(-1), ones)
        g_loss.backward()
        opt_g.step()
        (d_real + d_fake).item()  # the tutorials read both losses back every step to print them
        g_loss.item()

    return step, G, D


def gantool_loop(spec: DataSpec, images: torch.Tensor, device: torch.device, batch: int,
                 settings: dict[str, object]) -> Callable[[], None]:
    """One step of gantool's trainer per call, fed exactly as `gantool train` feeds it, its metrics summed as the
    training loop sums them (read back only when a line is logged, which these steps never reach)."""
    config = TrainConfig(batch_size=batch, device=str(device), epochs=1_000_000, **settings)
    labels = torch.zeros(len(images), dtype=torch.long)
    parts = Parts(DCGANGenerator(spec, latent_dim=LATENT), DCGANDiscriminator(spec), LOSSES["bce"](),
                  DatasetBundle(spec, images=images, labels=labels), {}, {})
    trainer = Trainer(config, parts, Path("unused"), {})
    meter = StepMeter(trainer.device)
    batches = iter(())
    if trainer.ema is not None:
        trainer.ema.update = labelled("ema", trainer.ema.update)

    def step() -> None:
        nonlocal batches
        with torch.profiler.record_function("data"):
            real = next(batches, None)
            if real is None:
                trainer.epoch += 1
                batches = (images for images, _ in trainer.source.batches(trainer.epoch))
                real = next(batches)
        values = trainer.train_step(real, None)
        with torch.profiler.record_function("metrics"):
            meter.add(values, len(real))
        trainer.step += 1

    return step


def labelled(name: str, function: Callable[..., object]) -> Callable[..., object]:
    """`function` inside a profiler range called `name`, so the profile charges what it runs to it."""
    def call(*args: object, **kwargs: object) -> object:
        with torch.profiler.record_function(name):
            return function(*args, **kwargs)
    return call


def make_side(side: str, args: argparse.Namespace) -> Callable[[], None]:
    """The step function of `side`, on a fresh seed."""
    torch.manual_seed(0)
    device = pick_device(args.device)
    channels, size, batch = SHAPES[args.shape]
    spec = DataSpec(channels, size, size)
    if side.startswith("bare"):
        precision = "bf16" if side == "bare-bf16" else "fp32"
        return best_memory_format(spec, device, batch, precision, args)
    images = load_images(spec)
    if side == "plain":
        return plain_loop(spec, images, device, batch, args.workers)[0]
    settings = {"gantool-fp32": {}, "gantool-bf16": {"precision": "bf16"}, "gantool-compile": {"compile": True},
                "gantool-contiguous": {"channels_last": False}}[side]
    return gantool_loop(spec, images, device, batch, settings)


def best_memory_format(spec: DataSpec, device: torch.device, batch: int, precision: str,
                       args: argparse.Namespace) -> Callable[[], None]:
    """The bare step in whichever memory format (contiguous or channels-last) runs faster here."""
    timings = {}
    for memory_format in (torch.contiguous_format, torch.channels_last):
        step = bare_networks(spec, device, batch, precision, memory_format)
        timings[memory_format] = (seconds_per_step(step, args.warmup, max(args.steps // 2, 1), device), step)
    best = min(timings, key=lambda key: timings[key][0])
    print(f"bare {precision}: {'channels-last' if best == torch.channels_last else 'contiguous'} is faster",
          file=sys.stderr)
    return timings[best][1]


def seconds_per_step(step: Callable[[], None], warmup: int, steps: int, device: torch.device) -> float:
    for _ in range(warmup):
        step()
    sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - started) / steps


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(side: str, args: argparse.Namespace) -> dict[str, float]:
    """Images/s, GFLOP per image and peak memory of one side, in this process."""
    device = pick_device(args.device)
    batch = SHAPES[args.shape][2]
    step = make_side(side, args)
    started = time.perf_counter()
    step()  # the first step compiles, with --compile
    first = time.perf_counter() - started
    flops = 0.0
    if side != "gantool-compile":
        with FlopCounterMode(display=False) as counter:
            step()
        flops = counter.get_total_flops() / batch / 1e9
    seconds = seconds_per_step(step, args.warmup, args.steps, device)
    peak = (torch.cuda.max_memory_allocated(device) if device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"images_per_s": batch / seconds, "gflop_per_image": flops, "peak_mib": peak / 2**20,
            "first_step_s": first}


def one_process(shape: str, sides: list[str], args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    """Every side built in this one process and timed in alternation: no process-to-process differences (memory
    placement, allocator state), at the price of the sides sharing one heap."""
    args.shape = shape
    device, batch = pick_device(args.device), SHAPES[shape][2]
    steps = {side: make_side(side, args) for side in sides}
    results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side, step in steps.items():
            seconds = seconds_per_step(step, args.warmup, args.steps, device)
            results[side].append({"images_per_s": batch / seconds, "gflop_per_image": 0.0, "peak_mib": 0.0,
                                  "first_step_s": 0.0})
    return results


def run_side(side: str, shape: str) -> dict[str, float]:
    """Measure one side in a fresh process."""
    command = [sys.executable, __file__, "--side", side, "--shape", shape, *sys.argv[1:]]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def report(shape: str, results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    device = pick_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    channels, size, batch = SHAPES[shape]
    print(f"\nDCGAN {channels}x{size}x{size}, batch {batch}, {name}, torch {torch.__version__}; median of "
          f"{args.rounds} alternating rounds of {args.steps} steps after {args.warmup} warm-up")
    speeds = {side: statistics.median(r["images_per_s"] for r in runs) for side, runs in results.items()}
    reference = next((s for s in ("bare", "plain") if s in speeds), next(iter(speeds)))
    counted = next((runs[0]["gflop_per_image"] for runs in results.values() if runs[0]["gflop_per_image"]), 0.0)
    print(f"{'side':<24}{'images/s':>10}{f'x {reference}':>10}{'GFLOP/img':>11}{'GFLOP/s':>9}{'peak MiB':>10}"
          f"{'1st step s':>11}")
    for side, runs in results.items():
        flops = runs[0]["gflop_per_image"] or counted  # a compiled step does the eager step's work
        peak = max(r["peak_mib"] for r in runs)
        first = statistics.median(r["first_step_s"] for r in runs)
        counted_here = (f"{flops:>11.3f}{speeds[side] * flops:>9.0f}{peak:>10.0f}{first:>11.1f}" if flops else
                        f"{'-':>11}{'-':>9}{'-':>10}{'-':>11}")  # --one-process times images/s only
        print(f"{side:<24}{speeds[side]:>10.0f}{speeds[side] / speeds[reference]:>9.2f}x{counted_here}")


def profile(side: str, args: argparse.Namespace) -> None:
    """Profile a few steps of `side` and print the top operations and the time by kind of work."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as profiler

    step = make_side(side, args)
    for _ in range(args.warmup):
        step()
    with profiler(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(args.steps):
            step()
    channels, size, batch = SHAPES[args.shape]
    print(f"\n== {side}, DCGAN {channels}x{size}x{size} batch {batch}, {args.steps} steps profiled")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.top, max_name_column_width=48))
    shares = time_by_kind(prof.events())
    total = sum(shares.values())
    convolution = shares.get("convolution", 0.0)
    print(f"time outside convolutions: {1 - convolution / total:.0%} of {total / 1e3 / args.steps:.1f} ms per step")
    for kind, micros in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"  {kind:<18}{micros / total:>6.1%}")


def time_by_kind(events: list) -> dict[str, float]:
    """Self CPU time (µs) by kind of work: a REGIONS range (or Adam's step) owns everything run inside it, the
    rest is sorted by operation name (KINDS)."""
    shares: dict[str, float] = defaultdict(float)
    for event in events:
        shares[kind_of(event)] += event.self_cpu_time_total
    return shares


def kind_of(event: object) -> str:
    node = event
    while node is not None:
        name = node.name.lower()
        if name in REGIONS:
            return name
        if name.startswith("optimizer.step"):
            return "optimiser"
        node = node.cpu_parent
    name = event.name.lower()
    return next((kind for kind, words in KINDS if any(word in name for word in words)), "other")


def whole_run(args: argparse.Namespace) -> None:
    """Wall time of the no-argument `gantool train`, here and (back to back) in the checkouts of --against."""
    trees = [Path(__file__).resolve().parents[1], *map(Path, args.against)]
    for round_ in range(args.rounds if args.against else 1):
        for tree in trees:
            with tempfile.TemporaryDirectory() as folder:
                env = os.environ | {"PYTHONPATH": f"{tree}{os.pathsep}{tree / 'plugins'}"}
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "gantool", "train", "--out", f"{folder}/run", "--quiet"],
                               env=env, check=True, cwd=folder, stdout=subprocess.DEVNULL)
                print(f"round {round_ + 1}: gantool train in {tree}: {time.perf_counter() - started:.1f} s",
                      flush=True)


def chosen_sides(args: argparse.Namespace) -> list[str]:
    """The sides asked for, without bf16 where this device cannot run it (said on stderr)."""
    sides = [side for side in args.sides.split(",") if side]
    unknown = sorted(set(sides) - set(SIDES))
    if unknown:
        raise SystemExit(f"unknown side {unknown[0]!r}; choose from {', '.join(SIDES)}")
    if not bf16_supported(pick_device(args.device)):
        print("bf16 sides left out: this device has no native bf16", file=sys.stderr)
        sides = [side for side in sides if side not in BF16_SIDES]
    return sides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--shapes", default=",".join(SHAPES), help=f"comma-separated, from {', '.join(SHAPES)}")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers of the plain loop")
    parser.add_argument("--sides", default=",".join(SIDES), help=f"comma-separated, from {', '.join(SIDES)}")
    parser.add_argument("--profile", action="store_true", help="profile each side instead of timing it")
    parser.add_argument("--top", type=int, default=15, help="operations the profile lists")
    parser.add_argument("--whole-run", action="store_true", help="time the no-argument `gantool train` instead")
    parser.add_argument("--one-process", action="store_true",
                        help="build every side in this process and alternate them (images/s only)")
    parser.add_argument("--against", nargs="*", default=[],
                        help="with --whole-run: checkouts of other commits to time back to back")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--shape", choices=SHAPES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(measure(args.side, args)))
        return
    if args.whole_run:
        whole_run(args)
        return
    sides = chosen_sides(args)
    for shape in args.shapes.split(","):
        if args.profile:
            args.shape = shape
            for side in sides:
                profile(side, args)
            continue
        if args.one_process:
            report(shape, one_process(shape, sides, args), args)
            continue
        results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
        for _ in range(args.rounds):
            for side in sides:
                results[side].append(run_side(side, shape))
        report(shape, results, args)


if __name__ == "__main__":
    main()
