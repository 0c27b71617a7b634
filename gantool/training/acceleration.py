"""Ways to run the networks faster, set up once before training: the channels-last memory format (on by default
for convolutional networks that run in it, measured as harmless in docs/benchmarks.md) and torch.compile
(inductor, opt-in: its compile time does not pay back in a default run)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import torch
from torch import nn

from gantool.errors import GantoolError, first_line

if TYPE_CHECKING:
    from gantool.training.ema import DrawBatch
    from gantool.training.progress import TrainingDisplay

CPU_COMPILERS = ("g++", "clang++", "c++")
T = TypeVar("T")


def place(generator: nn.Module, discriminator: nn.Module, device: torch.device, *, channels_last: bool | None,
          draw: DrawBatch) -> tuple[nn.Module, nn.Module, bool]:
    """G and D moved to `device`, and whether they are stored channels-last. In that layout (their 4-d weights
    converted in place) convolutions run in oneDNN's and cuDNN's preferred format and their outputs stay in it
    from layer to layer. None (the default) chooses it for convolutional networks that run in it; True insists."""
    generator, discriminator = generator.to(device), discriminator.to(device)
    if channels_last is False or (channels_last is None and not convolutional(generator, discriminator)):
        return generator, discriminator, False
    for network in (generator, discriminator):
        network.to(memory_format=torch.channels_last)
    failure = forward_failure(generator, discriminator, draw)
    if failure is None:
        return generator, discriminator, True
    for network in (generator, discriminator):
        network.to(memory_format=torch.contiguous_format)
    # asked for: refuse, unless the networks fail in the default layout too (then the first step reports their bug)
    if channels_last and forward_failure(generator, discriminator, draw) is None:
        raise GantoolError(f"--channels-last: G and D cannot run channels-last ({failure}); train with "
                           "--no-channels-last")
    return generator, discriminator, False


def convolutional(*networks: nn.Module) -> bool:
    """Whether any of the networks has a 4-d weight (a convolution): the only weights a memory format changes."""
    return any(param.dim() == 4 for network in networks for param in network.parameters())


@torch.no_grad()
def forward_failure(generator: nn.Module, discriminator: nn.Module, draw: DrawBatch) -> str | None:
    """Why G and D cannot run two images in their present memory layout, or None when they can. In channels-last,
    a network that `view`s its activations as if they had the default layout fails here, before any training;
    eval mode keeps batch norm's statistics and every random stream of the run untouched. Any exception counts:
    a plugin's own bug then meets the training loop's handling, which names the plugin, in the first step."""
    modes = [(network, network.training) for network in (generator, discriminator)]
    for network, _ in modes:
        network.eval()
    try:
        z, labels = draw(2, torch.Generator().manual_seed(0))
        discriminator(generator(z, labels), labels)
    except Exception as error:  # noqa: BLE001 - see the docstring
        return first_line(error).split(" (")[0]  # torch's parenthesised hint does not fit one line
    finally:
        for network, training in modes:
            network.train(training)
    return None


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
