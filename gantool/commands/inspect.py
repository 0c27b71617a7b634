"""`gantool inspect`: what a run directory or a generator export holds, with file hashes."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from gantool.registry import Registry


def describe_source(source: Path) -> dict[str, Any]:
    """Config, export metadata, latest checkpoint step and hashes of a run directory, an export file or an exported
    folder."""
    from gantool.errors import GantoolError
    from gantool.storage.checkpoint import load_tensors
    from gantool.storage.export_folder import CONFIG as EXPORT_CONFIG
    from gantool.storage.export_folder import checked_model, is_export_folder, read_config, sha256_of
    from gantool.storage.rundir import CHECKPOINTS, CONFIG, EXPORT, RunDir, export_of, latest_checkpoint

    if not source.exists():
        raise GantoolError(f"{source} does not exist: give a run directory or a {EXPORT} export")
    info: dict[str, Any] = {"source": str(source), "files": {}}
    export = export_of(source)
    if not source.is_dir() and not source.is_file():
        raise GantoolError(f"{source} is neither a folder nor a regular file: give a run directory or a {EXPORT} "
                           "export")
    if source.is_dir() and not RunDir(source).is_run and is_export_folder(source):  # gantool export's folder
        export = checked_model(source)
        info["config"] = read_config(source).get("training") or {}
        info["files"][EXPORT_CONFIG] = sha256_of(source / EXPORT_CONFIG)
    elif source.is_dir():
        run = RunDir(source)
        if not run.is_run:
            raise GantoolError(f"{source} is not a gantool run directory (no {CONFIG})")
        info["config"] = run.read_config()
        info["files"][CONFIG] = sha256_of(run.config)
        checkpoint = latest_checkpoint(source)
        if checkpoint is not None:
            _, state = load_tensors(checkpoint)
            name = f"{CHECKPOINTS}/{checkpoint.name}"
            info["checkpoint"] = {"file": name, "step": state.get("step"), "epoch": state.get("epoch")}
            info["files"][name] = sha256_of(checkpoint)
    if export.is_file():
        tensors, state = load_tensors(export)
        info["export"] = state | {"parameters": sum(t.numel() for t in tensors.values() if t.is_floating_point())}
        info["files"][export.name] = sha256_of(export)
    return info


def add_to(app: typer.Typer, registry: Callable[[], Registry]) -> None:
    @app.command()
    def inspect(
        source: Annotated[Path, typer.Argument(help="A run directory or a generator.safetensors export.")],
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Show a run's or an export's architecture, options, step, data spec, plugin versions and file hashes."""
        info = describe_source(source)
        if json_:
            print(json.dumps(info, indent=2, default=str))
            return
        show(info)


def show(info: dict[str, Any]) -> None:
    """Print the description as short labelled lines."""
    from gantool.consoles import clean, literal, out_console

    lines = []
    config, export = info.get("config", {}), info.get("export", {})
    if config:
        lines.append(f"run: gen {config.get('gen')}  disc {config.get('disc') or config.get('gen')}  loss "
                     f"{config.get('loss')}  data {config.get('dataset')}  seed {config.get('seed')}  "
                     f"epochs {config.get('epochs')}  batch {config.get('batch_size')}")
        for kind, values in config.get("options", {}).items():
            lines.append(f"  {kind} options: {values}")
        for kind, plugin in config.get("plugins", {}).items():
            lines.append(f"  {kind}: {plugin.get('name')} from {plugin.get('package')} {plugin.get('version')}")
    if "checkpoint" in info:
        lines.append(f"latest checkpoint: {info['checkpoint']['file']} (step {info['checkpoint']['step']})")
    if export:
        spec = export.get("spec", {})
        lines.append(f"export: {export.get('generator')} at step {export.get('step')}, "
                     f"{export.get('parameters'):,} parameters, options {export.get('options')}")
        lines.append(f"  data spec: {spec.get('channels')}x{spec.get('height')}x{spec.get('width')}, "
                     f"{spec.get('num_classes')} classes (dataset {export.get('dataset')})")
        plugin = export.get("plugin", {})
        lines.append(f"  plugin {plugin.get('package')} {plugin.get('version')}, gantool {export.get('gantool')}")
        shown = {"format", "gantool", "generator", "options", "spec", "step", "plugin", "dataset", "parameters"}
        lines += [f"  {key}: {value}" for key, value in export.items() if key not in shown]
    elif config:
        lines.append("export: none yet (the run has not finished)")
    lines += [f"sha256 {digest}  {name}" for name, digest in info["files"].items()]
    out_console.print(f"[bold]{literal(info['source'])}[/]", highlight=False)
    out_console.print(clean("\n".join(lines)), markup=False, highlight=False)
