"""gantool: train, sample and evaluate GANs composed from plugin parts."""

from gantool.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
