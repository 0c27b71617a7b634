"""`gantool train --nproc N`: start the same command in N processes on this machine through torchrun.

The processes are started by torchrun itself (`torch.distributed.run`), run in a child process whose
exit code `gantool` returns. That child catches torchrun's report of a failed process, so the user
sees the failing process's own one-line error and its exit code (2 for a user error, 3 when training
diverged) instead of torchrun's traceback and its blanket exit code 1.
"""

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
    """torchrun's arguments for N processes on this machine running `gantool ARGV` (minus --nproc)."""
    return [sys.executable, "-m", "gantool.training.launch", "--standalone", "--nproc-per-node", str(nproc),
            "-m", "gantool", *without_nproc(argv)]


def run_torchrun(nproc: int, argv: Sequence[str]) -> int:
    """Run the processes to the end; 0 if all succeeded, else the exit code of the first that failed."""
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


def torchrun_main(args: list[str]) -> int:
    """torchrun with these arguments; a failed process's own exit code instead of torchrun's traceback."""
    import logging

    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main

    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)  # the processes say what failed
    try:
        main(args)
    except ChildFailedError as exc:
        _, failure = exc.get_first_failure()
        return failure.exitcode if failure.exitcode > 0 else 128 - failure.exitcode  # killed by a signal
    return 0


if __name__ == "__main__":
    sys.exit(torchrun_main(sys.argv[1:]))
