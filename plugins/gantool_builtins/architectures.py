"""Factories of the built-in architectures. Each imports its torch module only when called."""

from typing import Annotated, Literal

from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool.options import Option

LatentDim = Annotated[int, Option("size of the noise vector z", min=1, max=4096)]
Hidden1 = Annotated[int, Option("units of the first hidden layer", min=1, max=65536)]
Hidden2 = Annotated[int, Option("units of the second hidden layer", min=1, max=65536)]
LabelEmbedding = Annotated[int, Option("size of a learned label embedding; 0 feeds the label one-hot", min=0,
                                       max=4096)]
Body = Annotated[Literal["mlp", "conv"], Option("conv: DCGAN-shaped layers (square sizes 28, 8 to 256); mlp: fully "
                                                 "connected, any size")]
Depth = Annotated[int, Option("body=conv: channels of the finest layer, as dcgan's depth", min=1)]
MLPHidden1 = Annotated[int, Option("body=mlp: units of the first hidden layer", min=1, max=65536)]
SpectralNorm = Annotated[bool, Option("spectrally normalise every layer (Miyato et al., 2018) instead of batch norm; "
                                      "pairs well with --loss hinge")]
MLPHidden2 = Annotated[int, Option("body=mlp: units of the second hidden layer", min=1, max=65536)]
Init = Annotated[Literal["auto", "normal-0.02", "pytorch", "xavier-uniform"], Option(
    "weight init: normal-0.02 (conv and linear weights N(0, 0.02), norm scales N(1, 0.02), biases 0, as DCGAN); "
    "pytorch (torch's layer defaults); xavier-uniform (Glorot uniform weights, biases 0, norm scales 1: Keras' and "
    "TF-slim's defaults); auto: normal-0.02 for DCGAN-shaped layers, pytorch for fully connected ones")]
Layout = Annotated[Literal["standard", "from-4x4", "tf-slim"], Option(
    "standard: Radford et al.'s (4x4 kernels; 28x28 from a 7x7 start); from-4x4: 28x28 from 4x4 too, G's last layer "
    "cropping 32 to 28 (padding 3), D reaching 4x4 with a 3x3 conv before a 4x4 logit (PyTorch DCGAN-28 tutorials; "
    "as standard at other sizes); tf-slim: TF-slim's dcgan.py, powers of two only (G: 1x1 to 4x4 with depth*2^stages "
    "maps, then depth*2*k maps for k down to 1, a linear transposed conv to depth maps, a 1x1 conv to the image; D: "
    "one stride-2 conv per halving down to 1x1, then a 1x1 logit)")]
ConvBias = Annotated[Literal["none", "all", "unnormalised"], Option(
    "convolution biases: none; all (PyTorch tutorials' layers); unnormalised: only where no batch norm follows "
    "(TF-slim's rule, as batch norm cancels a bias)")]
NormScale = Annotated[bool, Option("batch norm learns a scale as well as a shift; false learns only the shift "
                                   "(TF-slim's default)")]
HiddenBias = Annotated[bool, Option("bias on the hidden linear layers (Keras tutorials often set use_bias=False)")]
OutputBias = Annotated[bool, Option("bias on the output linear layer")]
Slope = Annotated[float, Option("negative slope of the LeakyReLU activations; 0 is ReLU (Keras' default is 0.3)",
                                min=0.0, max=1.0)]
BatchNorm = Annotated[bool, Option("batch norm after each hidden linear layer (before the activation)")]
GenBranch = Annotated[int, Option("body=mlp: units of separate noise and label layers (each with batch norm) "
                                  "joined before the hidden layers; 0 joins noise and label directly", min=0,
                                  max=65536)]
DiscBranch = Annotated[int, Option("body=mlp: units of separate image and label layers (LeakyReLU(0.2)) joined "
                                   "before the hidden layers; 0 joins image and label directly", min=0, max=65536)]
# cgan's defaults were measured on mnist5k (20 epochs, batch 64, lr 2e-4 for both): the conv body at depth 48
# reached label accuracy 0.84-0.86 over three seeds in about 3 minutes on 2 cores, the MLP body stopped near
# 0.73; with today's G rate of 4e-4 the default run reaches 0.871 (see docs/evaluation.md).


def dcgan_generator(
    spec: DataSpec,
    *,
    latent_dim: LatentDim = 100,
    depth: Annotated[int, Option("channels of the last hidden layer; doubled at each coarser one", min=1)] = 64,
    init: Init = "auto",
    layout: Layout = "standard",
    bias: ConvBias = "none",
    norm_scale: NormScale = True,
):
    """DCGAN generator (Radford et al., 2016): transposed convolutions up from 4x4 (7x7 for 28x28)."""
    from gantool_builtins.nets.dcgan import DCGANGenerator

    return DCGANGenerator(spec, latent_dim=latent_dim, depth=depth, init=_scheme(init, "normal-0.02"), layout=layout,
                          bias=bias, norm_scale=norm_scale)


