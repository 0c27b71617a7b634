"""CIFAR-10 from its binary version (ROOT/cifar-10-batches-bin), read here byte by byte: no pickles.

torchvision's CIFAR10 reads the python version, whose batches are pickles; unpickling runs code, which
gantool never does. The binary version holds the same images as fixed-size records: one label byte,
then 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, each 32x32 row-major).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import torch

from gantool.errors import GantoolError
from gantool.interfaces import DatasetBundle
from gantool_builtins.data_sources.downloads import fetch
from gantool_builtins.data_sources.tensors import in_memory_bundle, resize_uint8

FOLDER = "cifar-10-batches-bin"
ARCHIVE = "cifar-10-binary.tar.gz"
URL = "https://www.cs.toronto.edu/~kriz/"
ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
RECORD = 1 + 3 * 32 * 32
TRAIN_FILES = tuple(f"data_batch_{index}.bin" for index in range(1, 6))
TEST_FILES = ("test_batch.bin",)


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 3, 32, 32), labels) of one binary batch file, checked to be whole records."""
    data = np.fromfile(path, dtype=np.uint8)
    if len(data) == 0 or len(data) % RECORD:
        raise GantoolError(f"{path} is truncated or not a CIFAR-10 binary batch ({len(data):,} bytes, not a multiple "
                           f"of {RECORD:,}-byte records); download it again")
    records = data.reshape(-1, RECORD)
    labels = records[:, 0]
    if int(labels.max()) > 9:
        raise GantoolError(f"{path} has labels above 9, so it is not a CIFAR-10 binary batch; download it again")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def extract(archive: Path, root: Path) -> None:
    """Unpack only the expected regular files of the archive (no links, no paths outside root)."""
    wanted = {f"{FOLDER}/{name}" for name in (*TRAIN_FILES, *TEST_FILES, "batches.meta.txt")}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            if member.name in wanted and member.isfile():
                source = tar.extractfile(member)
                assert source is not None
                (root / member.name).parent.mkdir(parents=True, exist_ok=True)
                (root / member.name).write_bytes(source.read())


def missing_message(root: Path, names: tuple[str, ...], absent: list[str]) -> str:
    pickled = " (the python version there holds pickles, which gantool does not load)" if (
        root / "cifar-10-batches-py").is_dir() else ""
    what = "no CIFAR-10 binary batches" if len(absent) == len(names) else ", ".join(absent) + " missing"
    return (f"cifar10: {what} under {root / FOLDER} (expected {', '.join(names)}: the binary version, "
            f"{URL}{ARCHIVE}, unpacked){pickled}; put them there, or download them with --set data.download=true, "
            "or point --set data.root=DIR at the folder holding cifar-10-batches-bin")


def load_cifar10(*, root: Path, download: bool, split: str, image_size: int) -> DatasetBundle:
    """All images of a split (train, test, or all: both merged) as one uint8 tensor (N, 3, size, size) with int64
    labels."""
    names = {"train": TRAIN_FILES, "test": TEST_FILES, "all": TRAIN_FILES + TEST_FILES}[split]
    folder = root / FOLDER
    absent = [name for name in names if not (folder / name).is_file()]
    if absent and download:
        archive = fetch([URL + ARCHIVE], root, ARCHIVE, ARCHIVE_MD5, "cifar10")
        try:
            extract(archive, root)
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise GantoolError(f"cifar10: cannot unpack {archive} ({exc}); delete it and download again") from None
        absent = [name for name in names if not (folder / name).is_file()]
    if absent:
        raise GantoolError(missing_message(root, names, absent))
    batches = [read_batch(folder / name) for name in names]
    images = torch.from_numpy(np.concatenate([images for images, _ in batches]))
    labels = torch.from_numpy(np.concatenate([labels for _, labels in batches]).astype(np.int64))
    pixels = resize_uint8(images, image_size)
    return in_memory_bundle(pixels, labels, 10, f"CIFAR-10, {len(labels):,} {split} images from {folder}")
