"""Settings from a --config file or a run's config.toml get the command line's checks (types, bounds, finite
numbers, seeds in 0..2**63-1) before anything is written: exit 0 with a run, or one line with exit code 2.

Property-based: hypothesis writes config.toml documents with wrong types, out-of-range and non-finite numbers,
huge integers and missing keys, and feeds them to `train --config`.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli

# Tiny parts on 8x8 digits in batches of 1,000: a run that passes its checks trains 2 steps in seconds.
FAST_RUN = ["--gen", "dcgan", "--set", "gen.depth=4", "--set", "disc.depth=4", "--set", "data.image_size=8",
            "--batch-size", "1000", "--max-steps", "2", "--device", "cpu", "--quiet"]
MAX_SEED = 2**63 - 1

nonfinite = st.sampled_from([math.nan, math.inf, -math.inf])
wrong = st.one_of(st.text(max_size=4), st.booleans(), nonfinite, st.integers(-(2**70), 2**70),
                  st.lists(st.integers(-2, 2), max_size=2))


def counts(low: int = 1, high: int = 2**70) -> st.SearchStrategy:
    """Integers mostly in range, sometimes zero, negative, fractional or of the wrong type."""
    return st.one_of(st.integers(low, high), st.integers(-3, 0), st.floats(0.5, 3.5), wrong)


def rates(high: float) -> st.SearchStrategy:
    """Usable numbers up to `high`, or negative, non-finite or of the wrong type."""
    return st.one_of(st.floats(0.0, high), st.integers(0, 1), st.floats(-2.0, -1e-9), nonfinite, wrong)


SETTINGS = {
    "epochs": counts(), "max_steps": counts(), "batch_size": counts(), "eval_num": counts(2),
    "sample_every": counts(), "checkpoint_every": counts(), "log_every": counts(), "keep": counts(),
    "d_steps": st.one_of(st.integers(1, 2), st.integers(-2, 0), st.floats(0.5, 1.5), wrong),
    "g_steps": st.one_of(st.integers(1, 2), st.integers(-2, 0), wrong),
    "patience": counts(), "lr_g": rates(1e-3), "lr_d": rates(1e-3), "lr_decay_factor": rates(1.0),
    "ema": rates(1.0), "seed": st.one_of(st.integers(0, MAX_SEED), st.integers(-(2**64), 2**70), wrong),
    "betas_g": st.one_of(st.lists(st.floats(allow_nan=True), max_size=3), wrong),
    "lr_decay_epochs": st.one_of(st.lists(st.integers(-2, 2**70), max_size=3), wrong),
    "noise": st.one_of(st.sampled_from(["normal", "uniform", "cauchy"]), wrong),
    "update": st.one_of(st.sampled_from(["alternating", "simultaneous", "both"]), wrong),
    "tensorboard": st.one_of(st.booleans(), wrong),
}
documents = st.fixed_dictionaries({}, optional=SETTINGS)


def train_from(config: dict, folder: Path, capsys, *extra: str) -> tuple[int, str, Path]:
    """Train from `config` written as TOML into `folder`: the exit code, stderr and the run directory."""
    (folder / "config.toml").write_text(tomli_w.dumps(config))
    out = folder / "run"
    result = run_cli(capsys, "train", "--config", str(folder / "config.toml"), "--out", str(out), *FAST_RUN, *extra)
    return result.code, result.err, out


def assert_run_or_one_line(code: int, stderr: str, out: Path) -> None:
    """Exit 0 with a finished run, or exit 2 with one error line and no run directory; never a crash."""
    errors = [line for line in stderr.splitlines() if line.strip() and not line.startswith("warning:")]
    if code == 0:
        assert (out / "generator.safetensors").is_file()
        return
    assert code == 2, stderr
    assert len(errors) == 1 and errors[0].startswith("error:"), stderr
    assert not out.exists(), "a refused config must not leave a run directory behind"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(config=documents)
@example(config={"lr_g": math.inf})
@example(config={"seed": MAX_SEED})
@example(config={"tensorboard": "yes"})
def test_any_config_document_trains_or_is_refused_in_one_line(capsys, config):
    folder = Path(tempfile.mkdtemp())
    try:
        assert_run_or_one_line(*train_from(config, folder, capsys))
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("config", [
    {"lr_g": math.inf}, {"lr_decay_factor": math.inf}, {"seed": -1}, {"seed": MAX_SEED + 1}, {"tensorboard": "yes"},
    {"epochs": 1.0}, {"gen": 5}, {"lr_d": True},
])
def test_a_config_value_the_command_line_would_refuse_is_refused_before_any_file(capsys, tmp_path, config):
    code, stderr, out = train_from(config, tmp_path, capsys)
    assert code == 2
    assert_run_or_one_line(code, stderr, out)
    assert next(iter(config)).replace("_", "-") in stderr.replace("_", "-")


def test_the_largest_seed_trains(capsys, tmp_path):
    code, stderr, out = train_from({"seed": MAX_SEED}, tmp_path, capsys)
    assert code == 0, stderr
    assert (out / "generator.safetensors").is_file()


@pytest.mark.parametrize("command", [["train"], ["generate", "RUN"], ["evaluate", "RUN"], ["interpolate", "RUN"]])
def test_a_seed_past_2_to_the_63_is_refused_by_every_command(cli, command):
    flag = "--seed-a" if command[0] == "interpolate" else "--seed"
    result = cli(*command, flag, str(MAX_SEED + 1))
    assert result.code == 2 and flag in result.err and "Traceback" not in result.err


def test_a_run_whose_config_toml_was_edited_to_a_bad_value_is_not_resumed(capsys, tmp_path):
    code, stderr, out = train_from({}, tmp_path, capsys, "--checkpoint-every", "1")
    assert code == 0, stderr
    config = out / "config.toml"
    config.write_text(tomli_w.dumps(tomllib.loads(config.read_text()) | {"lr_g": math.inf}))
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    result = run_cli(capsys, "train", "--resume", str(out), "--max-steps", "4", "--quiet")
    assert result.code == 2 and "lr" in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
