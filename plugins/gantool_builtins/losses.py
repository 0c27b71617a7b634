"""Factories of the built-in losses (torch imported when a loss is built)."""

from typing import Annotated

from gantool.options import Option


def bce():
    """Non-saturating GAN loss on logits (Goodfellow et al., 2014): D tells real from fake, G fools D."""
    from gantool_builtins.nets.losses import BCELoss

    return BCELoss()


def smoothed_bce(
    *,
    smoothing: Annotated[float, Option("D's real targets become 1 - smoothing (0 is plain bce)", min=0.0,
                                       max=0.5)] = 0.1,
):
    """bce with one-sided label smoothing (Salimans et al., 2016): real targets 1 - smoothing, fakes stay 0."""
    from gantool_builtins.nets.losses import BCELoss

    return BCELoss(real_target=1.0 - smoothing)


LOSSES = {"bce": bce, "smoothed-bce": smoothed_bce}
