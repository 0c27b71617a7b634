"""The Python API checks what it is given as the commands do (issue 27): every public argument either works or
raises GantoolError naming the argument, never a raw TypeError, ValueError or RuntimeError, and counts are bounded
before torch allocates anything. Hypothesis draws the arguments; a tiny conditional model is trained once."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import gantool
from gantool.arguments import GENERATE_NUM, INTERPOLATE_STEPS, MAX_SEED
from gantool.errors import GantoolError

TINY = {"gen": "cgan", "options": {"gen": {"depth": 8}, "disc": {"depth": 8}}, "batch_size": 16, "max_steps": 2}
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JUNK = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.text(max_size=5), st.lists(st.integers(),
                 max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
COUNTS = st.one_of(st.integers(-3, 12), st.integers(GENERATE_NUM.high + 1, 10**20), JUNK)
SEEDS = st.one_of(st.integers(-(2**64), 3), st.integers(MAX_SEED - 1, 2**70), JUNK)
LABELS = st.one_of(st.integers(-2, 12), st.lists(st.integers(-1, 10), max_size=4), st.integers(2**62, 2**80), JUNK,
                   st.builds(torch.tensor, st.lists(st.floats(0, 9), min_size=1, max_size=3)))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return gantool.train(**TINY, out=tmp_path_factory.mktemp("api") / "tiny-cgan").run_dir


@pytest.fixture(scope="module")
def generator(trained):
    return gantool.load(trained)


def works_or_gantool_error(call):
    """Run `call`; anything it raises must be a GantoolError. Returns its result, or None when refused."""
    try:
        return call()
    except GantoolError as error:
        assert str(error) and "\n" not in str(error)
        return None


@pytest.mark.parametrize(("call", "needle"), [
    (lambda g: g.sample(2.5), "n must be a whole number from 1 to 100000; got 2.5"),
    (lambda g: g.sample("4"), "n must be a whole number"),
    (lambda g: g.sample(None), "n must be a whole number"),
    (lambda g: g.sample(10**12), "n 1000000000000 is out of range"),
    (lambda g: g.sample(2, seed=2**70), "seeds are whole numbers from 0 to"),
    (lambda g: g.sample(2, seed=1.5), "seed 1.5 is not a seed"),
    (lambda g: g.sample(2, seed=-1), "seed -1 is not a seed"),
    (lambda g: g.sample(2, labels="3"), "labels must be a class number"),
    (lambda g: g.sample(2, labels=2.5), "labels must be a class number"),
    (lambda g: g.sample(2, labels=torch.tensor([1.0, 2.0])), "labels must hold class numbers"),
    (lambda g: g.interpolate(0, 1, 10**9), "steps 1000000000 is out of range"),
    (lambda g: g.interpolate(0, 1, 4, mode="walk"), "mode 'walk' is not known"),
    (lambda g: g.interpolate(0, 1, 4, label="3"), "label must be a class number"),
    (lambda g: g.noise(10**9), "n 1000000000 is out of range"),
    (lambda g: g.generate(torch.zeros(2, 3)), "z must be a float tensor shaped (n, 100)"),
])
def test_sampling_arguments_are_checked_as_the_commands_check_them(generator, call, needle):
    with pytest.raises(GantoolError) as refused:
        call(generator)
    assert needle in str(refused.value)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"path": None}, "path must be a path"),
    ({"dtype": "float16"}, "dtype must be a floating-point torch dtype"),
    ({"dtype": torch.int8}, "dtype must be a floating-point torch dtype"),
    ({"device": "gpu"}, "device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got 'gpu'"),
])
def test_load_arguments_are_checked(trained, kwargs, needle):
    with pytest.raises(GantoolError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        gantool.load(kwargs.pop("path", trained), **kwargs)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"num": "5"}, "num must be a whole number from 2 to 50000"),
    ({"num": 1}, "num 1 is out of range"),
    ({"seed": -1}, "seed -1 is not a seed"),
    ({"neighbours": 0}, "neighbours 0 is out of range: it takes a whole number from 1 to 100"),
    ({"neighbours": 10**9}, "neighbours 1000000000 is out of range"),
    ({"extractor": None}, "extractor None is not known"),
    ({"data_options": [1]}, "data_options must be a dict"),
    ({"untrained": "yes"}, "untrained must be True or False"),
    ({"source": None}, "source must be a path"),
])
def test_evaluate_arguments_are_checked(trained, kwargs, needle):
    with pytest.raises(GantoolError, match=needle):
        gantool.evaluate(kwargs.pop("source", trained), **kwargs)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"options": [1]}, "options must be tables"),
    ({"options": {"gen": 5}}, "options must be tables"),
    ({"options": {5: {}}}, "options are named by strings"),
    ({"max_steps": "3"}, "max_steps = '3' is not valid"),
    ({"seed": 2**70}, "is not a seed"),
    ({"out": 5}, "out must be a path"),
    ({"progress": "yes"}, "progress must be True or False"),
    ({"callback": 5}, "callback must be a function"),
])
def test_train_arguments_are_checked_before_anything_is_written(tmp_path, monkeypatch, kwargs, needle):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GantoolError, match=needle):
        gantool.train(**kwargs)
    assert not list(tmp_path.iterdir())


@FEW
@given(n=COUNTS, seed=SEEDS, labels=st.one_of(st.none(), LABELS))
@example(n=GENERATE_NUM.high + 1, seed=0, labels=None)
@example(n=3, seed=MAX_SEED, labels=[0, 9, 4])  # each test also runs a call that works
def test_sample_works_or_raises_gantool_error(generator, n, seed, labels):
    images = works_or_gantool_error(lambda: generator.sample(n, seed=seed, labels=labels))
    if images is not None:
        assert images.shape == (n, 1, 28, 28) and images.dtype == torch.float32


@FEW
@given(seed_a=SEEDS, seed_b=SEEDS, steps=st.one_of(st.integers(-1, 6), st.integers(INTERPOLATE_STEPS.high + 1, 2**70),
                                                   JUNK),
       mode=st.one_of(st.sampled_from(["lerp", "slerp"]), JUNK), label=st.one_of(st.none(), LABELS))
@example(seed_a=0, seed_b=MAX_SEED, steps=3, mode="lerp", label=9)
def test_interpolate_works_or_raises_gantool_error(generator, seed_a, seed_b, steps, mode, label):
    images = works_or_gantool_error(lambda: generator.interpolate(seed_a, seed_b, steps, mode=mode, label=label))
    if images is not None:
        assert images.shape == (steps, 1, 28, 28)


@FEW
@given(z=st.one_of(JUNK, st.builds(torch.zeros, st.integers(0, 3), st.sampled_from([99, 100])),
                   st.builds(lambda n: torch.zeros(n, 100, dtype=torch.float64), st.integers(1, 3))),
       labels=st.one_of(st.none(), LABELS))
@example(z=torch.zeros(2, 100, dtype=torch.float64), labels=[1, 2])
def test_generate_works_or_raises_gantool_error(generator, z, labels):
    images = works_or_gantool_error(lambda: generator.generate(z, labels))
    if images is not None:
        assert images.shape == (len(z), 1, 28, 28)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.one_of(st.just("RUN"), st.just(""), st.just("no/such/run"), JUNK),
       device=st.one_of(st.sampled_from(["cpu", "auto", "cuda", "cuda:0", "gpu", "cuda:x"]), JUNK),
       dtype=st.one_of(st.sampled_from([None, torch.float32, torch.bfloat16, torch.int64, torch.bool]), JUNK))
@example(path="RUN", device="cpu", dtype=torch.bfloat16)
def test_load_works_or_raises_gantool_error(trained, path, device, dtype):
    loaded = works_or_gantool_error(lambda: gantool.load(trained if path == "RUN" else path, device=device,
                                                         dtype=dtype))
    if loaded is not None:
        assert loaded.sample(1).shape == (1, 1, 28, 28)


@pytest.fixture(scope="module")
def digits_npy(tmp_path_factory):
    """Twelve 28x28 grey images as evaluate reads them."""
    path = tmp_path_factory.mktemp("npy") / "digits.npy"
    np.save(path, np.random.default_rng(0).integers(0, 255, (12, 28, 28, 1), dtype=np.uint8), allow_pickle=False)
    return path


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(num=st.one_of(st.integers(-1, 12), st.integers(50001, 2**70), JUNK), seed=SEEDS,
       neighbours=st.one_of(st.integers(-1, 4), st.integers(101, 2**70), JUNK),
       extractor=st.one_of(st.sampled_from(["auto", "digits", "x"]), JUNK),
       dataset=st.one_of(st.none(), st.just("mnist5k"), JUNK), data_options=st.one_of(st.none(), JUNK),
       untrained=st.one_of(st.booleans(), JUNK))
@example(num=5, seed=MAX_SEED, neighbours=3, extractor="auto", dataset=None, data_options=None, untrained=False)
def test_evaluate_works_or_raises_gantool_error(digits_npy, num, seed, neighbours, extractor, dataset, data_options,
                                                untrained):
    result = works_or_gantool_error(lambda: gantool.evaluate(
        digits_npy, num=num, seed=seed, neighbours=neighbours, extractor=extractor, dataset=dataset,
        data_options=data_options, untrained=untrained))
    if result is not None:
        assert result["protocol"]["samples"] == min(num, 12) and result["protocol"]["neighbours"] == neighbours


RUNS = itertools.count()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(max_steps=st.one_of(st.integers(-1, 2), JUNK), seed=SEEDS, batch_size=st.one_of(st.integers(-1, 8), JUNK),
       betas_g=st.one_of(st.tuples(st.floats(0, 1), st.floats(0, 1)), JUNK),
       depth=st.one_of(st.integers(-1, 8), JUNK), options=st.one_of(st.just("TINY"), JUNK))
@example(max_steps=1, seed=MAX_SEED, batch_size=4, betas_g=(0.5, 0.9), depth=4, options="TINY")
def test_train_works_or_raises_gantool_error(tmp_path, max_steps, seed, batch_size, betas_g, depth, options):
    given_options = {"gen": {"depth": depth}, "disc": {"depth": 4}} if options == "TINY" else options
    out = tmp_path / f"run-{next(RUNS)}"
    result = works_or_gantool_error(lambda: gantool.train(
        gen="dcgan", max_steps=max_steps, seed=seed, batch_size=batch_size, betas_g=betas_g, options=given_options,
        out=out, log_every=1))
    if result is not None:
        assert result.steps == max_steps and result.export.is_file()


@FEW
@given(images=st.one_of(JUNK, st.builds(torch.zeros, st.integers(0, 3), st.sampled_from([1, 3]), st.integers(0, 4),
                                        st.integers(1, 4)),
                        st.builds(torch.zeros, st.integers(1, 3)), st.builds(torch.zeros, st.integers(1, 3),
                                                                             dtype=st.just(torch.complex64))),
       nrow=st.one_of(st.none(), st.integers(-1, 4), JUNK))
@example(images=torch.zeros(5, 3, 4, 4), nrow=2)
def test_image_helpers_work_or_raise_gantool_error(images, nrow):
    for helper in (gantool.to_uint8, gantool.to_pil, lambda images: gantool.to_grid(images, nrow=nrow)):
        works_or_gantool_error(lambda helper=helper: helper(images))
