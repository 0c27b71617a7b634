"""The built-in datasets: mnist5k's classes and splits, the torchvision sets from their files, image folders."""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import io
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gantool.interfaces import DataSpec
from gantool.options import resolve_options
from gantool.registry import load_registry
from tests.conftest import TINY, run_subprocess


def build(name: str, **raw: str):
    """Build a dataset from option strings, as `--set data.KEY=VALUE` would."""
    factory = load_registry().get("dataset", name).factory
    return factory(**resolve_options(factory, raw, "data"))


def test_mnist5k_classes_keep_those_digits_with_their_own_labels():
    bundle = build("mnist5k", classes="0,1,7")
    assert sorted(bundle.labels.unique().tolist()) == [0, 1, 7] and len(bundle) == 1500
    assert bundle.spec.num_classes == 10, "label 7 stays a seven, so a conditional G keeps 10 classes"
    everything = build("mnist5k")
    sevens = everything.images[everything.labels == 7]
    assert torch.equal(bundle.images[bundle.labels == 7], sevens)


def test_mnist5k_splits_hold_out_every_tenth_digit_of_each_class():
    everything, train, heldout = build("mnist5k"), build("mnist5k", split="train"), build("mnist5k", split="heldout")
    assert (len(train), len(heldout)) == (4500, 500)
    assert torch.bincount(heldout.labels).tolist() == [50] * 10
    for digit in range(10):
        images = everything.images[everything.labels == digit]
        assert torch.equal(heldout.images[heldout.labels == digit], images[9::10])
        kept = torch.ones(len(images), dtype=torch.bool)
        kept[9::10] = False
        assert torch.equal(train.images[train.labels == digit], images[kept])


def test_mnist5k_split_and_classes_combine():
    bundle = build("mnist5k", classes="3", split="heldout", image_size="16")
    assert len(bundle) == 50 and set(bundle.labels.tolist()) == {3}
    assert tuple(bundle.images.shape) == (50, 1, 16, 16)


def test_mnist5k_refuses_a_digit_outside_0_to_9_in_one_line(cli, tmp_path):
    result = cli("train", "--set", "data.classes=0,12", "--out", str(tmp_path / "run"), "--quiet")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "data.classes" in result.err and "0 to 9" in result.err
    assert not (tmp_path / "run").exists()
    wrong_split = cli("train", "--set", "data.split=test", "--out", str(tmp_path / "run"), "--quiet")
    assert wrong_split.code == 2 and "all|train|heldout" in wrong_split.err


# -- mnist, fashion-mnist and cifar10 from files in their published formats --------------------------------


