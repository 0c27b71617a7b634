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


AdaOperation = Literal["xflip", "rotate90", "translation", "brightness", "contrast", "saturation", "cutout"]
# ADA's speed is 500k images on runs of tens of millions; gantool's default run sees about 96k (3,000 steps of 32),
# so 500k would let p climb at most 0.2 in it. 10k lets p cross its range within a tenth of that run, while each
# update still moves it by only 0.013 (4 steps x 32 images / 10k), which keeps it steady.


def ada(
    *,
    ops: Annotated[list[AdaOperation], Option(
        "operations in order, comma-separated, each applied to an image with probability p: xflip, rotate90 "
        "(multiples of 90 degrees), translation (whole pixels, up to 1/8), brightness, contrast, saturation, "
        "cutout (a grey half-size square)")] = ("xflip", "rotate90", "translation", "brightness", "contrast",
                                                 "saturation"),
    target: Annotated[float, Option("r_t to hold: the share by which D's real verdicts lean positive, "
                                    "E[sign(D(real))]; assumes logits centred at 0", min=0.0, max=1.0)] = 0.6,
    speed: Annotated[int, Option("images over which p can move from 0 to 1 (ADA used 500k on far longer runs)",
                                 min=1)] = 10_000,
    interval: Annotated[int, Option("D steps between adjustments of p", min=1)] = 4,
    initial_p: Annotated[float, Option("p at the start of training", min=0.0, max=1.0)] = 0.0,
    max_p: Annotated[float, Option("ceiling of p; flips and rotations start to show in G's samples above "
                                   "about 0.8 (ADA's leak analysis)", min=0.0, max=1.0)] = 0.8,
):
    """Adaptive discriminator augmentation (Karras et al., 2020): the probability p of each operation follows
    how sure D is of the real images; saved in checkpoints and logged as aug_p."""
    from gantool_builtins.nets.ada import ADA

    if not ops:
        raise GantoolError("ada needs at least one operation in aug.ops, e.g. xflip,translation,brightness")
    if initial_p > max_p:
        raise GantoolError(f"aug.initial_p={initial_p:g} is above aug.max_p={max_p:g}; lower initial_p or raise max_p")
    return ADA(list(ops), target=target, speed=speed, interval=interval, initial=initial_p, maximum=max_p)


AUGMENTATIONS = {"diffaugment": diffaugment, "ada": ada}
