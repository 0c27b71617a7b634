"""Generator exports: write one at the end of a run, and rebuild the generator an export (or a run directory's)
describes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from gantool import __version__
from gantool.assembly import Parts, build_generator
from gantool.checkpoint import EXPORT_FORMAT, load_tensors, save_tensors
from gantool.errors import GantoolError, first_line
from gantool.interfaces import DataSpec
from gantool.registry import Registry
from gantool.rundir import finished_export

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
        from gantool.noise import draw_noise

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
    from gantool.provenance import provenance_of

    info = provenance_of(source, state)
    return info["dataset"] or "", info["data_options"]


def load_generator(registry: Registry, source: Path, *, device: torch.device) -> LoadedGenerator:
    """Rebuild the exported generator through its plugin and load its weights (no code runs from the file)."""
    path = finished_export(source)
    tensors, state = load_tensors(path)
    if state.get("format") != EXPORT_FORMAT:
        raise GantoolError(f"{path} is not a gantool generator export (format {state.get('format')!r}); "
                           "give a run directory or its generator.safetensors")
    try:
        spec = DataSpec.from_dict(state["spec"])
        name, options = str(state["generator"]), dict(state["options"])
    except (KeyError, TypeError, ValueError):
        raise GantoolError(f"{path} has incomplete export metadata (generator, options, spec); "
                           "export it again with gantool train") from None
    generator = build_generator(registry, name, options, spec)
    try:
        generator.load_state_dict(tensors)
    except RuntimeError as exc:
        raise GantoolError(f"{path} does not fit generator {state['generator']} ({first_line(exc)}); "
                           "was it exported by another version of that plugin?") from None
    generator.to(device).eval()
    return LoadedGenerator(generator, spec, state, device)


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
