"""Factories of the built-in datasets (torch imported when a dataset is built)."""

from pathlib import Path
from typing import Annotated, Literal

from gantool.errors import GantoolError
from gantool.options import Option

ImageSize = Annotated[int, Option("resize images to this side length (square)", min=4, max=1024)]
Root = Annotated[Path, Option("folder that holds the data set's folder (relative to the current directory)")]
Download = Annotated[bool, Option("download the files into root when they are missing (needs the network)")]
Train = Annotated[bool, Option("false: the test images (the older spelling of split=test, kept so existing runs load)")]
Split = Annotated[Literal["train", "test", "all"], Option("which images: the training set, the test set, or all: "
                                                          "both merged into one")]


def _split(split: str, train: bool) -> str:
    """The split named by `split`, or by the older `train=false`; refusing the two when they disagree."""
    if train:
        return split
    if split == "all":
        raise GantoolError("data.train=false (the test images) and data.split=all disagree; give only "
                           "--set data.split=test or --set data.split=all")
    return "test"


def mnist5k(
    *,
    image_size: ImageSize = 28,
    classes: Annotated[tuple[int, ...], Option("digits to keep, e.g. 0,1,7; labels stay the digits")] = tuple(
        range(10)),
    split: Annotated[Literal["all", "train", "heldout"], Option(
        "heldout: every tenth digit of each class (the evaluation reference); train: the other nine")] = "all",
):
    """5,000 MNIST digits (500 per class) bundled with gantool; works offline. MNIST: LeCun, Cortes, Burges."""
    wrong = [digit for digit in classes if not 0 <= digit <= 9]
    if wrong or not classes:
        raise GantoolError(f"data.classes={','.join(map(str, classes))!r} must name digits from 0 to 9, e.g. "
                           "--set data.classes=0,1,7")
    from gantool_builtins.data_sources.bundled import load_mnist5k

    return load_mnist5k(image_size=image_size, classes=classes, split=split)


def stacked_mnist(
    *,
    size: Annotated[int, Option(
        "how many stacked images; each of the 1,000 digit triples appears size/1000 times (the first size % 1000 "
        "triples once more); 10,000 keeps a default run within 15 minutes on 2 cores", min=1000, max=200000)] = 10000,
    seed: Annotated[int, Option("which digits are stacked (the same images on every machine for a seed)", min=0,
                                max=2**32 - 1)] = 0,
    split: Annotated[Literal["train", "heldout"], Option(
        "train: stacks of mnist5k's train digits; heldout: of its held-out digits (the evaluation reference)")
    ] = "train",
):
    """Stacked MNIST: three bundled digits as R, G and B, 1,000 modes (Metz et al. 2017); unlabelled, offline."""
    from gantool_builtins.data_sources.stacked import load_stacked_mnist

    return load_stacked_mnist(size=size, seed=seed, split=split)


def mnist(*, root: Root = Path("data"), download: Download = False, split: Split = "train", train: Train = True,
          image_size: ImageSize = 28):
    """MNIST digits (60,000 train, 10,000 test) from idx files under ROOT/MNIST/raw; loaded into memory."""
    from gantool_builtins.data_sources.idx import load_idx_set

    return load_idx_set("mnist", root=root, download=download, split=_split(split, train), image_size=image_size)


def fashion_mnist(*, root: Root = Path("data"), download: Download = False, split: Split = "train",
                  train: Train = True, image_size: ImageSize = 28):
    """Fashion-MNIST clothing (Zalando; 60,000 train, 10,000 test) from idx files under ROOT/FashionMNIST/raw."""
    from gantool_builtins.data_sources.idx import load_idx_set

    return load_idx_set("fashion-mnist", root=root, download=download, split=_split(split, train),
                        image_size=image_size)


def cifar10(*, root: Root = Path("data"), download: Download = False, split: Split = "train", train: Train = True,
            image_size: ImageSize = 32):
    """CIFAR-10 colour photos (Krizhevsky; 50,000 train, 10,000 test), binary version, no pickles."""
    from gantool_builtins.data_sources.cifar import load_cifar10

    return load_cifar10(root=root, download=download, split=_split(split, train), image_size=image_size)


def image_folder(
    *,
    root: Annotated[Path, Option("folder of images, searched recursively (hidden files and folders skipped)")],
    pattern: Annotated[tuple[str, ...], Option("file name globs to use, comma-separated, any case")] = (
        "*.png", "*.jpg", "*.jpeg", "*.bmp", "*.gif", "*.webp", "*.tif", "*.tiff"),
    image_size: Annotated[int, Option("side of the square images (see resize)", min=4, max=1024)] = 64,
    resize: Annotated[Literal["crop", "squash"], Option(
        "crop: resize the shorter side to image_size and crop the centre square; squash: resize the whole image to "
        "the square, changing its aspect ratio")] = "crop",
    channels: Annotated[Literal[1, 3], Option("1: greyscale, 3: RGB")] = 3,
    labels: Annotated[bool, Option("label each image by its sub-folder of root (sorted names: 0, 1, ...)")] = False,
    memory_mb: Annotated[int, Option("decode into memory when the images take at most this; else per batch",
                                     min=0)] = 2048,
    on_bad_image: Annotated[Literal["skip", "fail"], Option(
        "a file that does not decode: leave it out with a warning, or refuse to start")] = "skip",
):
    """Your own images from a folder: resized (centre-cropped or squashed), checked file by file before training."""
    from gantool_builtins.data_sources.folder import load_image_folder

    return load_image_folder(root, pattern=pattern, image_size=image_size, channels=channels, labels=labels,
                             memory_mb=memory_mb, on_bad_image=on_bad_image, squash=resize == "squash")


DATASETS = {"mnist5k": mnist5k, "stacked-mnist": stacked_mnist, "mnist": mnist, "fashion-mnist": fashion_mnist,
            "cifar10": cifar10, "image-folder": image_folder}
