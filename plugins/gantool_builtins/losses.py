"""Factories of the built-in losses (torch imported when a loss is built)."""

from typing import Annotated

from gantool.options import Option

R1 = Annotated[float, Option("R1 penalty weight gamma on real images (Mescheder et al., 2018); 0 is off", min=0.0)]
R1Every = Annotated[int, Option("apply R1 on every k-th D step only, scaled by k (lazy, as in StyleGAN2)", min=1,
                                max=1000)]
DScale = Annotated[float, Option("multiply D's loss (real + fake) by this; 0.5 averages the two, as the PyTorch "
                                 "DCGAN tutorials for MNIST write it", min=0.0, max=1.0)]


def bce(*, r1: R1 = 0.0, r1_every: R1Every = 1, d_scale: DScale = 1.0):
    """Non-saturating GAN loss on logits (Goodfellow et al., 2014): D tells real from fake, G fools D."""
    from gantool_builtins.nets.losses import BCELoss

    return BCELoss(r1=r1, r1_every=r1_every, d_scale=d_scale)


def smoothed_bce(
    *,
    smoothing: Annotated[float, Option("D's real targets become 1 - smoothing (0 is plain bce)", min=0.0,
                                       max=0.5)] = 0.1,
    r1: R1 = 0.0,
    r1_every: R1Every = 1,
    d_scale: DScale = 1.0,
):
    """bce with one-sided label smoothing (Salimans et al., 2016): real targets 1 - smoothing, fakes stay 0."""
    from gantool_builtins.nets.losses import BCELoss

    return BCELoss(real_target=1.0 - smoothing, r1=r1, r1_every=r1_every, d_scale=d_scale)


def hinge(*, r1: R1 = 0.0, r1_every: R1Every = 1):
    """Hinge loss (Lim & Ye, 2017; SNGAN, SAGAN, BigGAN): D pushes real scores above 1, fakes below -1."""
    from gantool_builtins.nets.losses import HingeLoss

    return HingeLoss(r1=r1, r1_every=r1_every)


def rpgan(
    *,
    r1: Annotated[float, Option("R1 weight gamma: zero-centred gradient penalty on real images", min=0.0)] = 1.0,
    r2: Annotated[float, Option("R2 weight gamma: zero-centred gradient penalty on generated images (R3GAN uses "
                                "the same gamma as R1)", min=0.0)] = 1.0,
    every: Annotated[int, Option("apply R1 and R2 on every k-th D step only, scaled by k (lazy, as in StyleGAN2); "
                                 "1 is R3GAN's every step", min=1, max=1000)] = 1,
):
    """Relativistic pairing loss with R1 and R2 penalties (R3GAN, Huang et al., 2024): D ranks each real image
    above a generated one, G the reverse; the two penalties keep the game convergent and the modes covered."""
    from gantool_builtins.nets.losses import RpGANLoss

    return RpGANLoss(r1=r1, r2=r2, every=every)


LOSSES = {"bce": bce, "smoothed-bce": smoothed_bce, "hinge": hinge, "rpgan": rpgan}
