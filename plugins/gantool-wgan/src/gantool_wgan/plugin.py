"""The hooks gantool finds through this package's `gantool` entry point; nothing here imports torch."""

from gantool import hookimpl

from gantool_wgan.factories import wgan_critic, wgan_generator, wgan_gp


@hookimpl
def register_generators(register):
    register("wgan", wgan_generator)


@hookimpl
def register_discriminators(register):
    register("wgan", wgan_critic)


@hookimpl
def register_losses(register):
    register("wgan-gp", wgan_gp)
