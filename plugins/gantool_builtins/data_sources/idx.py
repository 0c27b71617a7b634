"""MNIST and Fashion-MNIST from their idx files, laid out as torchvision lays them out (ROOT/MNIST/raw), or
lying in ROOT itself, as a user who fetched the four files by hand has them.

torchvision supplies the mirrors, file names and checksums and does the (opt-in) download; the files are
read here, plain or gzip-compressed, so a file fetched by hand works without unpacking it and a damaged
one is named in one line.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from gantool.errors import GantoolError
from gantool.interfaces import DatasetBundle
from gantool_builtins.data_sources.downloads import fetch
from gantool_builtins.data_sources.tensors import in_memory_bundle, resize_uint8

# name: (torchvision class, the folder under root, what the description calls it)
SETS = {
    "mnist": ("MNIST", "MNIST", "MNIST digits"),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST", "Fashion-MNIST clothing"),
}
IMAGE_MAGIC, LABEL_MAGIC = 0x0803, 0x0801  # unsigned bytes, 3 and 1 dimensions


def file_names(train: bool) -> tuple[str, str]:
    prefix = "train" if train else "t10k"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def find(folder: Path, name: str) -> Path | None:
    """The file itself, or its .gz as published."""
    return next((path for path in (folder / name, folder / f"{name}.gz") if path.is_file()), None)


def data_folder(name: str, root: Path) -> Path:
    """ROOT/MNIST/raw (torchvision's layout, where downloads go), or ROOT itself when the files lie there."""
    laid_out = root / SETS[name][1] / "raw"
    loose = any(find(root, file) for train in (True, False) for file in file_names(train))
    return root if loose and not laid_out.is_dir() else laid_out


def read_idx(path: Path, magic: int) -> np.ndarray:
    """An idx array of unsigned bytes, checked against its header, from a plain or .gz file."""
    try:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise GantoolError(f"cannot read {path} ({exc}); download it again") from None
    dims = magic & 0xFF
    if len(data) < 4 * (1 + dims) or struct.unpack(">I", data[:4])[0] != magic:
        raise GantoolError(f"{path} is not an idx file of {dims}-d unsigned bytes (wrong header); download it again")
    shape = struct.unpack(f">{dims}I", data[4:4 * (1 + dims)])
    body = data[4 * (1 + dims):]
    if len(body) != int(np.prod(shape)):
        raise GantoolError(f"{path} is truncated or damaged: its header promises {int(np.prod(shape)):,} bytes of "
                           f"data, it holds {len(body):,}; download it again")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def missing_message(name: str, folder: Path, names: tuple[str, str]) -> str:
    expected = " and ".join(f"{file}[.gz]" for file in names)
    return (f"{name}: no {SETS[name][2].split()[0]} files under {folder} (expected {expected}); put them there, or "
            f"download them with --set data.download=true, or point --set data.root=DIR at the folder holding "
            f"{SETS[name][1]}/raw or the four files")


def load_idx_set(name: str, *, root: Path, download: bool, split: str, image_size: int) -> DatasetBundle:
    """All images of a split (train, test, or all: both merged) as one uint8 tensor (N, 1, size, size) with int64
    labels."""
    parts = [load_idx_part(name, root=root, download=download, train=train)
             for train in {"train": (True,), "test": (False,), "all": (True, False)}[split]]
    pixels = resize_uint8(torch.cat([images for images, _ in parts]), image_size)
    targets = torch.cat([labels for _, labels in parts])
    folder = data_folder(name, root)
    return in_memory_bundle(pixels, targets, 10, f"{SETS[name][2]}, {len(targets):,} {split} images from {folder}")


def load_idx_part(name: str, *, root: Path, download: bool, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The images (N, 1, 28, 28) uint8 and int64 labels of the train or test files, downloaded if asked."""
    import torchvision.datasets

    source = getattr(torchvision.datasets, SETS[name][0])
    folder = data_folder(name, root)
    names = file_names(train)
    paths = [find(folder, file) for file in names]
    if None in paths and download:
        checksums = dict(source.resources)
        for file, path in zip(names, paths, strict=True):
            if path is None:
                fetch([mirror + f"{file}.gz" for mirror in source.mirrors], folder, f"{file}.gz",
                      checksums.get(f"{file}.gz"), name)
        paths = [find(folder, file) for file in names]
    if None in paths:
        raise GantoolError(missing_message(name, folder, names))
    images, labels = read_idx(paths[0], IMAGE_MAGIC), read_idx(paths[1], LABEL_MAGIC)
    if len(images) != len(labels) or (len(labels) and int(labels.max()) > 9):
        raise GantoolError(f"{paths[0]} and {paths[1]} do not match ({len(images)} images, {len(labels)} labels "
                           "from 0 to 9 expected); download them again")
    return torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))
