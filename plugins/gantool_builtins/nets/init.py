"""Weight initialisation and spectral normalisation shared by the built-in architectures."""

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def dcgan_init(module: nn.Module) -> None:
    """N(0, 0.02) for convolution and linear weights, N(1, 0.02) for norm scales, zero biases."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d | nn.BatchNorm1d):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


def initialise(module: nn.Module, scheme: str) -> None:
    """Apply a weight-init scheme: `normal-0.02` is dcgan_init; `pytorch` keeps torch's own defaults, which a
    freshly built module already has."""
    if scheme == "normal-0.02":
        dcgan_init(module)


def spectrally_normalise(module: nn.Module) -> nn.Module:
    """Divide every convolution, linear and embedding weight by its largest singular value, estimated by one power
    iteration per training step (Miyato et al., 2018); call after initialisation, which it keeps."""
    for layer in list(module.modules()):
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d | nn.Linear | nn.Embedding):
            spectral_norm(layer)
    return module
