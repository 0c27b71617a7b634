"""Opt-in ways to run the networks faster, set up once before training: the channels-last memory format and
torch.compile (inductor). Both change the last bits of the results, so fp32 eager stays the default."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import torch
from torch import nn

from gantool.errors import GantoolError

if TYPE_CHECKING:
    from gantool.training.progress import TrainingDisplay

CPU_COMPILERS = ("g++", "clang++", "c++")
T = TypeVar("T")


def place(generator: nn.Module, discriminator: nn.Module, device: torch.device, *,
          channels_last: bool) -> tuple[nn.Module, nn.Module]:
    """G and D moved to `device`; with `channels_last` their 4-d weights stored channels-last (in place), so
    convolutions run in oneDNN's and cuDNN's preferred layout and their outputs stay in it from layer to layer."""
    memory_format = torch.channels_last if channels_last else torch.preserve_format
    return generator.to(device, memory_format=memory_format), discriminator.to(device, memory_format=memory_format)


class Compilation:
    """G and D compiled in place (their state dicts keep their names) by torch.compile's inductor backend."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, device: torch.device) -> None:
        """A graph inductor cannot build runs eagerly, with torch's logged warning."""
        if device.type == "cpu" and not any(shutil.which(name) for name in CPU_COMPILERS):
            raise GantoolError("--compile needs a C++ compiler on the PATH for the CPU (g++ or clang++); install "
                               "one (e.g. apt install g++) or train without --compile")
        torch._dynamo.config.suppress_errors = True
        generator.compile()
        discriminator.compile()
        discriminator._compiled_call_impl = eager_for_input_gradients(discriminator)
        self.reported = False

    def timed(self, step: Callable[..., T], *args: object, display: TrainingDisplay) -> T:
        """Run one training step; after the first (where compilation happens) say once how long it took."""
        started = time.perf_counter()
        result = step(*args)
        if not self.reported:
            display.message(f"--compile: the first step took {time.perf_counter() - started:.1f} s, compiling G "
                            "and D; the next ones run the compiled code")
            self.reported = True
        return result


def eager_for_input_gradients(module: nn.Module) -> Callable[..., object]:
    """The compiled module's call, except where an input is a leaf that requires its gradient: a gradient penalty
    (R1, WGAN-GP) differentiates D's gradient with respect to the images, which compiled graphs cannot."""
    compiled, eager = module._compiled_call_impl, module._call_impl

    def call(*args: object, **kwargs: object) -> object:
        penalised = any(isinstance(arg, torch.Tensor) and arg.is_leaf and arg.requires_grad for arg in args)
        return (eager if penalised else compiled)(*args, **kwargs)

    return call
