"""Train the digit classifier `gantool evaluate` measures 1-channel 28x28 samples with.

Run from the repository root (about a minute on 2 CPU cores):
    PYTHONPATH=.:plugins python tools/train_digit_classifier.py
It trains on the training part of mnist5k (never on the held-out digits the distance is measured
against), reports held-out accuracy, writes gantool/evaluation/digit_classifier.safetensors and prints
the SHA-256 to record as WEIGHTS_SHA256 in gantool/evaluation/digits.py.
"""

import argparse
import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save

from gantool.evaluation.digits import WEIGHTS_FILE, DigitClassifier
from gantool.evaluation.reference import real_digits, to_unit_range
from gantool.registry import load_registry

OUT = Path(__file__).resolve().parent.parent / "gantool" / "evaluation" / WEIGHTS_FILE


def shifted(images: torch.Tensor, generator: torch.Generator, most: int = 2) -> torch.Tensor:
    """Each image moved by up to `most` pixels in x and y (zeros, i.e. -1, shifted in)."""
    padded = F.pad(images, (most,) * 4, value=-1.0)
    side = images.shape[-1]
    offsets = torch.randint(0, 2 * most + 1, (len(images), 2), generator=generator).tolist()
    return torch.stack([padded[i, :, dy:dy + side, dx:dx + side] for i, (dy, dx) in enumerate(offsets)])


@torch.no_grad()
def accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    predicted = torch.cat([model(chunk).argmax(1) for chunk in images.split(500)])
    return (predicted == labels).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    registry = load_registry()
    train_u8, train_labels = real_digits(registry, "train")
    held_u8, held_labels = real_digits(registry, "heldout")
    train_x, held_x = to_unit_range(train_u8), to_unit_range(held_u8)
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=args.epochs * (
        (len(train_x) + 63) // 64))
    noise = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=noise)
        for batch in order.split(64):
            loss = F.cross_entropy(model(shifted(train_x[batch], noise)), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}: held-out accuracy {accuracy(model, held_x, held_labels):.4f}")

    final = accuracy(model, held_x, held_labels)
    payload = save({k: v.contiguous() for k, v in model.state_dict().items()},
                   metadata={"train": "mnist5k train part", "heldout_accuracy": f"{final:.4f}"})
    OUT.write_bytes(payload)
    print(f"wrote {OUT} ({len(payload):,} bytes), held-out accuracy {final:.4f} on {len(held_x)} digits")
    print(f'WEIGHTS_SHA256 = "{hashlib.sha256(payload).hexdigest()}"')


if __name__ == "__main__":
    main()
