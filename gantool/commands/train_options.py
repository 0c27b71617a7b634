"""The `train` command's parameters, derived from TrainConfig's fields, and the resolution of a run's config.

A setting is declared once, in `gantool.config.TrainConfig`; here it becomes a Typer option (same help,
default and bounds), and the values of a `--config` file pass through those same options, so the file
gets exactly the checks, and the error lines, of the command line.
"""

from __future__ import annotations

import copy
import inspect
import typing
from pathlib import Path
from typing import Annotated, Any

import typer

from gantool._click_compat import exceptions as click_errors
from gantool.commands.common import SetOption
from gantool.completion import DEVICES, choices, part_names
from gantool.config import AUTO_GENERATOR, TrainConfig, check_known, flag, read_config_file, train_option_specs
from gantool.errors import GantoolError
from gantool.options import OptionSpec, parse_set_arguments

# Parameters of the invocation itself, not of the run: never read from or written to config.toml.
INVOCATION = {
    "set_": (SetOption, None),
    "out": (Annotated[Path | None, typer.Option(help="Run directory \\[default: runs/DATE-GEN-DATASET].")], None),
    "resume": (Annotated[Path | None, typer.Option(help="Continue the run in this directory.")], None),
    "quiet": (Annotated[bool, typer.Option("--quiet", "-q", help="Print only the run directory.")], False),
    "nproc": (Annotated[int | None, typer.Option(min=1, help=(
        "Train data-parallel in N processes on this machine (through torchrun); --batch-size is per process."
    ))], None),
    "threads": (Annotated[int | None, typer.Option(min=1, help=(
        "CPU threads per process \\[default: what torch picks, one per core]; fewer keeps a busy machine fast."
    ))], None),
}
# The panels of `train --help` and the order of its options (and of docs/training.md's table); --config and
# --help stay in the plain "Options" panel, first.
PANELS = {
    "Parts": ("gen", "disc", "loss", "dataset", "unconditional", "augment", "set_", "noise"),
    "Schedule": ("epochs", "max_steps", "batch_size", "lr_g", "lr_d", "betas_g", "betas_d", "d_steps", "g_steps",
                 "g_steps_noise", "update", "replacement", "lr_decay_epochs", "lr_decay_factor", "ema", "patience",
                 "seed"),
    "Output": ("out", "resume", "sample_every", "sample_count", "checkpoint_every", "log_every", "keep", "track",
               "tensorboard", "quiet"),
    "Evaluation": ("eval_every", "eval_num"),
    "Runtime": ("device", "precision", "channels_last", "compile", "nproc", "threads"),
}
PANEL_OF = {name: panel for panel, names in PANELS.items() for name in names}
ORDER = list(PANEL_OF)
CONFIG_FILE = (Annotated[Path | None, typer.Option(
    "--config", help="Read every option from this TOML file (a run's config.toml works); the command line "
                     "overrides it.")], None)


# What the shell completes for a setting beyond its declared choices (--precision, --noise).
COMPLETIONS = {"gen": part_names("generator", also=(AUTO_GENERATOR,)), "disc": part_names("discriminator"),
               "loss": part_names("loss"), "dataset": part_names("dataset"), "augment": part_names("augmentation"),
               "track": part_names("tracker"), "device": choices(*DEVICES)}
# Lists of names that are given once per item (--track a --track b) rather than comma-separated.
REPEATABLE = ("track",)


def as_text(value: Any) -> Any:
    """A setting as it is typed on the command line: lists comma-separated, everything else as it is."""
    return ",".join(map(str, value)) if isinstance(value, list) else value


def _command_line_type(spec: OptionSpec) -> Any:
    """Lists and choices are typed as text and checked by TrainConfig; the rest keep their own type."""
    if spec.name in REPEATABLE:
        return list[str] | None
    origin = typing.get_origin(spec.type)
    return str if origin in (list, typing.Literal) else spec.type


def _typer_option(spec: OptionSpec) -> typer.models.OptionInfo:
    decls = (flag(spec.name),) if spec.type is bool else ()  # a switch, without a --no- twin
    completion = COMPLETIONS.get(spec.name) or (choices(*map(str, spec.choices)) if spec.choices else None)
    return typer.Option(*decls, min=spec.min, max=spec.max, help=spec.help.replace("[", "\\["),
                        autocompletion=completion)


