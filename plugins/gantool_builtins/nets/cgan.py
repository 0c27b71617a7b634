"""Conditional GAN (Mirza & Osindero, 2014): the class label joins the noise in G and the image in D.

The label enters as a one-hot vector, or as a learned embedding. The body is fully connected (as in the
paper's MNIST model) or DCGAN-shaped; the convolutional D receives the label code as constant channels.
A fully connected body may first pass noise (image) and label through separate branches, then join them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gantool.interfaces import DataSpec
from gantool_builtins.nets.dcgan import DCGANDiscriminator, DCGANGenerator, plan
from gantool_builtins.nets.init import initialise, spectrally_normalise
from gantool_builtins.nets.mlp import Branches, discriminator_stack, generator_stack, pixels


class LabelCode(nn.Module):
    """Class labels (N,) -> one-hot vectors (N, num_classes), or learned embeddings (N, embedding) if > 0."""

    def __init__(self, num_classes: int, embedding: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.size = embedding or num_classes
        self.embedding = nn.Embedding(num_classes, embedding) if embedding else None

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        if self.embedding is None:
            return F.one_hot(labels, self.num_classes).float()
        return self.embedding(labels)


def _check_body(spec: DataSpec, body: str) -> None:
    if body == "conv":
        plan(spec, "cgan with body=conv")  # refuses sizes the DCGAN layout cannot build, in one line


class CGANGenerator(nn.Module):
    """Noise (N, latent_dim) and labels (N,) -> images (N, C, H, W) in [-1, 1] of that class."""

    def __init__(self, spec: DataSpec, *, latent_dim: int, embedding: int, body: str, hidden: Sequence[int],
                 depth: int, branch: int = 0, slope: float = 0.2, init: str = "auto") -> None:
        super().__init__()
        _check_body(spec, body)
        self.latent_dim, self.num_classes = latent_dim, spec.num_classes
        self.shape = (spec.channels, spec.height, spec.width)
        self.code = LabelCode(spec.num_classes, embedding)
        inputs = latent_dim + self.code.size
        self.branches = None
        if body == "conv":
            self.main: nn.Module = DCGANGenerator(spec, latent_dim=inputs, depth=depth,
                                                  init="normal-0.02" if init == "auto" else init)
        else:
            if branch:
                self.branches = Branches(latent_dim, self.code.size, branch, batch_norm=True, slope=slope)
                inputs = 2 * branch
            self.main = generator_stack(inputs, hidden, pixels(spec), slope)
            initialise(self, "pytorch" if init == "auto" else init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        assert labels is not None, "cgan draws images of given classes: pass labels"
        code = self.code(labels).to(z.dtype)
        joined = torch.cat([z.flatten(1), code], 1) if self.branches is None else self.branches(z.flatten(1), code)
        return self.main(joined).view(len(z), *self.shape)


class CGANDiscriminator(nn.Module):
    """Images (N, C, H, W) and labels (N,) -> logits (N,): is this a real image of this class?

    `conditioning="input"` joins the label code to the image (constant channels for conv, input units for
    mlp); `"projection"` (Miyato & Koyama, 2018) adds the inner product of a learned class embedding with
    D's last hidden features to its logit, which ties the score to the class more directly.
    """

    def __init__(self, spec: DataSpec, *, embedding: int, body: str, hidden: Sequence[int], dropout: float,
                 depth: int, spectral_norm: bool = False, conditioning: str = "input", branch: int = 0,
                 batch_norm: bool = False, init: str = "auto") -> None:
        super().__init__()
        _check_body(spec, body)
        self.num_classes, self.body, self.projection = spec.num_classes, body, conditioning == "projection"
        self.code = LabelCode(spec.num_classes, embedding)
        extra = 0 if self.projection else self.code.size
        self.branches = None
        if body == "conv":
            joined = DataSpec(spec.channels + extra, spec.height, spec.width)
            self.main: nn.Module = DCGANDiscriminator(joined, depth=depth, spectral_norm=spectral_norm,
                                                      init="normal-0.02" if init == "auto" else init)
            features = self.layers[-1].in_channels
        else:
            inputs = pixels(spec) + extra
            if branch:
                self.branches = Branches(pixels(spec), self.code.size, branch, batch_norm=False, slope=0.2)
                inputs = 2 * branch
            self.main = discriminator_stack(inputs, hidden, dropout, batch_norm=batch_norm)
            initialise(self, "pytorch" if init == "auto" else init)
            if spectral_norm:
                spectrally_normalise(self.main)
                if self.branches is not None:
                    spectrally_normalise(self.branches)
            features = hidden[-1] if hidden else pixels(spec)
        if self.projection:
            self.class_embedding = nn.Embedding(spec.num_classes, features)
            nn.init.normal_(self.class_embedding.weight, 0.0, 0.02)
            if spectral_norm:
                spectrally_normalise(self.class_embedding)

    @property
    def layers(self) -> nn.Sequential:
        """The body's layers, the last of which makes the logit from the hidden features."""
        return self.main.main if self.body == "conv" else self.main

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        assert labels is not None, "cgan judges images against their classes: pass labels"
        if self.projection:
            inputs = x if self.body == "conv" else x.flatten(1)
            hidden = self.layers[:-1](inputs)
            logits = self.layers[-1](hidden).flatten()
            pooled = hidden.sum((2, 3)) if hidden.dim() == 4 else hidden
            return logits + (self.class_embedding(labels).to(pooled.dtype) * pooled).sum(1)
        code = self.code(labels).to(x.dtype)
        if self.body == "conv":
            maps = code[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
            return self.main(torch.cat([x, maps], 1))
        if self.branches is not None:
            return self.main(self.branches(x.flatten(1), code)).flatten()
        return self.main(torch.cat([x.flatten(1), code], 1)).flatten()
