"""Factories of the built-in architectures. Each imports its torch module only when called."""

from typing import Annotated

from gantool.interfaces import DataSpec
from gantool.options import Option

LatentDim = Annotated[int, Option("size of the noise vector z", min=1, max=4096)]


def dcgan_generator(
    spec: DataSpec,
    *,
    latent_dim: LatentDim = 100,
    depth: Annotated[int, Option("channels of the last hidden layer; doubled at each coarser one", min=1)] = 64,
):
    """DCGAN generator (Radford et al., 2016): transposed convolutions up from 4x4 (7x7 for 28x28)."""
    from gantool_builtins.nets.dcgan import DCGANGenerator

    return DCGANGenerator(spec, latent_dim=latent_dim, depth=depth)


def dcgan_discriminator(
    spec: DataSpec,
    *,
    depth: Annotated[int, Option("channels of the first layer; doubled at each coarser one", min=1)] = 64,
):
    """DCGAN discriminator: strided convolutions down, batch norm, LeakyReLU(0.2), one logit out."""
    from gantool_builtins.nets.dcgan import DCGANDiscriminator

    return DCGANDiscriminator(spec, depth=depth)


GENERATORS = {"dcgan": dcgan_generator}
DISCRIMINATORS = {"dcgan": dcgan_discriminator}
