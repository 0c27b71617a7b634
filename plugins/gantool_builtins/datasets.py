"""Factories of the built-in datasets (torch imported when a dataset is built)."""

from typing import Annotated, Literal

from gantool.errors import GantoolError
from gantool.options import Option

ImageSize = Annotated[int, Option("resize images to this side length (square)", min=4, max=1024)]


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


DATASETS = {"mnist5k": mnist5k}
