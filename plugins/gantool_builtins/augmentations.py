"""Factories of the built-in augmentations (torch imported when one is built)."""

from typing import Annotated, Literal

from gantool.errors import GantoolError
from gantool.options import Option

Operation = Literal["color", "translation", "cutout"]


def diffaugment(
    *,
    policy: Annotated[list[Operation], Option("operations in order, comma-separated: color (brightness, "
                                              "saturation, contrast), translation, cutout")] = (
        "color", "translation", "cutout"),
    translation: Annotated[float, Option("largest shift, as a share of the image size", min=0.0, max=0.5)] = 0.125,
    cutout: Annotated[float, Option("side of the cut-out square, as a share of the image size", min=0.0,
                                    max=1.0)] = 0.5,
    fill: Annotated[float, Option("value of uncovered and cut-out pixels (-1 black, 0 grey, 1 white)", min=-1.0,
                                  max=1.0)] = 0.0,
    probability: Annotated[float, Option("share of images each operation is applied to", min=0.0, max=1.0)] = 1.0,
):
    """DiffAugment (Zhao et al., 2020): differentiable colour, translation and cutout on real and fake images."""
    from gantool_builtins.nets.diffaugment import DiffAugment

    if not policy:
        raise GantoolError("diffaugment needs at least one operation in aug.policy, e.g. color,translation,cutout")
    return DiffAugment(list(policy), translation=translation, cutout=cutout, fill=fill, probability=probability)


AUGMENTATIONS = {"diffaugment": diffaugment}
