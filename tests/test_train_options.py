"""Train settings are declared once (TrainConfig): the command line and a --config file check them alike."""

import pytest

from gantool.config import TrainConfig, flag, train_option_specs
from gantool.errors import GantoolError

BOUNDED = [spec for spec in train_option_specs() if spec.min is not None or spec.max is not None]


def out_of_bounds(spec) -> int | float:
    """A value just past the declared bound, of the setting's own type."""
    step = 1 if int in (spec.type, *getattr(spec.type, "__args__", ())) else 0.5
    return spec.min - step if spec.min is not None else spec.max + step


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("spec", BOUNDED, ids=[spec.name for spec in BOUNDED])
def test_a_config_file_breaking_a_bound_fails_as_the_command_line_does(cli, tmp_path, spec):
    value = out_of_bounds(spec)
    on_command_line = cli("train", flag(spec.name), str(value))
    config = tmp_path / "bad.toml"
    config.write_text(f"{spec.name} = {value}\n")
    from_file = cli("train", "--config", str(config))
    assert on_command_line.code == from_file.code == 2
    assert len(error_lines(from_file.err)) == 1 and "Traceback" not in from_file.err
    assert error_lines(from_file.err) == error_lines(on_command_line.err)
    assert flag(spec.name) in from_file.err
    with pytest.raises(GantoolError, match=flag(spec.name)):  # and a config built in Python is refused too
        TrainConfig(**{spec.name: value})


def test_every_setting_has_help_and_a_default_of_its_type():
    for spec in train_option_specs():
        assert spec.help, spec.name
        TrainConfig(**{spec.name: spec.default})


def test_docs_option_table_is_the_declaration():
    from pathlib import Path

    from gantool.commands.train_options import markdown_table

    page = (Path(__file__).parent.parent / "docs" / "training.md").read_text()
    assert markdown_table() in page, "regenerate it: python -m gantool.commands.train_options"
