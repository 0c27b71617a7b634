"""The settings of a training run, declared once, and their round trip through the run's `config.toml`.

Each field carries its type, default, bounds and help (`Annotated[..., Option(...)]`, as plugin options do).
The `train` command's flags, the `--config` reader, validation and docs/training.md's option table are all
derived from these fields, so a config file gets exactly the checks the command line gets.
"""

from __future__ import annotations

import tomllib
import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal

from gantool import arguments
from gantool.arguments import EVALUATE_NUM
from gantool.errors import GantoolError, did_you_mean, one_of
from gantool.options import Option, OptionSpec, convert_value

AUTO_GENERATOR = "auto"
# The bundled digits: the default training data, and the reference the shipped digit classifier measures against.
BUNDLED_DIGITS = "mnist5k"
MAX_CONFIG_BYTES = 1 << 20


@dataclass
class TrainConfig:
    """Everything `gantool train` needs; the run's config.toml holds exactly these fields."""

    gen: Annotated[str, Option("Generator architecture (see list-plugins); auto: cgan for labelled data, else the "
                               "unconditional recipe.")] = AUTO_GENERATOR  # see gantool.recipes
    disc: Annotated[str | None, Option("Discriminator; defaults to the --gen name.")] = None
    loss: Annotated[str, Option("Adversarial loss (with --gen auto on unlabelled data: the recipe's).")] = "bce"
    dataset: Annotated[str, Option("Training data.")] = BUNDLED_DIGITS
    augment: Annotated[str | None, Option(
        "Differentiable augmentation applied to real and generated images before D (e.g. diffaugment; options "
        "with --set aug.KEY=VALUE).")] = None
    unconditional: Annotated[bool, Option(
        "Ignore the data's class labels: train an unconditional model (what unlabelled data gets) on labelled "
        "data.")] = False
    options: dict[str, dict[str, Any]] = field(default_factory=dict)  # parts' options: --set KIND.KEY=VALUE
    epochs: Annotated[int, Option("Passes over the data.", min=1)] = 20
    max_steps: Annotated[int | None, Option("Stop after this many iterations.", min=1)] = None
    # batch, rates and EMA measured on the default run (docs/evaluation.md): Fréchet distance 81 -> about 6
    batch_size: Annotated[int, Option("Images per iteration.", min=1)] = 32
    replacement: Annotated[bool, Option(
        "Draw each batch's images at random with replacement instead of shuffled epochs; a batch may then be larger "
        "than the data set (an epoch stays data size / batch size steps, at least one).")] = False
    lr_g: Annotated[float, Option("Adam learning rate of G.", min=0.0)] = 1.2e-3
    lr_d: Annotated[float, Option("Adam learning rate of D.", min=0.0)] = 6e-4
    betas_g: Annotated[list[float], Option("Adam betas of G, as BETA1,BETA2.")] = field(
        default_factory=lambda: [0.5, 0.999])
    betas_d: Annotated[list[float], Option("Adam betas of D, as BETA1,BETA2.")] = field(
        default_factory=lambda: [0.5, 0.999])
    d_steps: Annotated[int, Option("D updates (one real batch each) per G update.", min=1)] = 1
    g_steps: Annotated[int, Option("G updates per D update; each extra one draws fresh noise (see --g-steps-noise).",
                                   min=1)] = 1
    g_steps_noise: Annotated[Literal["fresh", "same"], Option(
        "Noise of the extra --g-steps updates: fresh draws, or the same noise as the D step (TF tutorials feed one "
        "batch several times).")] = "fresh"
    update: Annotated[Literal["alternating", "simultaneous"], Option(
        "alternating: D steps, then G steps against the updated D; simultaneous: both losses from one forward pass, "
        "both optimisers stepped after (Keras/TF2 tutorials).")] = "alternating"
    lr_decay_epochs: Annotated[list[int], Option(
        "Epochs (counted from 0) from which both learning rates are multiplied by --lr-decay-factor: 30,40.")] = (
        field(default_factory=list))
    lr_decay_factor: Annotated[float, Option("Learning-rate factor at each decay epoch.", min=0.0)] = 0.1
    ema: Annotated[float | None, Option("Keep an exponential moving average of G with this decay (e.g. 0.999); "
                                        "it makes the samples and the export. 0 turns it off.")] = 0.999
    patience: Annotated[int | None, Option(
        "Stop when G's epoch loss has not improved for N epochs (with --eval-every: the Fréchet distance for N "
        "evaluations), keeping the best.", min=1)] = None
    eval_every: Annotated[int | None, Option(
        "Every N steps and at the end, measure --eval-num samples as gantool evaluate does and log them in "
        "metrics.jsonl; --patience and the best checkpoint then follow the Fréchet distance.", min=1)] = None
    eval_num: Annotated[int, Option("Samples per evaluation (--eval-every).", min=EVALUATE_NUM.low,
                                    max=EVALUATE_NUM.high)] = 1000  # as evaluate
    precision: Annotated[Literal["fp32", "bf16", "auto"], Option(
        "fp32, bf16 autocast (CPUs with avx512_bf16 or AMX, GPUs), or auto: bf16 on CPUs that have it (measured "
        "faster, samples as good), else fp32; config.toml records the one used.")] = "fp32"
    channels_last: Annotated[bool | None, Option(
        "Keep convolutional G's and D's weights and images channels-last, where convolutions run fastest [default: on "
        "where the networks run so]; --no-channels-last: PyTorch's default layout.")] = None
    compile: Annotated[bool, Option(
        "Compile G and D with torch.compile (inductor; a C++ compiler on CPUs); the first step takes the compile "
        "time, results differ from eager in the last bits.")] = False
    noise: Annotated[Literal["normal", "uniform", "uniform01"], Option(
        "Latent noise: normal, uniform on [-1, 1), or uniform01 on [0, 1).")] = "normal"
    seed: Annotated[int, Option("Random seed; same seed, options and --threads give the same run on CPU.", min=0)] = 0
    device: Annotated[str, Option("auto, cpu or cuda.")] = "auto"
    sample_every: Annotated[int, Option("Write a sample grid every N steps.", min=1)] = 200
    sample_count: Annotated[int | None, Option(
        "Images in each fixed-noise sample grid, square [default: 64]; with a conditional G, images in each "
        "class row, all rows from the same noise [default: 8].", min=1, max=1024)] = None
    checkpoint_every: Annotated[int, Option("Checkpoint every N steps.", min=1)] = 500
    log_every: Annotated[int, Option("Log metrics every N steps.", min=1)] = 20
    keep: Annotated[int, Option("Step checkpoints to keep.", min=1)] = 3
    track: Annotated[list[str], Option(
        "Send the run to this experiment tracker too (repeatable; see list-plugins): its config, metrics, sample "
        "grids, evaluations and export; options with --set track.KEY=VALUE.")] = field(default_factory=list)
    tensorboard: Annotated[bool, Option("Also write TensorBoard scalars, sample grids and the run's settings (needs "
                                        "gantool[tensorboard]); the same as --track tensorboard.")] = False

    # The settings the user gave, set by whoever builds the config from their input (see given_settings); not a
    # setting itself, so it is not saved. None: unknown.
    given: typing.ClassVar[frozenset[str] | None] = None

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Refuse values no run could use, in one line naming the setting: the declared types, choices and
        bounds of every field, then the rules that span a field's parts."""
        for spec in train_option_specs():
            value = getattr(self, spec.name)
            if spec.choices and value not in spec.choices:
                raise GantoolError(f"{spec.name} {value!r} is not known; use {one_of(spec.choices)}")
            setattr(self, spec.name, convert_value(spec, value, flag(spec.name)))
        for name in ("betas_g", "betas_d"):
            betas = getattr(self, name)
            if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
                raise GantoolError(f"{name.replace('_', '-')} must be two numbers in [0, 1) such as 0.5,0.999; "
                                   f"got {betas}")
        check_seed(self.seed, "--seed")
        if self.update == "simultaneous" and self.g_steps > 1:
            raise GantoolError(f"--update simultaneous takes one G step per D step (both from one forward pass); got "
                               f"--g-steps {self.g_steps}: set --g-steps 1 or --update alternating")
        if self.ema is not None and not 0.0 <= self.ema < 1.0:
            raise GantoolError(f"--ema must be a decay in [0, 1) such as 0.999 (0 turns it off); got {self.ema}")
        if sorted(set(self.lr_decay_epochs)) != list(self.lr_decay_epochs) or any(e < 1 for e in self.lr_decay_epochs):
            raise GantoolError(f"--lr-decay-epochs must be increasing positive epochs such as 30,40; "
                               f"got {self.lr_decay_epochs}")

    def to_toml_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_toml_dict(cls, data: dict[str, Any], source: str) -> TrainConfig:
        check_known(data, source)
        try:
            return cls(**{key: value for key, value in data.items() if key in cls.__dataclass_fields__})
        except TypeError as exc:
            raise GantoolError(f"{source} has a setting of the wrong type ({exc})") from None


