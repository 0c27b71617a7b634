"""Pack the bundled MNIST sample (CSV, gzip) into the compact file the `mnist5k` dataset loads.

Run once from the repository root: python tools/pack_mnist5k.py ../shared/data/mnist_5k.csv.gz
The output holds the digits as one uint8 tensor (N, 1, 28, 28) and their labels, in safetensors
compressed with gzip: about a third of the CSV's size, decoded in milliseconds, and no pickle.
"""

import csv
import gzip
import io
import sys
from pathlib import Path

import torch
from safetensors.torch import save

OUT = Path(__file__).resolve().parent.parent / "plugins/gantool_builtins/data/mnist5k.safetensors.gz"


def main(source: str) -> None:
    with gzip.open(source, "rt") as handle:
        rows = [list(map(int, row)) for row in csv.reader(io.StringIO(handle.read()))]
    table = torch.tensor(rows, dtype=torch.uint8)
    images = table[:, :784].reshape(-1, 1, 28, 28).contiguous()
    labels = table[:, 784].contiguous()
    payload = save({"images": images, "labels": labels}, metadata={"source": "mnist_5k.csv.gz"})
    OUT.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(labels)} digits)")


if __name__ == "__main__":
    main(sys.argv[1])
