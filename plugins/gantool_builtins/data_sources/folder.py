"""`image-folder`: a folder of images, each decoded and checked once before training starts.

Files are found recursively in sorted order (hidden files and folders skipped), decoded by the rules of
`decode.py` on a few threads, and either kept in memory as one uint8 tensor (when they fit `memory_mb`)
or, for larger sets, decoded again batch by batch from the list of files that passed the check.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from torch.utils.data import Dataset

from gantool.errors import GantoolError
from gantool.image_limits import bomb_warnings_silenced
from gantool.images import from_uint8
from gantool.interfaces import DataReport, DatasetBundle, DataSpec
from gantool_builtins.data_sources.decode import BadImage, decode
from gantool_builtins.data_sources.tensors import in_memory_bundle

HIDDEN_FOLDERS = ("__MACOSX",)  # resource forks of zip files made on macOS
BAD_IMAGE_HINT = ("leave them out with --set data.on_bad_image=skip (the default), refuse them with "
                  "--set data.on_bad_image=fail, or fix or remove the files")


def hidden(name: str) -> bool:
    return name.startswith(".") or name in HIDDEN_FOLDERS


@dataclass
class Scan:
    """The image files found under a root, with the class of each, and what the rules passed over."""

    files: list[Path] = field(default_factory=list)
    classes: list[int] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)


def scan(root: Path, patterns: tuple[str, ...], labels: bool) -> Scan:
    """Walk `root` (links to folders are not followed); with `labels`, each top sub-folder is a class."""
    if not root.is_dir():
        raise GantoolError(f"image-folder: data.root {root} {'is not a folder' if root.exists() else 'does not exist'}"
                           "; give the folder of images with --set data.root=DIR")
    globs = [pattern.lower() for pattern in patterns]
    result = Scan()
    if labels:
        result.class_names = sorted(entry.name for entry in root.iterdir() if entry.is_dir() and not hidden(entry.name))
    class_of = {name: index for index, name in enumerate(result.class_names)}
    for folder, dirs, names in os.walk(root):
        result.ignored["hidden (files and folders)"] += sum(hidden(name) for name in dirs + names)
        dirs[:] = sorted(name for name in dirs if not hidden(name))
        relative = Path(folder).relative_to(root)
        for name in sorted(names):
            if hidden(name):
                continue
            if not any(PurePosixPath(name.lower()).match(glob) for glob in globs):
                result.ignored["not matching the pattern"] += 1
                continue
            result.files.append(Path(folder) / name)
            result.classes.append(class_of.get(relative.parts[0], -1) if relative.parts else -1)
    if not result.files:
        passed = ", ".join(f"{count} {what}" for what, count in result.ignored.items() if count) or "nothing"
        raise GantoolError(f"image-folder: no images under {root} match {','.join(patterns)} ({passed} found); check "
                           "data.root and data.pattern")
    loose = [path for path, label in zip(result.files, result.classes, strict=True) if label < 0]
    if labels and loose:
        raise GantoolError(f"image-folder: labels=true takes each sub-folder of {root} as a class, but {len(loose)} "
                           f"images lie outside them (first: {loose[0]}); move them into a class folder, or train "
                           "without labels")
    return result


def decode_threads() -> int:
    """Pillow decodes with the GIL released, so threads use every core."""
    return min(8, os.cpu_count() or 1)


def decode_all(files: list[Path], size: int, channels: int,
               squash: bool = False) -> Iterator[tuple[np.ndarray | None, list[str], str]]:
    """(array or None, conversions, problem or "") for each file, in order, decoded on a few threads."""
    def one(path: Path) -> tuple[np.ndarray | None, list[str], str]:
        try:
            array, notes = decode(path, size, channels, squash)
            return array, notes, ""
        except BadImage as bad:
            return None, [], bad.reason

    with bomb_warnings_silenced(), ThreadPoolExecutor(max_workers=decode_threads()) as pool:
        yield from pool.map(one, files)


class ImageFiles(Dataset):
    """(image in [-1, 1], label) decoded from its file on every access: for sets too big for memory."""

    def __init__(self, files: list[Path], labels: list[int], size: int, channels: int, squash: bool = False) -> None:
        self.files, self.labels, self.size, self.channels, self.squash = files, labels, size, channels, squash

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        with bomb_warnings_silenced():
            return self.load(index)

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, int]]:
        """A whole batch, decoded on a few threads (the DataLoader asks for batches this way)."""
        with bomb_warnings_silenced(), ThreadPoolExecutor(max_workers=decode_threads()) as pool:
            return list(pool.map(self.load, indices))

    def load(self, index: int) -> tuple[torch.Tensor, int]:
        try:
            array, _ = decode(self.files[index], self.size, self.channels, self.squash)
        except BadImage as bad:
            raise GantoolError(f"{self.files[index]} no longer decodes ({bad.reason}) though it did when training "
                               "started; restore it, or remove it and start again") from None
        return from_uint8(torch.from_numpy(array)), self.labels[index]


def load_image_folder(root: Path, *, pattern: tuple[str, ...], image_size: int, channels: int, labels: bool,
                      memory_mb: int, on_bad_image: str, squash: bool = False) -> DatasetBundle:
    """Find, decode and check every image; keep them in memory when they fit `memory_mb`, else stream them."""
    found = scan(root, pattern, labels)
    in_memory = len(found.files) * channels * image_size ** 2 <= memory_mb * 2 ** 20
    images = torch.empty((len(found.files) if in_memory else 0, channels, image_size, image_size), dtype=torch.uint8)
    kept: list[int] = []
    converted: Counter[str] = Counter()
    skipped: dict[str, list[str]] = {}
    for index, (array, notes, problem) in enumerate(decode_all(found.files, image_size, channels, squash)):
        if problem:
            skipped.setdefault(problem, []).append(str(found.files[index]))
            continue
        converted.update(notes)
        if in_memory:
            images[len(kept)] = torch.from_numpy(array)
        kept.append(index)
    report = DataReport(files=len(found.files), converted=dict(converted), skipped=skipped,
                        ignored={what: count for what, count in found.ignored.items() if count}, hint=BAD_IMAGE_HINT)
    check(report, root, on_bad_image)
    label_list = [max(found.classes[index], 0) for index in kept]
    if labels:
        report.classes = {name: label_list.count(index) for index, name in enumerate(found.class_names)}
        empty = [name for name, count in report.classes.items() if count == 0]
        if empty:
            raise GantoolError(f"image-folder: class folder {root / empty[0]} has no usable images; add images, remove "
                               "the folder, or train without labels")
    spec = DataSpec(channels, image_size, image_size, len(found.class_names) if labels else 0)
    classes = f", {len(found.class_names)} classes" if labels else ""
    files = [found.files[index] for index in kept]
    if not in_memory:
        return DatasetBundle(spec, ImageFiles(files, label_list, image_size, channels, squash), None, None,
                             f"image folder {root}, {len(files):,} images{classes}, decoded per batch", report)
    pixels, targets = images[:len(kept)], torch.tensor(label_list, dtype=torch.long)
    return in_memory_bundle(pixels, targets, spec.num_classes, f"image folder {root}, {len(files):,} images{classes}",
                            report)


def check(report: DataReport, root: Path, on_bad_image: str) -> None:
    """Refuse the folder when nothing decodes, or when anything does not and on_bad_image is fail."""
    if not report.skipped_count:
        return
    first_problem, first_files = next(iter(report.skipped.items()))
    lister = f"gantool check-data --dataset image-folder --set data.root={root} lists them"
    if report.skipped_count == report.files:
        raise GantoolError(f"image-folder: none of the {report.files} images under {root} decodes "
                           f"({report.skipped_summary()}); {lister}")
    if on_bad_image == "fail":
        raise GantoolError(f"image-folder: {report.skipped_count} of {report.files} images under {root} do not decode "
                           f"({report.skipped_summary()}; first: {first_files[0]}, {first_problem}); fix or remove "
                           f"them, or leave them out with --set data.on_bad_image=skip ({lister})")