def given_settings(config: TrainConfig) -> frozenset[str]:
    """The settings the user gave (command line, config file or API), which a recipe must not change; a config
    built without that record counts every setting that differs from its default as given."""
    recorded = getattr(config, "given", None)
    if recorded is not None:
        return frozenset(recorded)
    return frozenset(spec.name for spec in train_option_specs() if getattr(config, spec.name) != spec.default)


def check_known(data: dict[str, Any], source: str) -> None:
    """A config file holds TrainConfig's settings, each of its declared TOML type (a switch is true or false, not
    "yes"), and the record of plugins and version, nothing else."""
    known = set(TrainConfig.__dataclass_fields__)
    unknown = sorted(set(data) - known - {"plugins", "gantool"})
    if unknown:
        raise GantoolError(f"{source} has unknown setting {unknown[0]!r}{did_you_mean(unknown[0], known)}; known: "
                           f"{', '.join(sorted(known))}")
    for spec in train_option_specs():
        if spec.name in data and not is_toml_type(spec.type, data[spec.name]):
            listed = typing.get_origin(spec.type) is list
            expected = f"a list of {typing.get_args(spec.type)[0].__name__}s" if listed else (
                "true or false" if spec.type is bool else spec.type_name())
            raise GantoolError(f"{source}: {spec.name} = {data[spec.name]!r} is not valid: expected {expected}")
    options = data.get("options", {})
    if not isinstance(options, dict) or not all(isinstance(values, dict) for values in options.values()):
        raise GantoolError(f"{source}: options must be tables such as [options.gen] with depth = 32")