def dcgan_discriminator(
    spec: DataSpec,
    *,
    depth: Annotated[int, Option("channels of the first layer; doubled at each coarser one", min=1)] = 64,
    spectral_norm: SpectralNorm = False,
    init: Init = "auto",
    layout: Layout = "standard",
    bias: ConvBias = "none",
    norm_scale: NormScale = True,
    first_norm: Annotated[bool, Option("batch norm after the first convolution too (unless spectral_norm)")] = False,
):
    """DCGAN discriminator: strided convolutions down, batch norm, LeakyReLU(0.2), one logit out."""
    from gantool_builtins.nets.dcgan import DCGANDiscriminator

    return DCGANDiscriminator(spec, depth=depth, spectral_norm=spectral_norm, init=_scheme(init, "normal-0.02"),
                              layout=layout, bias=bias, norm_scale=norm_scale, first_norm=first_norm)


def mlp_generator(spec: DataSpec, *, latent_dim: LatentDim = 100, hidden1: Hidden1 = 256, hidden2: Hidden2 = 512,
                  slope: Slope = 0.2, init: Init = "auto", hidden_bias: HiddenBias = True,
                  output_bias: OutputBias = True,
                  output_norm: Annotated[bool, Option(
                      "batch norm after the output tanh (a Keras tutorial's layout); images then leave [-1, 1] "
                      "and are clipped where they are saved")] = False):
    """Fully connected generator: two hidden layers with batch norm and LeakyReLU, tanh out; any image size."""
    from gantool_builtins.nets.mlp import MLPGenerator

    return MLPGenerator(spec, latent_dim=latent_dim, hidden=(hidden1, hidden2), slope=slope,
                        init=_scheme(init, "pytorch"), hidden_bias=hidden_bias, output_bias=output_bias,
                        output_norm=output_norm)


def mlp_discriminator(spec: DataSpec, *, hidden1: Hidden1 = 512, hidden2: Hidden2 = 256,
                      spectral_norm: SpectralNorm = False, batch_norm: BatchNorm = False, slope: Slope = 0.2,
                      init: Init = "auto", hidden_bias: HiddenBias = True, output_bias: OutputBias = True):
    """Fully connected discriminator on the flattened image: two hidden layers with LeakyReLU, one logit."""
    from gantool_builtins.nets.mlp import MLPDiscriminator

    return MLPDiscriminator(spec, hidden=(hidden1, hidden2), spectral_norm=spectral_norm, slope=slope,
                            batch_norm=batch_norm, init=_scheme(init, "pytorch"), hidden_bias=hidden_bias,
                            output_bias=output_bias)


def _scheme(init: str, auto: str) -> str:
    """The init scheme `init` names, `auto` being the architecture's own."""
    return auto if init == "auto" else init


def _labelled(spec: DataSpec) -> None:
    if not spec.num_classes:
        raise GantoolError("cgan needs a labelled dataset (e.g. mnist5k): it draws images of a chosen class; "
                           "for unlabelled data use dcgan or mlp")


def cgan_generator(
    spec: DataSpec,
    *,
    latent_dim: LatentDim = 100,
    label_embedding: LabelEmbedding = 0,
    body: Body = "conv",
    depth: Depth = 48,
    hidden1: MLPHidden1 = 512,
    hidden2: MLPHidden2 = 1024,
    branch: GenBranch = 0,
    slope: Annotated[float, Option("body=mlp: negative slope of the LeakyReLU activations; 0 is ReLU", min=0.0,
                                   max=1.0)] = 0.2,
    init: Init = "auto",
):
    """Conditional generator (Mirza & Osindero, 2014): the label joins the noise; a DCGAN or MLP body."""
    _labelled(spec)
    from gantool_builtins.nets.cgan import CGANGenerator

    return CGANGenerator(spec, latent_dim=latent_dim, embedding=label_embedding, body=body,
                         hidden=(hidden1, hidden2), depth=depth, branch=branch, slope=slope, init=init)


