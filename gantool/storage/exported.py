"""Generator exports: write one at the end of a run, and rebuild the generator an export (or a run directory's)
describes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from gantool import __version__
from gantool.assembly import Parts, build_generator
from gantool.config import train_option_specs
from gantool.consoles import err_console
from gantool.errors import GantoolError, first_line
from gantool.interfaces import DataSpec
from gantool.registry import Registry
from gantool.storage.checkpoint import EXPORT_FORMAT, load_tensors, save_tensors
from gantool.storage.checkpoint import FORMAT as CHECKPOINT_FORMAT
from gantool.storage.rundir import CHECKPOINTS, RunDir, finished_export, latest_checkpoint

if TYPE_CHECKING:
    from gantool.config import TrainConfig


@dataclass
class LoadedGenerator:
    """A generator in eval mode with the metadata it was exported with."""

    generator: Any
    spec: DataSpec
    state: dict[str, Any]
    device: torch.device

    def labels_for(self, count: int, label: int | None, noise: torch.Generator | None) -> torch.Tensor | None:
        """Labels for `count` samples: all `label`, or random classes for a conditional generator."""
        classes = self.num_classes
        if label is not None and not classes:
            raise GantoolError(f"--label {label} needs a conditional generator; {self.state['generator']} "
                               "is unconditional, so leave --label out")
        if not classes:
            return None
        if label is not None:
            if not 0 <= label < classes:
                raise GantoolError(f"--label {label} is out of range: this generator knows classes 0 to {classes - 1}")
            return torch.full((count,), label, dtype=torch.long, device=self.device)
        return torch.randint(0, classes, (count,), generator=noise).to(self.device)

    def noise(self, count: int, seed: int) -> torch.Tensor:
        """`count` latent vectors drawn from `seed` on the CPU, so a seed means the same images everywhere.

        They follow the distribution the generator was trained on (the export's `noise`: normal or uniform)."""
        from gantool.training.noise import draw_noise

        kind = self.state.get("noise", "normal")
        return draw_noise(kind, count, self.generator.latent_dim, generator=torch.Generator().manual_seed(seed))

    @torch.no_grad()
    def sample(self, z: torch.Tensor, labels: torch.Tensor | None, batch: int = 256) -> torch.Tensor:
        """Images in [-1, 1] on the CPU for latent vectors `z` (and labels), generated in batches."""
        chunks = []
        for start in range(0, len(z), batch):
            part = None if labels is None else labels[start:start + batch].to(self.device)
            chunks.append(self.generator(z[start:start + batch].to(self.device), part).float().cpu())
        return torch.cat(chunks)

    @property
    def num_classes(self) -> int:
        """Classes the generator is conditioned on (0 for an unconditional generator)."""
        return getattr(self.generator, "num_classes", 0)


def run_data(source: Path, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The dataset a generator was trained on and its options: from the run's config.toml (or an exported
    folder's config.json) when there is one, else the dataset name in the export with default options."""
    from gantool.storage.provenance import provenance_of

    info = provenance_of(source, state)
    return info["dataset"] or "", info["data_options"]


def _whole(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _text(value: Any) -> bool:
    return isinstance(value, str)


NOISES = next(spec.choices or () for spec in train_option_specs() if spec.name == "noise")
# What each field of an export's metadata must hold, in words for the error line; sizes are generous bounds that
# keep a crafted file from building an absurd network before its weights are compared.
SPEC_SCHEMA: dict[str, tuple[Callable[[Any], bool], str]] = {
    "channels": (_whole(1, 64), "an integer from 1 to 64"),
    "height": (_whole(1, 8192), "an integer from 1 to 8192"),
    "width": (_whole(1, 8192), "an integer from 1 to 8192"),
    "num_classes": (_whole(0, 100_000), "an integer from 0 to 100000"),
}
METADATA_SCHEMA: dict[str, tuple[Callable[[Any], bool], str]] = {
    "generator": (_text, "a generator name"),
    "options": (lambda value: isinstance(value, dict), "a table of options"),
    "spec": (lambda value: isinstance(value, dict) and set(SPEC_SCHEMA) <= set(value), "a data spec with "
             + ", ".join(SPEC_SCHEMA)),
    "step": (_whole(0, 2**63 - 1), "a step count"),
    "noise": (lambda value: value in NOISES, " or ".join(NOISES)),
    "ema": (lambda value: value is None or (isinstance(value, float | int) and not isinstance(value, bool)
                                           and 0 <= value < 1), "an EMA decay in [0, 1), or none"),
    "dataset": (_text, "a dataset name"),
    "gantool": (_text, "a version"),
    "plugin": (lambda value: isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
               "a table of package and version"),
}
OPTIONAL = {"noise", "ema", "dataset", "gantool", "plugin", "step"}  # older exports may lack them


def check_metadata(path: Path, state: dict[str, Any]) -> None:
    """Refuse an export whose metadata a crafted or damaged file filled with values gantool never writes."""
    for key, (valid, expected) in METADATA_SCHEMA.items():
        if key not in state:
            if key in OPTIONAL:
                continue
            raise GantoolError(f"{path} has incomplete export metadata (no {key}); export it again with gantool "
                               "train")
        if not valid(state[key]):
            raise GantoolError(f"{path} has invalid export metadata: {key} = {_short(state[key])} is not "
                               f"{expected}; export it again with gantool train")
    for key, (valid, expected) in SPEC_SCHEMA.items():
        if not valid(state["spec"][key]):
            raise GantoolError(f"{path} has invalid export metadata: spec {key} = "
                               f"{_short(state['spec'][key])} is not {expected}; export it again with "
                               "gantool train")


def _short(value: Any) -> str:
    """A metadata value for an error line, cut short: a crafted file may hold a huge one."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def load_generator(registry: Registry, source: Path, *, device: torch.device) -> LoadedGenerator:
    """Rebuild the exported generator through its plugin and load its weights (no code runs from the file).

    A run without an export yet (stopped, killed or still training) gives the sampling generator of its newest
    checkpoint instead: the one its export would hold at that step (the EMA copy when the run keeps one)."""
    run = RunDir(source)
    if source.is_dir() and run.is_run:
        run.refuse_links()  # before following any part of it: a link could lead to weights elsewhere
    checkpoint = latest_checkpoint(source) if source.is_dir() and run.is_run and not run.finished else None
    if checkpoint is not None:
        path = checkpoint
        tensors, state = checkpoint_sampler(registry, run, checkpoint)
        err_console.print(f"{source} has no export yet: sampling its newest checkpoint, step {state['step']} "
                          f"({CHECKPOINTS}/{checkpoint.name})", highlight=False, soft_wrap=True)
    else:
        path = finished_export(source)
        tensors, state = load_tensors(path)
        if state.get("format") != EXPORT_FORMAT:
            raise GantoolError(f"{path} is not a gantool generator export (format {state.get('format')!r}); "
                               "give a run directory or its generator.safetensors")
        check_metadata(path, state)
    try:
        spec = DataSpec.from_dict(state["spec"])
        name, options = str(state["generator"]), dict(state["options"])
    except (KeyError, TypeError, ValueError):
        raise GantoolError(f"{path} has incomplete export metadata (generator, options, spec); "
                           "export it again with gantool train") from None
    require_plugin(registry, name, state.get("plugin"), path)
    generator = build_generator(registry, name, options, spec)
    expected = generator.state_dict()
    for key, tensor in tensors.items():
        if key in expected and tensor.dtype != expected[key].dtype:
            raise GantoolError(f"{path} stores {key} as {tensor.dtype}, but generator {name} holds "
                               f"{expected[key].dtype}; the file was altered or not written by gantool, so export "
                               "it again with gantool train")
    try:
        generator.load_state_dict(tensors)
    except RuntimeError as exc:
        raise GantoolError(f"{path} does not fit generator {state['generator']} ({first_line(exc)}); "
                           "was it exported by another version of that plugin?") from None
    generator.to(device).eval()
    return LoadedGenerator(generator, spec, state, device)


def require_plugin(registry: Registry, name: str, plugin: Any, path: Path) -> None:
    """A generator whose plugin is no longer installed: name the package to install, as the file records it."""
    try:
        registry.get("generator", name)
    except GantoolError:
        package = plugin.get("package") if isinstance(plugin, dict) else None
        installed = {info.package for info in registry.plugins.values() if info.error is None}
        if not package or package == "(in-process)" or package in installed:
            raise
        version = f" (it was made with version {plugin['version']})" if plugin.get("version") else ""
        raise GantoolError(f"{path} needs generator {name!r} from the package {package}, which is not installed"
                           f"{version}: pip install {package}") from None


def checkpoint_sampler(registry: Registry, run: RunDir, checkpoint: Path) -> tuple[dict[str, torch.Tensor],
                                                                                    dict[str, Any]]:
    """The sampling generator's weights in a training checkpoint, with metadata shaped like an export's."""
    tensors, saved = load_tensors(checkpoint)
    if saved.get("format") != CHECKPOINT_FORMAT:
        raise GantoolError(f"{checkpoint} is not a gantool training checkpoint (format {saved.get('format')!r})")
    config = run.read_config()
    prefix = "ema." if any(key.startswith("ema.") for key in tensors) else "g."
    plugin = saved.get("plugins", config.get("plugins", {})).get("gen", {})
    state = {
        "format": EXPORT_FORMAT, "gantool": saved.get("gantool"), "generator": plugin.get("name", config.get("gen")),
        "options": config.get("options", {}).get("gen", {}), "step": saved.get("step"),
        "spec": saved.get("spec") or data_spec(registry, config), "checkpoint": checkpoint.name,
        "plugin": {key: plugin.get(key) for key in ("package", "version")}, "dataset": config.get("dataset"),
        "noise": config.get("noise", "normal"), "ema": config.get("ema"),
    }
    return {key[len(prefix):]: value for key, value in tensors.items() if key.startswith(prefix)}, state


def data_spec(registry: Registry, config: dict[str, Any]) -> dict[str, int]:
    """The data spec of a run whose checkpoints predate recording it: from its dataset, built as it trained."""
    from gantool.assembly import build_dataset
    from gantool.options import resolve_options

    component = registry.get("dataset", config.get("dataset", ""))
    options = resolve_options(component.factory, config.get("options", {}).get("data", {}), "data")
    return build_dataset(component, options).spec.to_dict()


def write_export(path: Path, sampler: torch.nn.Module, parts: Parts, config: TrainConfig, step: int) -> Path:
    """Save the sampling generator alone, with what `gantool generate` needs to rebuild and sample it."""
    component = parts.components["gen"]
    state = {
        "format": EXPORT_FORMAT, "gantool": __version__, "generator": component.qualified_name,
        "options": parts.options["gen"], "spec": parts.data.spec.to_dict(), "step": step,
        "plugin": {"package": component.plugin.package, "version": component.plugin.version},
        "dataset": config.dataset, "noise": config.noise, "ema": config.ema,
    }
    save_tensors(path, sampler.state_dict(), json.loads(json.dumps(state, default=str)))
    return path
