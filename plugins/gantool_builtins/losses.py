"""Factories of the built-in losses (torch imported when a loss is built)."""


def bce():
    """Non-saturating GAN loss on logits (Goodfellow et al., 2014): D tells real from fake, G fools D."""
    from gantool_builtins.nets.losses import BCELoss

    return BCELoss()


LOSSES = {"bce": bce}