def cgan_discriminator(
    spec: DataSpec,
    *,
    label_embedding: LabelEmbedding = 0,
    body: Body = "conv",
    depth: Depth = 48,
    hidden1: MLPHidden1 = 512,
    hidden2: MLPHidden2 = 256,
    dropout: Annotated[float, Option("body=mlp: dropout after each hidden layer", min=0.0, max=0.9)] = 0.3,
    spectral_norm: SpectralNorm = False,
    conditioning: Annotated[Literal["input", "projection"], Option(
        "input: the label code joins the image; projection: a class embedding's inner product with D's last "
        "features is added to the logit (Miyato & Koyama, 2018)")] = "input",
    branch: DiscBranch = 0,
    batch_norm: Annotated[bool, Option("body=mlp: batch norm after each hidden linear layer")] = False,
    init: Init = "auto",
):
    """Conditional discriminator: the label joins the image (as constant channels for conv, input units for mlp)."""
    _labelled(spec)
    if branch and conditioning == "projection":
        raise GantoolError("disc.branch joins a label branch to the input, which conditioning=projection does "
                           "not use; set disc.branch=0 or disc.conditioning=input")
    from gantool_builtins.nets.cgan import CGANDiscriminator

    return CGANDiscriminator(spec, embedding=label_embedding, body=body, hidden=(hidden1, hidden2),
                             dropout=dropout, depth=depth, spectral_norm=spectral_norm, conditioning=conditioning,
                             branch=branch, batch_norm=batch_norm, init=init)


Block = Annotated[Literal["r3gan", "sngan"], Option(
    "r3gan: inverted bottleneck (1x1 widen x2, grouped 3x3, 1x1 narrow), LeakyReLU, no norm, bilinear transitions "
    "(Huang et al., 2024); sngan: pre-activation [norm]-ReLU-conv3x3 twice (Miyato et al., 2018)")]
Width = Annotated[int, Option("channels of the finest stage; doubled at each coarser one", min=1, max=4096)]
ResDepth = Annotated[int, Option("residual blocks per resolution", min=1, max=16)]
ResNorm = Annotated[Literal["auto", "none", "batch"], Option(
    "normalisation inside the blocks: batch or none; auto: batch in sngan's generator, none otherwise")]
ResInit = Annotated[Literal["auto", "fixup", "normal-0.02", "pytorch"], Option(
    "weight init: fixup (He-normal, each residual branch scaled down and its last layer zero, so blocks start as "
    "identities); normal-0.02; pytorch (torch's defaults); auto: fixup for r3gan, pytorch for sngan and with "
    "spectral norm")]
# resnet's defaults keep a 28x28 training step near dcgan's cost on 2 CPU cores (measured in docs/training.md)


def _resnet_init(init: str, block: str, spectral_norm: bool, kind: str) -> str:
    if init == "fixup" and spectral_norm:
        raise GantoolError(f"{kind}.init=fixup starts each residual branch at zero, which spectral norm cannot "
                           f"divide by; set {kind}.init=pytorch or {kind}.spectral_norm=false")
    if init != "auto":
        return init
    return "fixup" if block == "r3gan" and not spectral_norm else "pytorch"


def resnet_generator(
    spec: DataSpec,
    *,
    latent_dim: LatentDim = 128,
    width: Width = 16,
    depth: ResDepth = 1,
    block: Block = "r3gan",
    norm: ResNorm = "auto",
    spectral_norm: Annotated[bool, Option("spectrally normalise every layer (as in SAGAN's generator)")] = False,
    init: ResInit = "auto",
):
    """Residual generator (SNGAN or R3GAN blocks) for 28, 32 and 64 pixels; class-conditional on labelled data."""
    from gantool_builtins.nets.resnet import ResNetGenerator

    return ResNetGenerator(spec, latent_dim=latent_dim, width=width, depth=depth, block=block,
                           norm=("batch" if block == "sngan" else "none") if norm == "auto" else norm,
                           spectral_norm=spectral_norm, init=_resnet_init(init, block, spectral_norm, "gen"))


def resnet_discriminator(
    spec: DataSpec,
    *,
    width: Width = 16,
    depth: ResDepth = 1,
    block: Block = "r3gan",
    norm: ResNorm = "auto",
    spectral_norm: Annotated[bool | None, Option(
        "spectrally normalise every layer; unset: on with block=sngan (SNGAN), off with r3gan")] = None,
    init: ResInit = "auto",
):
    """Residual discriminator (SNGAN or R3GAN blocks), raw logits; a class projection on labelled data."""
    from gantool_builtins.nets.resnet import ResNetDiscriminator

    normalised = block == "sngan" if spectral_norm is None else spectral_norm
    return ResNetDiscriminator(spec, width=width, depth=depth, block=block, norm="none" if norm == "auto" else norm,
                               spectral_norm=normalised, init=_resnet_init(init, block, normalised, "disc"))


GENERATORS = {"dcgan": dcgan_generator, "mlp": mlp_generator, "cgan": cgan_generator, "resnet": resnet_generator}
DISCRIMINATORS = {"dcgan": dcgan_discriminator, "mlp": mlp_discriminator, "cgan": cgan_discriminator,
                  "resnet": resnet_discriminator}
