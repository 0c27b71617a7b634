"""Factories of the built-in datasets (torch imported when a dataset is built)."""

from typing import Annotated

from gantool.options import Option

ImageSize = Annotated[int, Option("resize images to this side length (square)", min=4, max=1024)]


def mnist5k(*, image_size: ImageSize = 28):
    """5,000 MNIST digits (500 per class) bundled with gantool; works offline. MNIST: LeCun, Cortes, Burges."""
    from gantool_builtins.data_sources.bundled import load_mnist5k

    return load_mnist5k(image_size=image_size)


DATASETS = {"mnist5k": mnist5k}
