"""Weight initialisation, batch norm and spectral normalisation shared by the built-in architectures."""

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

WEIGHTED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
NORMS = (nn.BatchNorm2d, nn.BatchNorm1d)


def dcgan_init(module: nn.Module) -> None:
    """N(0, 0.02) for convolution and linear weights, N(1, 0.02) for norm scales, zero biases."""
    for layer in module.modules():
        if isinstance(layer, WEIGHTED):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, NORMS):
            if layer.weight is not None:  # a shift-only batch norm has no scale
                nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


def glorot_init(module: nn.Module) -> None:
    """Glorot (Xavier) uniform convolution and linear weights, zero biases, norm scales 1 and shifts 0: the
    defaults of Keras and TF-slim layers."""
    for layer in module.modules():
        if isinstance(layer, WEIGHTED):
            nn.init.xavier_uniform_(layer.weight)  # symmetric in fan-in and fan-out, so transposed convs agree too
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, NORMS):
            if layer.weight is not None:
                nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)


def initialise(module: nn.Module, scheme: str) -> None:
    """Apply a weight-init scheme: `normal-0.02` is dcgan_init, `xavier-uniform` glorot_init; `pytorch` keeps torch's
    own defaults, which a freshly built module already has."""
    if scheme == "normal-0.02":
        dcgan_init(module)
    elif scheme == "xavier-uniform":
        glorot_init(module)


def batch_norm_2d(channels: int, *, scale: bool = True) -> nn.BatchNorm2d:
    """Batch norm over channels with a learned shift, and a learned scale unless `scale` is off (TF-slim's
    default: only the shift, beta, is learned)."""
    if scale:
        return nn.BatchNorm2d(channels)
    norm = nn.BatchNorm2d(channels, affine=False)
    norm.bias = nn.Parameter(norm.running_mean.new_zeros(channels))  # F.batch_norm takes a shift without a scale
    return norm


def spectrally_normalise(module: nn.Module) -> nn.Module:
    """Divide every convolution, linear and embedding weight by its largest singular value, estimated by one power
    iteration per training step (Miyato et al., 2018); call after initialisation, which it keeps."""
    for layer in list(module.modules()):
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d | nn.Linear | nn.Embedding):
            spectral_norm(layer)
    return module
