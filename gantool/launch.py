"""`gantool train --nproc N`: start the same command in N processes on this machine through torchrun."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

from gantool.errors import GantoolError


def launched_by_torchrun() -> bool:
    """torchrun sets RANK and WORLD_SIZE in each process it starts."""
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ


def without_nproc(argv: Sequence[str]) -> list[str]:
    """The command line minus `--nproc N` / `--nproc=N`, which only the launching process acts on."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            kept.append(arg)
    return kept


def torchrun_command(nproc: int, argv: Sequence[str]) -> list[str]:
    """`python -m torch.distributed.run --standalone --nproc-per-node N -m gantool ARGV` (one machine)."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
            "-m", "gantool", *without_nproc(argv)]


def run_torchrun(nproc: int, argv: Sequence[str]) -> int:
    """Run the processes to the end and return torchrun's exit code (0 only if every process succeeded)."""
    if launched_by_torchrun():
        raise GantoolError("--nproc starts torchrun itself, but this process already runs under torchrun; "
                           "drop --nproc (torchrun's --nproc-per-node sets the process count)")
    if not argv:
        raise GantoolError("--nproc could not read the command line to pass on; run "
                           "python -m torch.distributed.run --standalone --nproc-per-node N -m gantool train ...")
    try:
        return subprocess.run(torchrun_command(nproc, argv), check=False).returncode
    except KeyboardInterrupt:
        return 130
