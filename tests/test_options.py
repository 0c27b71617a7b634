"""Component options: parsing --set, conversion against type hints, bounds, and describe."""

from pathlib import Path
from typing import Annotated, Literal

import pytest

from gantool.errors import GantoolError
from gantool.options import Option, option_specs, parse_set_arguments, resolve_options


def factory(
    spec=None,
    *,
    depth: Annotated[int, Option("width", min=1)] = 64,
    rate: float = 0.5,
    mode: Literal["lerp", "slerp"] = "lerp",
    flag: bool = False,
    classes: tuple[int, ...] = (),
    root: Path | None = None,
):
    """A factory with one option of each supported kind."""


def test_set_arguments_are_grouped_by_kind():
    parsed = parse_set_arguments(["gen.depth=32", "loss.smoothing=0.1", "data.image-size=64"])
    assert parsed["gen"] == {"depth": "32"}
    assert parsed["loss"] == {"smoothing": "0.1"}
    assert parsed["data"] == {"image_size": "64"}


@pytest.mark.parametrize("bad", ["depth=3", "gen.depth", "model.depth=3"])
def test_malformed_set_argument_is_a_clear_error(bad):
    with pytest.raises(GantoolError, match="--set"):
        parse_set_arguments([bad])


def test_values_are_converted_to_the_hinted_types():
    options = resolve_options(factory, {"depth": "32", "rate": "1e-3", "mode": "slerp", "flag": "yes",
                                        "classes": "1,7", "root": "~/data"}, "gen")
    assert options == {"depth": 32, "rate": 1e-3, "mode": "slerp", "flag": True, "classes": (1, 7),
                       "root": Path("~/data").expanduser()}


class ClassFactory:
    """A part registered as its class: the options are its __init__'s keyword-only parameters."""

    def __init__(self, spec=None, *, depth: Annotated[int, Option("width", min=1)] = 64, rate: float = 0.5) -> None:
        self.depth, self.rate = depth, rate


def test_a_class_registered_as_its_own_factory_gets_its_options_typed():
    assert resolve_options(ClassFactory, {"depth": "32", "rate": "1e-3"}, "disc") == {"depth": 32, "rate": 1e-3}
    with pytest.raises(GantoolError, match="at least 1"):
        resolve_options(ClassFactory, {"depth": "0"}, "disc")


def test_defaults_fill_unset_options():
    assert resolve_options(factory, {}, "gen")["depth"] == 64


def test_wrong_type_names_option_and_expected_type():
    with pytest.raises(GantoolError, match=r"gen\.depth='abc' is not valid: expected int"):
        resolve_options(factory, {"depth": "abc"}, "gen")
    with pytest.raises(GantoolError, match="expected lerp|slerp"):
        resolve_options(factory, {"mode": "cubic"}, "gen")


def test_out_of_range_and_unknown_options_fail():
    with pytest.raises(GantoolError, match="at least 1"):
        resolve_options(factory, {"depth": "0"}, "gen")
    with pytest.raises(GantoolError, match="has no option 'dept'.*depth"):
        resolve_options(factory, {"dept": "3"}, "gen")


def test_option_specs_carry_help_and_bounds():
    specs = {spec.name: spec for spec in option_specs(factory)}
    assert specs["depth"].help == "width" and specs["depth"].min == 1
    assert specs["mode"].choices == ("lerp", "slerp")
    assert "spec" not in specs


def test_describe_shows_options_of_a_component(cli):
    result = cli("describe", "dcgan")
    assert result.code == 0
    assert "gen.latent_dim" in result.out and "disc.depth" in result.out and "100" in result.out


def test_describe_unknown_component(cli):
    result = cli("describe", "nope")
    assert result.code == 2 and "nope" in result.err
