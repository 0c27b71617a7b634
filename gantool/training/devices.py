"""Where a run computes and in which precision: the device (picked once per run), and fp32 or bf16 autocast
where the hardware computes bf16 natively; `auto` picks between them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import torch

from gantool.errors import GantoolError

BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def pick_device(name: str) -> torch.device:
    """`auto` is CUDA when present, else the CPU; asking for CUDA without one is a user error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GantoolError("--device cuda was asked for but no CUDA GPU is visible; use --device cpu or auto")
    if name != "cpu" and not name.startswith("cuda"):
        raise GantoolError(f"--device {name!r} is not known; use auto, cpu or cuda")
    return torch.device(name)


def cpu_flags() -> set[str]:
    """The CPU feature flags Linux reports (empty where /proc/cpuinfo does not exist)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def bf16_supported(device: torch.device) -> bool:
    """True where bf16 is fast: a GPU that supports it, or a CPU with avx512_bf16 or AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return any(flag in cpu_flags() for flag in BF16_CPU_FLAGS)


def resolve_precision(precision: str, device: torch.device) -> str:
    """What `--precision auto` trains in on `device`: bf16 on CPUs that compute it natively (avx512_bf16 or AMX),
    where the default run's bf16 steps were measured faster than fp32's and its samples as good over three seeds
    (docs/benchmarks.md, docs/evaluation.md); fp32 on GPUs, where bf16 has not been measured yet, and elsewhere."""
    if precision != "auto":
        return precision
    return "bf16" if device.type == "cpu" and bf16_supported(device) else "fp32"


def autocast_for(precision: str, device: torch.device) -> Callable[[], AbstractContextManager]:
    """A factory of the context the forward passes run in; refuses bf16 where it would be slow or wrong."""
    if resolve_precision(precision, device) == "fp32":
        return contextlib.nullcontext
    if not bf16_supported(device):
        where = "this GPU" if device.type == "cuda" else "this CPU (no avx512_bf16 or amx_bf16 flag)"
        raise GantoolError(f"--precision bf16 is not supported on {where}; use --precision fp32")
    return lambda: torch.autocast(device.type, dtype=torch.bfloat16)
