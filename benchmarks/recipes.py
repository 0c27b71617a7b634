"""Quality and wall time of whole training recipes, as a user runs them: `gantool train` then `gantool evaluate`.

Each variant is a list of `gantool train` arguments. Every run trains under the strict protocol (mnist5k's
train split, `--set data.split=train`, unless the variant names another dataset) with one seed, and is measured
by `gantool evaluate RUN --json`. Runs go one after the other, variant by variant within each seed, so runs that
are compared share the machine's state. Prints a Markdown table (mean and spread over seeds) and appends every
run to OUT.jsonl.

    python benchmarks/recipes.py --variant default= --variant unconditional=--unconditional --seeds 0,1,2
    python benchmarks/recipes.py --variant stacked="--dataset stacked-mnist" --seeds 0 --eval-num 26000
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

METRICS = ("frechet_distance", "kid", "precision", "recall", "modes", "kl_from_uniform")


def run_variant(name: str, args: list[str], seed: int, out: Path, threads: int | None, eval_num: int | None) -> dict:
    """Train and evaluate one run; returns its row (seconds of `gantool train` alone, and the metrics)."""
    run = out / f"{name}-seed{seed}"
    strict = [] if "--dataset" in args else ["--set", "data.split=train"]
    command = [sys.executable, "-m", "gantool", "train", *args, *strict, "--seed", str(seed), "--out", str(run),
               "--quiet", *(["--threads", str(threads)] if threads else [])]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - start
    measure = [sys.executable, "-m", "gantool", "evaluate", str(run), "--json",
               *(["--num", str(eval_num)] if eval_num else [])]
    report = json.loads(subprocess.run(measure, check=True, capture_output=True, text=True).stdout)
    values = {key: value for key, value in report["metrics"].items() if key in METRICS}
    return {"variant": name, "args": shlex.join(args), "seed": seed, "seconds": round(seconds, 1), **values}


def table(rows: list[dict]) -> str:
    """One line per variant: mean (min to max) over its seeds."""
    lines = ["| variant | seeds | seconds | " + " | ".join(METRICS) + " |", "|" + " --- |" * (3 + len(METRICS))]
    for name in dict.fromkeys(row["variant"] for row in rows):
        mine = [row for row in rows if row["variant"] == name]
        cells = [name, ",".join(str(row["seed"]) for row in mine), _spread([row["seconds"] for row in mine], 0)]
        for key in METRICS:
            found = [row[key] for row in mine if key in row]
            cells.append(_spread(found, 3) if found else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _spread(values: list[float], digits: int) -> str:
    mean = statistics.fmean(values)
    return f"{mean:.{digits}f}" if len(values) == 1 else f"{mean:.{digits}f} ({min(values):.{digits}f} to " \
                                                        f"{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=ARGS",
                        help="a name and the gantool train arguments of one recipe (repeatable)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("--out", type=Path, default=Path("runs/recipes"), help="where the runs go")
    parser.add_argument("--threads", type=int, default=None, help="--threads of every run")
    parser.add_argument("--eval-num", type=int, default=None, help="--num of every evaluation")
    options = parser.parse_args()
    variants = [(name, shlex.split(args)) for name, _, args in (item.partition("=") for item in options.variant)]
    options.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in (int(seed) for seed in options.seeds.split(",")):
        for name, args in variants:
            row = run_variant(name, args, seed, options.out, options.threads, options.eval_num)
            rows.append(row)
            with (options.out / "OUT.jsonl").open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    print(f"\n{os.cpu_count()} CPUs, threads {options.threads or 'default'}\n")
    print(table(rows))


if __name__ == "__main__":
    main()