def write_idx_set(folder: Path, *, count: int, train: bool = True, compress: bool = False, seed: int = 0) -> None:
    """A tiny MNIST-format split: idx headers (big-endian magic and sizes) then the unsigned bytes."""
    rng = np.random.default_rng(seed)
    prefix = "train" if train else "t10k"
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    files = {f"{prefix}-images-idx3-ubyte": np.array([0x0803, count, 28, 28], ">u4").tobytes() + images.tobytes(),
             f"{prefix}-labels-idx1-ubyte": np.array([0x0801, count], ">u4").tobytes() + labels.tobytes()}
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def write_cifar_batches(folder: Path, *, per_batch: int) -> np.ndarray:
    """The five train batches and the test batch of CIFAR-10's binary version; returns the first record."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    first = None
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        records = rng.integers(0, 256, (per_batch, 3073), dtype=np.uint8)
        records[:, 0] = np.arange(per_batch) % 10
        first = records[0] if first is None else first
        (folder / name).write_bytes(records.tobytes())
    return first


def test_list_plugins_names_every_builtin_dataset(cli):
    provides = {p["plugin"]: p for p in json.loads(cli("list-plugins", "--json").out)}["builtins"]["provides"]
    for name in ("mnist5k", "stacked-mnist", "mnist", "fashion-mnist", "cifar10", "image-folder"):
        assert f"dataset:{name}" in provides


def test_mnist_without_files_fails_fast_in_one_line_saying_what_to_do(tmp_path):
    started = time.monotonic()
    result = run_subprocess("train", "--dataset", "mnist", "--quiet", cwd=tmp_path, timeout=120)
    elapsed = time.monotonic() - started
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and elapsed < 30, (elapsed, result.stderr)
    message = lines[0]
    for expected in ("data/MNIST/raw", "train-images-idx3-ubyte[.gz]", "train-labels-idx1-ubyte[.gz]",
                     "data.download=true", "data.root=DIR"):
        assert expected in message
    assert not (tmp_path / "runs").exists() and not (tmp_path / "data").exists(), "nothing written, nothing fetched"


def test_mnist_reads_idx_files_and_trains(cli, tmp_path):
    write_idx_set(tmp_path / "data" / "MNIST" / "raw", count=40)
    bundle = build("mnist", root=str(tmp_path / "data"))
    assert tuple(bundle.images.shape) == (40, 1, 28, 28) and bundle.images.dtype == torch.uint8
    assert bundle.labels.dtype == torch.int64 and bundle.labels.tolist()[:11] == [*range(10), 0]
    assert bundle.spec == DataSpec(1, 28, 28, 10)
    result = cli("train", "--dataset", "mnist", "--set", f"data.root={tmp_path / 'data'}", *TINY,
                 "--out", str(tmp_path / "run"))
    assert result.code == 0, result.err
    assert (tmp_path / "run" / "generator.safetensors").is_file()


def test_fashion_mnist_reads_gzipped_test_files_at_another_size(tmp_path):
    write_idx_set(tmp_path / "FashionMNIST" / "raw", count=12, train=False, compress=True)
    bundle = build("fashion-mnist", root=str(tmp_path), train="false", image_size="32")
    assert tuple(bundle.images.shape) == (12, 1, 32, 32) and "test images" in bundle.description


def test_a_truncated_idx_file_is_named_in_one_line(cli, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    write_idx_set(raw, count=20)
    images = raw / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    result = cli("train", "--dataset", "mnist", "--set", f"data.root={tmp_path}", "--quiet")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert str(images) in result.err and "truncated" in result.err


def test_cifar10_reads_the_binary_version_and_trains(cli, tmp_path):
    first = write_cifar_batches(tmp_path / "cifar-10-batches-bin", per_batch=8)
    bundle = build("cifar10", root=str(tmp_path))
    assert tuple(bundle.images.shape) == (40, 3, 32, 32) and bundle.spec == DataSpec(3, 32, 32, 10)
    assert int(bundle.labels[0]) == first[0]
    assert torch.equal(bundle.images[0], torch.from_numpy(first[1:].reshape(3, 32, 32))), "R, G, B planes, row-major"
    assert len(build("cifar10", root=str(tmp_path), train="false")) == 8
    result = cli("train", "--dataset", "cifar10", "--set", f"data.root={tmp_path}", *TINY, "--out",
                 str(tmp_path / "run"))
    assert result.code == 0, result.err


def test_cifar10_names_missing_batches_and_never_reads_the_pickled_version(cli, tmp_path):
    (tmp_path / "cifar-10-batches-py").mkdir()
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"\x80\x04pickle")
    result = cli("train", "--dataset", "cifar10", "--set", f"data.root={tmp_path}", "--quiet")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "cifar-10-batches-bin" in result.err and "pickles" in result.err and "data.download=true" in result.err
    write_cifar_batches(tmp_path / "cifar-10-batches-bin", per_batch=4)
    (tmp_path / "cifar-10-batches-bin" / "data_batch_3.bin").unlink()
    partial = cli("train", "--dataset", "cifar10", "--set", f"data.root={tmp_path}", "--quiet")
    assert partial.code == 2 and "data_batch_3.bin missing" in partial.err


@contextlib.contextmanager
def serving(folder: Path | None):
    """A local HTTP server: files from `folder`, or (None) one that accepts connections and never answers."""
    if folder is None:
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        try:
            yield f"http://127.0.0.1:{silent.getsockname()[1]}/"
        finally:
            silent.close()
        return
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_download_fetches_missing_files_and_checks_them(cli, tmp_path, monkeypatch):
    import torchvision.datasets

    published = tmp_path / "mirror"
    write_idx_set(published, count=20, compress=True)
    checksums = [(path.name, hashlib.md5(path.read_bytes()).hexdigest()) for path in sorted(published.iterdir())]
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources", checksums)
    with serving(published) as url:
        monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [url])
        bundle = build("mnist", root=str(tmp_path / "data"), download="true")
    assert len(bundle) == 20 and (tmp_path / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources", [(name, "0" * 32) for name, _ in checksums])
    with serving(published) as url:
        monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [url])
        corrupt = cli("train", "--dataset", "mnist", "--set", f"data.root={tmp_path / 'other'}",
                      "--set", "data.download=true", "--quiet")
    assert corrupt.code == 2 and "could not download" in corrupt.err
    assert not any((tmp_path / "other").rglob("*.gz")), "a file that fails its checksum is not kept"


def test_download_without_an_answer_gives_up_quickly_in_one_line(cli, tmp_path, monkeypatch):
    import torchvision.datasets
    from gantool_builtins.data_sources import downloads

    monkeypatch.setattr(downloads, "TIMEOUT_S", 1.0)
    with serving(None) as url:
        monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [url])
        started = time.monotonic()
        result = cli("train", "--dataset", "mnist", "--set", f"data.root={tmp_path}", "--set", "data.download=true",
                     "--quiet")
        elapsed = time.monotonic() - started
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1 and elapsed < 10, (elapsed, result.err)
    assert "could not download train-images-idx3-ubyte.gz" in result.err and "timed out" in result.err


# -- image-folder ---------------------------------------------------------------------------------------------


def photo_folder(root: Path, sizes=((96, 64), (64, 80), (120, 90), (70, 70)), copies: int = 4) -> list[Path]:
    """RGB JPEGs of several non-square sizes (width, height), in nested folders."""
    rng = np.random.default_rng(1)
    paths = []
    for index in range(copies * len(sizes)):
        width, height = sizes[index % len(sizes)]
        path = root / f"set{index % 2}" / f"photo{index:02d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_dcgan_trains_at_64x64_on_a_folder_of_rgb_jpegs(cli, tmp_path):
    photo_folder(tmp_path / "photos")
    bundle = build("image-folder", root=str(tmp_path / "photos"))
    assert bundle.spec == DataSpec(3, 64, 64, 0) and tuple(bundle.images.shape) == (16, 3, 64, 64)
    result = cli("train", "--gen", "dcgan", "--dataset", "image-folder", "--set", f"data.root={tmp_path / 'photos'}",
                 "--set", "gen.depth=8", "--set", "disc.depth=8", "--batch-size", "8", "--max-steps", "2", "--quiet",
                 "--out", str(tmp_path / "run"))
    assert result.code == 0, result.err
    assert (tmp_path / "run" / "generator.safetensors").is_file()


def test_images_are_resized_by_the_shorter_side_and_centre_cropped(tmp_path):
    stripes = np.zeros((50, 100, 3), dtype=np.uint8)
    stripes[:, :25] = (255, 0, 0)
    stripes[:, 25:75] = (0, 255, 0)
    stripes[:, 75:] = (0, 0, 255)
    (tmp_path / "wide").mkdir()
    Image.fromarray(stripes).save(tmp_path / "wide" / "stripes.png")
    image = build("image-folder", root=str(tmp_path / "wide"), image_size="20").images[0]
    assert tuple(image.shape) == (3, 20, 20)
    inner = image[:, :, 1:-1]  # the filter may reach a pixel past the crop at the edges
    assert inner[1].min() >= 250 and inner[0].max() <= 5 and inner[2].max() <= 5, "only the green middle is kept"
    assert image[1].min() >= 200


def test_labels_come_from_sorted_sub_folder_names(cli, tmp_path):
    root = tmp_path / "pets"
    for name, count in (("dogs", 5), ("cats", 3)):
        photo_folder(root / name, sizes=((40, 30),), copies=count)
    bundle = build("image-folder", root=str(root), labels="true", image_size="16")
    assert bundle.spec.num_classes == 2 and bundle.labels.tolist() == [0] * 3 + [1] * 5, "cats 0, dogs 1"
    assert bundle.report.classes == {"cats": 3, "dogs": 5}
    summary = json.loads(cli("check-data", "--dataset", "image-folder", "--set", f"data.root={root}",
                             "--set", "data.labels=true", "--json").out)
    assert summary["classes"] == {"cats": 3, "dogs": 5} and summary["spec"]["num_classes"] == 2
    assert not build("image-folder", root=str(root)).spec.conditional, "unlabelled unless asked"


def test_a_set_over_the_memory_budget_streams_from_its_files_and_trains(cli, tmp_path):
    photo_folder(tmp_path / "photos")
    resident = build("image-folder", root=str(tmp_path / "photos"), image_size="32")
    streamed = build("image-folder", root=str(tmp_path / "photos"), image_size="32", memory_mb="0")
    assert streamed.images is None and len(streamed) == 16 and "per batch" in streamed.description
    image, label = streamed.dataset[5]
    assert torch.equal(image, resident.images[5].float().div(127.5).sub(1.0)) and label == 0
    result = cli("train", "--dataset", "image-folder", "--set", f"data.root={tmp_path / 'photos'}",
                 "--set", "data.memory_mb=0", "--set", "data.image_size=32", *TINY, "--batch-size", "8",
                 "--out", str(tmp_path / "run"))
    assert result.code == 0, result.err


def test_pattern_picks_the_files_to_use(tmp_path):
    photo_folder(tmp_path / "mixed", copies=1)
    Image.new("RGB", (30, 30), (9, 9, 9)).save(tmp_path / "mixed" / "extra.PNG")
    bundle = build("image-folder", root=str(tmp_path / "mixed"), pattern="*.png", image_size="8")
    assert len(bundle) == 1 and bundle.images[0, 0, 4, 4] == 9, "globs match any case"
    assert bundle.report.ignored == {"not matching the pattern": 4}


def test_describe_shows_defaults_as_they_are_written_with_set(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    table = cli("describe", "mnist5k").out + cli("describe", "mnist").out
    assert "'0,1,2,3,4,5,6,7,8,9'" in table and "'data'" in table and "PosixPath" not in table


def test_cifar10_download_unpacks_only_the_expected_batch_files(tmp_path, monkeypatch):
    import tarfile

    from gantool_builtins.data_sources import cifar

    write_cifar_batches(tmp_path / "build" / "cifar-10-batches-bin", per_batch=4)
    (tmp_path / "build" / "cifar-10-batches-bin" / "data_batch_1.pickle").write_bytes(b"\x80\x04")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with tarfile.open(mirror / cifar.ARCHIVE, "w:gz") as tar:
        tar.add(tmp_path / "build" / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
        escape = tarfile.TarInfo("../escaped.bin")
        escape.size = 3
        tar.addfile(escape, io.BytesIO(b"bad"))
    monkeypatch.setattr(cifar, "ARCHIVE_MD5", hashlib.md5((mirror / cifar.ARCHIVE).read_bytes()).hexdigest())
    with serving(mirror) as url:
        monkeypatch.setattr(cifar, "URL", url)
        bundle = build("cifar10", root=str(tmp_path / "data"), download="true")
    assert len(bundle) == 20
    unpacked = sorted(path.name for path in (tmp_path / "data" / "cifar-10-batches-bin").iterdir())
    assert unpacked == [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    assert not (tmp_path / "escaped.bin").exists()
