"""Training speed of gantool's step against the plain PyTorch loop the tutorials write, on the same DCGAN.

The plain loop is written the way the MNIST/DCGAN tutorials write it (anew here, not copied): PIL images
from a map-style dataset through a DataLoader with ToTensor and Normalize, Sigmoid + BCELoss, a second G
forward for the G step (with D's weight gradients computed and thrown away), and `.item()` on every loss
every step. Both sides train gantool's DCGAN networks with the same options on the same images, so the
difference is the loop alone.

Each measurement runs in its own process, in alternation (plain, gantool fp32, gantool bf16, and again), so
a noisy neighbour slows all sides alike and each process's peak memory is its own. The median of the rounds
is reported, with the FLOP rate achieved (FLOPs of one step counted by torch's FlopCounterMode).

    python benchmarks/trainer_speed.py                     # DCGAN 28x28 on mnist5k, batch 128, CPU
    python benchmarks/trainer_speed.py --image-size 64 --channels 3 --device cuda
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
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
from gantool.training.devices import pick_device
from gantool.training.trainer import Trainer

LATENT = 100
TUTORIAL_BATCH = 128  # the batch of the PyTorch DCGAN tutorial; quality_speed.py trains the plain loop with it
SIDES = ("plain", "gantool-fp32", "gantool-bf16")


def load_images(spec: DataSpec) -> torch.Tensor:
    """mnist5k for 1x28x28 (the tutorials' data); seeded random images for any other shape."""
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


def plain_loop(spec: DataSpec, images: torch.Tensor, device: torch.device, batch: int,
               workers: int) -> tuple[Callable[[], None], nn.Module, nn.Module]:
    """One iteration of the tutorial loop per call."""
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
                 precision: str) -> tuple[Callable[[], None], nn.Module, nn.Module]:
    """One step of gantool's trainer per call, fed exactly as `gantool train` feeds it."""
    config = TrainConfig(batch_size=batch, device=str(device), precision=precision, epochs=1_000_000)
    labels = torch.zeros(len(images), dtype=torch.long)
    parts = Parts(DCGANGenerator(spec, latent_dim=LATENT), DCGANDiscriminator(spec), LOSSES["bce"](),
                  DatasetBundle(spec, images=images, labels=labels), {}, {})
    trainer = Trainer(config, parts, Path("unused"), {})
    batches = iter(())

    def step() -> None:
        nonlocal batches
        real = next(batches, None)
        if real is None:
            trainer.epoch += 1
            batches = (images for images, _ in trainer.source.batches(trainer.epoch))
            real = next(batches)
        trainer.train_step(real, None)

    return step, trainer.G, trainer.D


def measure(side: str, args: argparse.Namespace) -> dict[str, float]:
    """Images/s, GFLOP per image and peak memory of one side, in this process."""
    torch.manual_seed(0)
    device = pick_device(args.device)
    spec = DataSpec(args.channels, args.image_size, args.image_size)
    images = load_images(spec)
    if side == "plain":
        step, G, D = plain_loop(spec, images, device, args.batch, args.workers)
    else:
        step, G, D = gantool_loop(spec, images, device, args.batch, side.removeprefix("gantool-"))
    for _ in range(args.warmup):
        step()
    with FlopCounterMode(display=False) as counter:
        step()
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    sync()
    seconds = time.perf_counter() - started
    peak = (torch.cuda.max_memory_allocated(device) if device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"images_per_s": args.steps * args.batch / seconds, "gflop_per_image": counter.get_total_flops() /
            args.batch / 1e9, "peak_mib": peak / 2**20}


def run_side(side: str, args: argparse.Namespace) -> dict[str, float]:
    """Measure one side in a fresh process."""
    command = [sys.executable, __file__, "--side", side, *sys.argv[1:]]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    device = pick_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"DCGAN {args.channels}x{args.image_size}x{args.image_size}, batch {args.batch}, {name}; median of "
          f"{args.rounds} alternating rounds of {args.steps} steps after {args.warmup} warm-up")
    plain = statistics.median(r["images_per_s"] for r in results["plain"])
    print(f"{'loop':<14}{'images/s':>10}{'ratio':>8}{'GFLOP/img':>11}{'GFLOP/s':>9}{'peak MiB':>10}")
    for side, runs in results.items():
        speed = statistics.median(r["images_per_s"] for r in runs)
        flops = runs[0]["gflop_per_image"]
        peak = max(r["peak_mib"] for r in runs)
        print(f"{side:<14}{speed:>10.0f}{speed / plain:>7.2f}x{flops:>11.3f}{speed * flops:>9.0f}{peak:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--image-size", type=int, default=28)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--batch", type=int, default=TUTORIAL_BATCH)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers of the plain loop")
    parser.add_argument("--sides", default=",".join(SIDES), help=f"comma-separated, from {', '.join(SIDES)}")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(measure(args.side, args)))
        return
    sides = [side for side in args.sides.split(",") if side]
    results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side in sides:
            results[side].append(run_side(side, args))
    report(results, args)


if __name__ == "__main__":
    main()