def check_seed(value: int | None, name: str) -> int | None:
    """Refuse a seed outside 0..2**63-1 by the rule the Python API applies (checked here rather than declared as a
    bound, so --help stays narrow)."""
    return None if value is None else arguments.seed(value, name)


def is_toml_type(kind: Any, value: Any) -> bool:
    """Whether a TOML value has the type a setting declares (an integer is a float too; bool is not an int)."""
    origin = typing.get_origin(kind)
    if origin is Literal:
        return isinstance(value, tuple({type(choice) for choice in typing.get_args(kind)}))
    if origin in (typing.Union, types.UnionType):
        return any(is_toml_type(arg, value) for arg in typing.get_args(kind) if arg is not type(None))
    if origin is list:
        return isinstance(value, list) and all(is_toml_type(typing.get_args(kind)[0], item) for item in value)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def flag(name: str) -> str:
    """The command-line flag of a setting: batch_size -> --batch-size."""
    return "--" + name.replace("_", "-")


def train_option_specs() -> list[OptionSpec]:
    """The declared settings (all fields but `options`, which --set fills), as typed options with help."""
    hints = typing.get_type_hints(TrainConfig, include_extras=True)
    specs = []
    for item in fields(TrainConfig):
        hint = hints[item.name]
        if typing.get_origin(hint) is not Annotated:
            continue
        kind, meta = typing.get_args(hint)[:2]
        default = item.default_factory() if item.default is MISSING else item.default  # type: ignore[misc]
        specs.append(OptionSpec(item.name, kind, default, meta.help, meta.min, meta.max))
    return specs


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file, failing in one line on missing, unreadable, oversized or malformed files."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)  # bounded: /dev/zero or a huge file must not hang
    except FileNotFoundError:
        raise GantoolError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise GantoolError(f"cannot read config file {path}: {exc.strerror or exc}; give a TOML file such as a "
                           "run's config.toml") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise GantoolError(f"config file {path} is larger than {MAX_CONFIG_BYTES // 1024} KiB; a config file holds "
                           "a few settings (a run's config.toml is about 1 KiB)")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GantoolError(f"config file {path} is not valid TOML: {exc}") from None
