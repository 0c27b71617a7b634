"""DCGAN at 64x64x3: training images per second of gantool's step against the classic tutorial loop.

The reference is the shape of pytorch/examples' dcgan/main.py (written anew here): float images from a
DataLoader copied to the device every step, sigmoid + BCELoss, D's gradients computed during the G step,
and the three losses read back (`.item()`) every iteration. Both sides train the same gantool DCGAN
networks (depth 64, latent 100: the tutorial's ngf = ndf = 64, nz = 100) on the same random data, so
the difference is the loop alone. Meant for a GPU; it runs, slowly, on a CPU too.

    python benchmarks/dcgan64_speed.py --device cuda --precision bf16
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import torch
from gantool_builtins.losses import LOSSES
from gantool_builtins.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from gantool.assembly import Parts
from gantool.config import TrainConfig
from gantool.interfaces import DatasetBundle, DataSpec
from gantool.trainer import Trainer, pick_device

SPEC = DataSpec(3, 64, 64)


def random_images(count: int) -> torch.Tensor:
    return torch.randint(0, 256, (count, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def gantool_steps(device: torch.device, batch: int, precision: str, images: torch.Tensor) -> Callable[[int], None]:
    """A function running n of gantool's training steps (data resident on the device, no per-step sync)."""
    config = TrainConfig(batch_size=batch, device=str(device), precision=precision, epochs=1_000_000)
    parts = Parts(DCGANGenerator(SPEC), DCGANDiscriminator(SPEC), LOSSES["bce"](),
                  DatasetBundle(SPEC, images=images, labels=torch.zeros(len(images), dtype=torch.long)), {}, {})
    trainer = Trainer(config, parts, Path("unused"), {})
    batches = iter(())

    def run(steps: int) -> None:
        nonlocal batches
        for _ in range(steps):
            real = next(batches, None)
            if real is None:
                trainer.epoch += 1
                batches = (images for images, _ in trainer.source.batches(trainer.epoch))
                real = next(batches)
            trainer.train_step(real, None)

    return run


def reference_steps(device: torch.device, batch: int, images: torch.Tensor) -> Callable[[int], None]:
    """A function running n iterations of the tutorial-style loop."""
    torch.backends.cudnn.benchmark = True  # the tutorial sets it too
    G = DCGANGenerator(SPEC).to(device)
    D = nn.Sequential(DCGANDiscriminator(SPEC), nn.Sigmoid()).to(device)
    criterion = nn.BCELoss()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    data = TensorDataset(images.float().div(127.5).sub(1.0))
    loader = DataLoader(data, batch_size=batch, shuffle=True, drop_last=True, num_workers=2,
                        pin_memory=device.type == "cuda", persistent_workers=True)
    batches = iter(())

    def run(steps: int) -> None:
        nonlocal batches
        for _ in range(steps):
            item = next(batches, None)
            if item is None:
                batches = iter(loader)
                item = next(batches)
            real = item[0].to(device)
            ones = torch.full((batch,), 1.0, device=device)
            zeros = torch.full((batch,), 0.0, device=device)
            D.zero_grad()
            err_real = criterion(D(real), ones)
            err_real.backward()
            fake = G(torch.randn(batch, 100, 1, 1, device=device))
            err_fake = criterion(D(fake.detach()), zeros)
            err_fake.backward()
            opt_d.step()
            G.zero_grad()
            err_g = criterion(D(fake), ones)
            err_g.backward()
            opt_g.step()
            (err_real + err_fake).item(), err_g.item()  # the tutorial prints these every iteration

    return run


def images_per_second(run: Callable[[int], None], device: torch.device, batch: int, warmup: int, steps: int) -> float:
    run(warmup)  # cuDNN autotuning, allocator and worker start-up
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    run(steps)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return steps * batch / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    args = parser.parse_args()
    device = pick_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    images = random_images(max(8 * args.batch, 4096))
    torch.manual_seed(0)
    reference = images_per_second(reference_steps(device, args.batch, images), device, args.batch, args.warmup,
                                  args.steps)
    ours = images_per_second(gantool_steps(device, args.batch, args.precision, images), device, args.batch,
                             args.warmup, args.steps)
    print(f"{name}, batch {args.batch}, {args.steps} steps after {args.warmup} warm-up")
    print(f"tutorial loop (fp32):        {reference:8.0f} images/s")
    print(f"gantool step ({args.precision}):{'':{12 - len(args.precision)}}{ours:8.0f} images/s  "
          f"({ours / reference:.2f}x)")


if __name__ == "__main__":
    main()
