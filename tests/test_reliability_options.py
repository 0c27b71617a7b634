"""Promise 8: options and component combinations are checked before any work, in one line with exit code 2.

Property-based: hypothesis draws data specs and option values (as the strings --set passes) for every
registered architecture; each draw either builds a G whose finite images fit D, or is refused in one line.
"""

from __future__ import annotations

import typing

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gantool.assembly import check_fit, check_labels, construct
from gantool.errors import GantoolError
from gantool.interfaces import DataSpec
from gantool.options import option_specs, parse_set_arguments, resolve_options
from gantool.registry import load_registry
from tests.conftest import TINY

REGISTRY = load_registry()
ARCHITECTURES = sorted(set(REGISTRY.names("generator")) & set(REGISTRY.names("discriminator")))
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# mlp's gen.output_norm reproduces the Keras tutorial's batch norm after tanh (docs/tutorials.md, setup C): its
# images are batch-normalised, not in [-1, 1], on purpose, so the range check below does not apply to it.
UNBOUNDED_OUTPUTS = {"output_norm"}


def option_strings(factory) -> st.SearchStrategy[dict[str, str]]:
    """Values for some of a factory's options, inside their bounds but kept small so a draw builds fast."""
    drawn = {}
    for spec in option_specs(factory):
        if spec.name in UNBOUNDED_OUTPUTS:
            continue
        low = int(spec.min) if spec.min is not None else 1
        if spec.choices is not None:
            values = st.sampled_from(spec.choices)
        elif spec.type in (bool, bool | None):  # None: the architecture decides
            values = st.booleans()
        elif spec.type is int:
            values = st.integers(low, min(low + 12, int(spec.max) if spec.max is not None else low + 12))
        elif spec.type is float:
            values = st.floats(spec.min or 0.0, spec.max if spec.max is not None else (spec.min or 0.0) + 1.0)
        else:
            continue
        drawn[spec.name] = st.one_of(st.none(), values.map(str))
    return st.fixed_dictionaries(drawn).map(lambda d: {k: v for k, v in d.items() if v is not None})


def specs() -> st.SearchStrategy[DataSpec]:
    """Mostly the square sizes image models are built for, sometimes any size at all."""
    square = st.sampled_from([8, 16, 28, 32]).map(lambda side: (side, side))
    sizes = st.one_of(square, square, st.tuples(st.integers(4, 70), st.integers(4, 70)))
    return st.builds(lambda channels, size, classes: DataSpec(channels, *size, classes), st.integers(1, 4), sizes,
                     st.sampled_from([0, 0, 2, 10]))


@pytest.mark.parametrize("name", ARCHITECTURES)
@FAST
@given(data=st.data())
def test_every_architecture_builds_fitting_finite_parts_or_refuses_in_one_line(name, data):
    spec = data.draw(specs(), label="spec")
    gen, disc = REGISTRY.get("generator", name), REGISTRY.get("discriminator", name)
    try:
        generator = construct(gen, spec, **resolve_options(gen.factory, data.draw(option_strings(gen.factory)), "gen"))
        discriminator = construct(disc, spec, **resolve_options(disc.factory, data.draw(option_strings(disc.factory)),
                                                                "disc"))
        check_labels(generator, discriminator, spec, name, name, "drawn")
        check_fit(generator, discriminator, spec, name, name)
    except GantoolError as error:
        message = str(error)
        assert message and "\n" not in message
        return
    labels = torch.randint(0, spec.num_classes, (3,)) if getattr(generator, "num_classes", 0) else None
    with torch.no_grad():
        images = generator(torch.randn(3, generator.latent_dim), labels)
        logits = discriminator(images, labels)
    assert images.shape == (3, spec.channels, spec.height, spec.width)
    assert torch.isfinite(images).all() and images.abs().max() <= 1.0
    assert logits.shape == (3,) and torch.isfinite(logits).all()


@pytest.mark.parametrize("name", ARCHITECTURES)
@FAST
@given(values=st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=12), max_size=3))
def test_arbitrary_option_values_are_accepted_or_refused_in_one_line(name, values):
    factory = REGISTRY.get("generator", name).factory
    try:
        resolved = resolve_options(factory, values, "gen")
    except GantoolError as error:
        assert "\n" not in str(error)
        return
    assert set(resolved) == {spec.name for spec in option_specs(factory)}


@FAST
@given(arguments=st.lists(st.text(max_size=20), max_size=4))
def test_set_arguments_parse_or_fail_in_one_line(arguments):
    try:
        parsed = parse_set_arguments(arguments)
    except GantoolError as error:
        assert "\n" not in str(error)
        return
    assert sum(len(values) for values in parsed.values()) <= len(arguments)


class _ConditionalNet(torch.nn.Module):
    latent_dim, num_classes = 4, 10


@pytest.mark.parametrize(("data_classes", "message"), [(0, "has no labels"), (3, "built for 10 classes")])
def test_a_conditional_model_needs_matching_labels(data_classes, message):
    plain = torch.nn.Module()
    with pytest.raises(GantoolError, match=message):
        check_labels(_ConditionalNet(), plain, DataSpec(1, 8, 8, data_classes), "cond", "plain", "digits")
    with pytest.raises(GantoolError, match=message):
        check_labels(plain, _ConditionalNet(), DataSpec(1, 8, 8, data_classes), "plain", "cond", "digits")


@pytest.mark.parametrize(("args", "text"), [
    (["--set", "data.image_size=30"], "cannot build 30x30"),
    (["--set", "gen.latent_dim=0"], "at least 1"),
    (["--set", "gen.latent_dim=1.5"], "expected int"),
    (["--set", "disc.width=3"], "disc has no option 'width'"),
    (["--set", "data.image_size=5000"], "at most"),
])
def test_bad_options_fail_before_any_file_is_written(cli, tmp_path, args, text):
    options = [arg for arg in TINY if arg not in ("--set", "gen.depth=8", "disc.depth=8")]
    result = cli("train", "--out", str(tmp_path / "run"), *options, *args)
    assert result.code == 2
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and text in lines[0], result.err
    assert not (tmp_path / "run").exists()


def test_the_option_types_used_by_builtins_are_all_drawn():
    """Guards the strategy above: a new option type must be taught to it, or it would go untested."""
    for name in ARCHITECTURES:
        for kind in ("generator", "discriminator"):
            for spec in option_specs(REGISTRY.get(kind, name).factory):
                assert spec.choices is not None or spec.type in (bool, bool | None, int, float), (name, spec)
                assert spec.type == bool | None or typing.get_origin(spec.type) in (None, typing.Literal)
