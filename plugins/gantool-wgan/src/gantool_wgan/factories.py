"""Factories of this plugin's parts: their keyword-only parameters are the options users `--set`.

Torch is imported inside each factory, so loading the plugin costs nothing until a part is built.
"""

from typing import Annotated, Literal

from gantool.interfaces import DataSpec
from gantool.options import Option

Depth = Annotated[int, Option("channels of the finest layer; doubled at each coarser one", min=1)]


def wgan_generator(
    spec: DataSpec,
    *,
    latent_dim: Annotated[int, Option("size of the noise vector z", min=1, max=4096)] = 128,
    depth: Depth = 64,
):
    """Generator of the WGAN-GP paper's DCGAN setup: a linear projection, then transposed convolutions up."""
    from gantool_wgan.nets import WGANGenerator

    return WGANGenerator(spec, latent_dim=latent_dim, depth=depth)


def wgan_critic(
    spec: DataSpec,
    *,
    depth: Depth = 64,
    norm: Annotated[Literal["layer", "instance", "none"], Option("normalisation in the critic (never batch norm, "
                                                                 "which breaks the per-sample gradient penalty)")]
    = "layer",
):
    """Critic for WGAN-GP (and the built-in hinge loss): strided convolutions down, layer norm, one score each."""
    from gantool_wgan.nets import WGANCritic

    return WGANCritic(spec, depth=depth, norm=norm)


def wgan_gp(*, weight: Annotated[float, Option("gradient penalty coefficient (lambda)", min=0.0)] = 10.0):
    """Wasserstein loss with gradient penalty (Gulrajani et al., 2017); pair it with a critic without batch norm."""
    from gantool_wgan.losses import WassersteinGPLoss

    return WassersteinGPLoss(weight=weight)