def train_parameters() -> list[inspect.Parameter]:
    """The `train` command's signature: --config, then every declared setting and the invocation's parameters,
    panel by panel (PANELS); a setting no panel names comes last."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    first = [inspect.Parameter("ctx", keyword, annotation=typer.Context),
             inspect.Parameter("config_file", keyword, annotation=CONFIG_FILE[0], default=CONFIG_FILE[1])]
    params = [inspect.Parameter(name, keyword, annotation=hint, default=default)
              for name, (hint, default) in INVOCATION.items()]
    params += [inspect.Parameter(spec.name, keyword, default=None if spec.name in REPEATABLE else as_text(spec.default),
                                 annotation=Annotated[_command_line_type(spec), _typer_option(spec)])
               for spec in train_option_specs()]
    params.sort(key=lambda param: ORDER.index(param.name) if param.name in PANEL_OF else len(ORDER))
    return first + [_in_panel(param) for param in params]


def _in_panel(param: inspect.Parameter) -> inspect.Parameter:
    """The parameter with its option shown in its PANELS panel of --help."""
    kind, info = typing.get_args(param.annotation)
    info = copy.copy(info)  # SetOption's is shared with other commands
    info.rich_help_panel = PANEL_OF.get(param.name)
    return param.replace(annotation=Annotated[kind, info])


def command_line_to_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Turn command-line values into TrainConfig fields (lists from comma-separated text, --set into options)."""
    fields = dict(values)
    if "set_" in fields:
        fields["options"] = parse_set_arguments(fields.pop("set_") or [])
    for spec in train_option_specs():
        if spec.name in REPEATABLE and spec.name in fields:
            fields[spec.name] = [name.strip() for item in fields[spec.name] or () for name in item.split(",")
                                 if name.strip()]
        elif spec.name in fields and typing.get_origin(spec.type) is list:
            fields[spec.name] = parse_number_list(fields[spec.name], typing.get_args(spec.type)[0], flag(spec.name))
    return fields


def parse_number_list(text: str, kind: type, name: str) -> list:
    """`0.5,0.999` -> [0.5, 0.999]; an empty string is an empty list."""
    try:
        return [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise GantoolError(f"{name} takes comma-separated {kind.__name__} values such as "
                           f"{'0.5,0.999' if kind is float else '30,40'}; got {text!r}") from None


def file_values(ctx: typer.Context, config_file: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A --config file's settings, each passed through its command-line option (same checks, same errors),
    and its parts' options."""
    data = read_config_file(config_file)
    check_known(data, str(config_file))
    params = {param.name: param for param in ctx.command.params if param.name in TrainConfig.__dataclass_fields__}
    values = {}
    for name, value in data.items():
        if name in params:
            try:
                values[name] = params[name].process_value(ctx, value if name in REPEATABLE else as_text(value))
            except click_errors.BadParameter as exc:
                exc.ctx, exc.param = ctx, params[name]
                raise
    return values, {kind: dict(opts) for kind, opts in data.get("options", {}).items()}


def resolve_config(ctx: typer.Context, values: dict[str, Any], given: set[str],
                   config_file: Path | None) -> TrainConfig:
    """Defaults, then the --config file, then what the command line gave explicitly (--set merges)."""
    if config_file is None:
        config = TrainConfig(**command_line_to_fields(values))
        config.given = frozenset(given)
        return config
    from_file, options = file_values(ctx, config_file)
    fields = command_line_to_fields(values | {name: value for name, value in from_file.items() if name not in given})
    for kind, opts in fields.pop("options", {}).items():
        options.setdefault(kind, {}).update(opts)
    config = TrainConfig(**fields, options=options)
    config.given = frozenset(given) | frozenset(from_file)
    return config


def markdown_table() -> str:
    """The option table of docs/training.md, from the same parameters the command is built from."""
    rows = ["| Option | Default | What it does |", "| --- | --- | --- |"]
    for param in train_parameters()[1:]:
        _, info = typing.get_args(param.annotation)
        decls = [info.default] if isinstance(info.default, str) and info.default.startswith("-") else []
        flags = ", ".join(f"`{name}`" for name in (decls + list(info.param_decls) or [flag(param.name)]))
        default = "" if param.default is None or param.default is False or param.default == "" else f"`{param.default}`"
        bounds = " ".join(f"(at {word} {bound:g})" for word, bound in (("least", info.min), ("most", info.max))
                          if bound is not None)
        text = f"{info.help.replace(chr(92) + '[', '[')} {bounds}".strip().replace("|", "\\|")
        rows.append(f"| {flags} | {default} | {text} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # python -m gantool.commands.train_options: print the table for docs/training.md
    print(markdown_table(), end="")
