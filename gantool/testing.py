"""Contract checks a plugin author calls from pytest: each builds a part and fails with a clear message.

    from gantool.interfaces import DataSpec
    from gantool.testing import check_plugin
    from my_plugin import plugin

    def test_my_plugin_keeps_the_contracts():
        check_plugin(plugin, specs=[DataSpec(1, 28, 28), DataSpec(3, 64, 64)])

Each check raises AssertionError naming the part and the broken rule, so pytest shows what to fix.
This module imports torch; import it from tests, never from a plugin's hook module.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import typing
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any

import torch
from torch import nn

from gantool.errors import GantoolError
from gantool.interfaces import DatasetBundle, DataSpec
from gantool.options import OptionSpec, _convert, convert_value, option_specs, resolve_options
from gantool.registry import Registry

BUILTIN_PLUGIN = "gantool_builtins.plugin"  # gantool's own commands come from it
DEFAULT_SPECS = (DataSpec(1, 28, 28), DataSpec(3, 32, 32, num_classes=10))
# Autograd nodes that only reshape: a sigmoid hidden behind them is still a sigmoid on the output.
_RESHAPE_NODES = ("View", "Reshape", "UnsafeView", "Squeeze", "Unsqueeze", "Flatten", "Select", "Clone", "Alias")


def _fail(message: str) -> typing.NoReturn:
    raise AssertionError(message)


def _name(factory: Callable[..., Any]) -> str:
    return getattr(factory, "__qualname__", repr(factory))


def check_options(factory: Callable[..., Any]) -> list[OptionSpec]:
    """Check that every option of a factory is keyword-only, typed with a supported hint, and has a valid default."""
    name = _name(factory)
    signature = inspect.signature(factory)
    positional = [p for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    if len(positional) > 1:
        _fail(f"{name} takes positional parameters {[p.name for p in positional]}; gantool passes at most the "
              "DataSpec positionally: make options keyword-only (put them after `*`)")
    kinds = {p.kind for p in signature.parameters.values()}
    if inspect.Parameter.VAR_KEYWORD in kinds:
        _fail(f"{name} takes **kwargs; gantool cannot check or describe those: declare each option keyword-only")
    annotations = typing.get_type_hints(factory, include_extras=True)
    specs = option_specs(factory)
    for spec in specs:
        label = f"{name} option {spec.name!r}"
        if spec.name not in annotations:
            _fail(f"{label} has no type hint; add one (int, float, bool, str, Path, Literal[...], list[int], ...)")
        if spec.required:
            continue
        if spec.default is None:
            if type(None) not in typing.get_args(spec.type):
                _fail(f"{label} defaults to None but its hint {spec.type_name()} does not allow None; use `X | None`")
            continue
        try:
            _convert(spec.type, spec.default)
        except TypeError:
            _fail(f"{label} has type {spec.type!r}, which --set cannot parse; use int, float, bool, str, Path, "
                  "Literal[...], a list or tuple of those, or `X | None`")
        except ValueError:
            _fail(f"{label} has default {spec.default!r}, which is not a valid {spec.type_name()}")
        try:
            convert_value(spec, spec.default, label)
        except GantoolError as exc:
            _fail(f"{label}: its default breaks its own bounds ({exc})")
    return specs


def _resolved(factory: Callable[..., Any], options: Mapping[str, Any] | None) -> dict[str, Any]:
    check_options(factory)
    try:
        return resolve_options(factory, dict(options or {}), _name(factory))
    except GantoolError as exc:
        _fail(f"options {dict(options or {})} are not accepted: {exc}")


def _labels(num_classes: int, batch: int) -> torch.Tensor | None:
    return torch.arange(batch) % num_classes if num_classes else None


def _check_every_parameter_gets_gradient(module: nn.Module, what: str) -> None:
    missing = [name for name, p in module.named_parameters() if p.requires_grad and p.grad is None]
    if missing:
        _fail(f"{what}: no gradient reaches parameters {missing[:5]}; they are unused or detached from the output")
    if not any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in module.parameters()):
        _fail(f"{what}: every gradient is zero; check that the output depends on the weights")


def _class_count(module: Any, spec: DataSpec, what: str) -> int:
    count = getattr(module, "num_classes", 0)
    if not isinstance(count, int) or count < 0:
        _fail(f"{what}.num_classes must be an int >= 0 (0 = unconditional), not {count!r}")
    if count and count != spec.num_classes:
        _fail(f"{what} is conditional on {count} classes but the DataSpec has {spec.num_classes}; "
              "take the class count from spec.num_classes")
    return count


def check_generator(factory: Callable[..., Any], spec: DataSpec, options: Mapping[str, Any] | None = None,
                    *, batch: int = 4) -> nn.Module:
    """Build a generator for `spec` and check the contract: module, latent_dim, shape, range, labels, gradients."""
    what = f"generator {_name(factory)} for {spec}"
    generator = factory(spec, **_resolved(factory, options))
    if not isinstance(generator, nn.Module):
        _fail(f"{what} returned {type(generator).__name__}; a generator must be a torch.nn.Module")
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int) or latent_dim < 1:
        _fail(f"{what} needs an int attribute latent_dim >= 1 (the size of z), not {latent_dim!r}")
    num_classes = _class_count(generator, spec, what)
    labels = _labels(num_classes, batch)
    generator.train()
    z = torch.randn(batch, latent_dim, generator=torch.Generator().manual_seed(0))
    images = generator(z, labels)
    expected = (batch, spec.channels, spec.height, spec.width)
    if not isinstance(images, torch.Tensor) or tuple(images.shape) != expected:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        _fail(f"{what} returned {shape} for z of shape {tuple(z.shape)}; expected (N, C, H, W) = {expected}")
    if not images.is_floating_point() or not bool(torch.isfinite(images).all()):
        _fail(f"{what} returned non-finite or non-float images")
    low, high = float(images.detach().min()), float(images.detach().max())
    if low < -1.0 or high > 1.0:
        _fail(f"{what} returned values in [{low:.3g}, {high:.3g}]; images must lie "
              "in [-1, 1] (end with tanh)")
    images.square().mean().backward()
    _check_every_parameter_gets_gradient(generator, what)
    if num_classes:
        with torch.no_grad():
            other = generator(z, (labels + 1) % num_classes)
        if torch.equal(other, images.detach()):
            _fail(f"{what} ignores its labels: changing them did not change any image")
    generator.eval()
    with torch.no_grad():
        if tuple(generator(z, labels).shape) != expected:
            _fail(f"{what} returns another shape in eval mode (used for samples and export)")
    generator.train()
    return generator


def _hidden_sigmoid(output: torch.Tensor) -> bool:
    node = output.grad_fn
    while node is not None and node.name().startswith(_RESHAPE_NODES):
        node = node.next_functions[0][0] if node.next_functions else None
    return node is not None and node.name().startswith("Sigmoid")


def check_discriminator(factory: Callable[..., Any], spec: DataSpec, options: Mapping[str, Any] | None = None,
                        *, batch: int = 4) -> nn.Module:
    """Build a discriminator for `spec` and check: raw logits (N,), labels used, gradients to input and weights."""
    what = f"discriminator {_name(factory)} for {spec}"
    discriminator = factory(spec, **_resolved(factory, options))
    if not isinstance(discriminator, nn.Module):
        _fail(f"{what} returned {type(discriminator).__name__}; a discriminator must be a torch.nn.Module")
    num_classes = _class_count(discriminator, spec, what)
    labels = _labels(num_classes, batch)
    discriminator.train()
    images = torch.rand(batch, spec.channels, spec.height, spec.width, generator=torch.Generator().manual_seed(0))
    images = (images * 2 - 1).requires_grad_(True)
    logits = discriminator(images, labels)
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (batch,):
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        _fail(f"{what} returned {shape} for {batch} images; the contract is one logit per image, shape (N,) "
              "(flatten the last layer's output)")
    if not logits.is_floating_point() or not bool(torch.isfinite(logits).all()):
        _fail(f"{what} returned non-finite or non-float logits")
    if _hidden_sigmoid(logits):
        _fail(f"{what} ends in a sigmoid; return raw logits: the losses apply the sigmoid themselves, stably")
    logits.sum().backward()
    if images.grad is None or not bool(images.grad.abs().sum() > 0):
        _fail(f"{what}: no gradient flows back to the input images, so G cannot learn from D")
    _check_every_parameter_gets_gradient(discriminator, what)
    if num_classes:
        with torch.no_grad():
            other = discriminator(images.detach(), (labels + 1) % num_classes)
        if torch.equal(other, logits.detach()):
            _fail(f"{what} ignores its labels: changing them did not change any logit")
    return discriminator


def check_architecture(generator_factory: Callable[..., Any], discriminator_factory: Callable[..., Any],
                       spec: DataSpec, gen_options: Mapping[str, Any] | None = None,
                       disc_options: Mapping[str, Any] | None = None) -> None:
    """Check G and D each, then together: D accepts G's images and G receives gradients through D."""
    generator = check_generator(generator_factory, spec, gen_options)
    discriminator = check_discriminator(discriminator_factory, spec, disc_options)
    generator.zero_grad(set_to_none=True)
    num_classes = getattr(generator, "num_classes", 0)
    labels = _labels(num_classes, 4)
    discriminator(generator(torch.randn(4, generator.latent_dim), labels), labels).mean().backward()
    _check_every_parameter_gets_gradient(generator, f"generator {_name(generator_factory)} trained through "
                                                   f"discriminator {_name(discriminator_factory)} on {spec}")


class _LinearCritic(nn.Module):
    """The smallest discriminator: one linear layer on the flattened image (used to test penalties)."""

    def __init__(self, spec: DataSpec) -> None:
        super().__init__()
        self.num_classes = 0
        self.linear = nn.Linear(spec.channels * spec.height * spec.width, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.linear(x.flatten(1)).flatten()


def _scalar(value: Any, what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or value.dim() != 0:
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        _fail(f"{what} must be a scalar tensor (reduce with .mean()), not {shape}")
    if not bool(torch.isfinite(value)):
        _fail(f"{what} is not finite for ordinary logits")
    return value


def check_loss(factory: Callable[..., Any], options: Mapping[str, Any] | None = None, *,
               discriminator: nn.Module | None = None, spec: DataSpec = DEFAULT_SPECS[0]) -> Any:
    """Build a loss and check its D and G parts (and `penalty`, if defined) on random logits."""
    what = f"loss {_name(factory)}"
    loss = factory(**_resolved(factory, options))
    for method in ("discriminator_loss", "generator_loss"):
        if not callable(getattr(loss, method, None)):
            _fail(f"{what} has no {method} method; see gantool.interfaces.Loss")
    seed = torch.Generator().manual_seed(0)
    real = (torch.randn(8, generator=seed) * 0.3).requires_grad_(True)
    fake = (torch.randn(8, generator=seed) * 0.3).requires_grad_(True)
    parts = loss.discriminator_loss(real, fake)
    if not isinstance(parts, Mapping) or "loss" not in parts:
        _fail(f"{what}.discriminator_loss returned {type(parts).__name__}; it must return a mapping with a 'loss' "
              "entry (and optionally 'real' and 'fake' parts to log)")
    for key, value in parts.items():
        _scalar(value, f"{what}.discriminator_loss()[{key!r}]")
    parts["loss"].backward()
    if real.grad is None or fake.grad is None:
        _fail(f"{what}.discriminator_loss()['loss'] must depend on both real and fake logits")
    better = loss.discriminator_loss(real.detach() + 0.5, fake.detach() - 0.5)["loss"]
    if not float(better) < float(parts["loss"].detach()):
        _fail(f"{what}: D's loss must fall when real logits rise and fake logits fall (higher logit = more real)")
    g_loss = _scalar(loss.generator_loss(fake), f"{what}.generator_loss()")
    fake.grad = None
    g_loss.backward()
    if fake.grad is None or not bool(fake.grad.abs().sum() > 0):
        _fail(f"{what}.generator_loss() must depend on the fake logits")
    if not float(loss.generator_loss(fake.detach() + 0.5)) < float(g_loss.detach()):
        _fail(f"{what}: G's loss must fall when D's logits on fakes rise (G wants fakes judged real)")
    if getattr(loss, "penalty", None) is not None:
        _check_penalty(loss, what, discriminator or _LinearCritic(spec), spec)
    return loss


def _check_penalty(loss: Any, what: str, discriminator: nn.Module, spec: DataSpec) -> None:
    seed = torch.Generator().manual_seed(1)
    real = torch.rand(4, spec.channels, spec.height, spec.width, generator=seed) * 2 - 1
    fake = torch.rand(4, spec.channels, spec.height, spec.width, generator=seed) * 2 - 1
    labels = _labels(getattr(discriminator, "num_classes", 0), 4)
    discriminator.zero_grad(set_to_none=True)
    value = loss.penalty(discriminator, real, fake, labels)
    if value is None:
        return
    _scalar(value, f"{what}.penalty()")
    if value.requires_grad:
        value.backward()
    if not any(p.grad is not None for p in discriminator.parameters()):
        _fail(f"{what}.penalty() does not reach D's weights; a gradient penalty needs "
              "torch.autograd.grad(..., create_graph=True)")


def check_dataset(factory: Callable[..., Any], options: Mapping[str, Any] | None = None, *,
                  items: int = 4) -> DatasetBundle:
    """Build a dataset and check the bundle: spec, uint8 tensors if given, and (image in [-1, 1], label) items."""
    what = f"dataset {_name(factory)}"
    bundle = factory(**_resolved(factory, options))
    if not isinstance(bundle, DatasetBundle):
        _fail(f"{what} returned {type(bundle).__name__}; return a gantool.interfaces.DatasetBundle")
    spec = bundle.spec
    if not isinstance(spec, DataSpec) or spec.channels not in (1, 3) or min(spec.height, spec.width) < 1:
        _fail(f"{what} has spec {spec!r}; expected a DataSpec with 1 or 3 channels and a positive size")
    if bundle.images is None and bundle.dataset is None:
        _fail(f"{what} gives neither `images` nor `dataset`")
    if len(bundle) == 0:
        _fail(f"{what} is empty")
    shape = (spec.channels, spec.height, spec.width)
    if bundle.images is not None:
        _check_tensors(bundle, what, shape)
    if bundle.dataset is not None:
        for index in range(min(items, len(bundle.dataset))):
            _check_item(bundle.dataset[index], f"{what} item {index}", shape, spec.num_classes)
    return bundle


def _check_tensors(bundle: DatasetBundle, what: str, shape: tuple[int, int, int]) -> None:
    images, labels = bundle.images, bundle.labels
    if images.dtype != torch.uint8 or tuple(images.shape[1:]) != shape:
        _fail(f"{what}.images is {images.dtype} {tuple(images.shape)}; expected uint8 shaped (N, *{shape})")
    if labels is None:
        return
    if labels.dtype != torch.int64 or tuple(labels.shape) != (len(images),):
        _fail(f"{what}.labels is {labels.dtype} {tuple(labels.shape)}; expected int64 ({len(images)},)")
    classes = bundle.spec.num_classes
    if classes and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        _fail(f"{what}.labels run from {int(labels.min())} to {int(labels.max())}; the spec has {classes} classes")


def _check_item(item: Any, what: str, shape: tuple[int, int, int], classes: int) -> None:
    if not isinstance(item, tuple | list) or len(item) != 2:
        _fail(f"{what} is {type(item).__name__}; items must be (image, label) pairs")
    image, label = item
    if not isinstance(image, torch.Tensor) or tuple(image.shape) != shape or not image.is_floating_point():
        got = f"{image.dtype} {tuple(image.shape)}" if isinstance(image, torch.Tensor) else type(image).__name__
        _fail(f"{what}: image is {got}; expected a float tensor shaped {shape}")
    if float(image.min()) < -1.0 or float(image.max()) > 1.0:
        _fail(f"{what}: image values lie in [{float(image.min()):.3g}, {float(image.max()):.3g}], not [-1, 1]")
    if not isinstance(label, int) or (classes and not 0 <= label < classes):
        _fail(f"{what}: label {label!r} must be an int in [0, {classes}) (0 for unlabelled data)")


def check_augmentation(factory: Callable[..., Any], options: Mapping[str, Any] | None = None, *,
                       spec: DataSpec = DEFAULT_SPECS[0]) -> Any:
    """Build an augmentation and check it on a batch: same shape and dtype out, finite values, gradients that
    reach the input (G learns through it), and a JSON-able `state()` if it keeps one."""
    what = f"augmentation {_name(factory)}"
    augmentation = factory(**_resolved(factory, options))
    if not callable(augmentation):
        _fail(f"{what} built {type(augmentation).__name__}, which is not callable; see gantool.interfaces.Augmentation")
    seed = torch.Generator().manual_seed(2)
    images = (torch.rand(8, spec.channels, spec.height, spec.width, generator=seed) * 2 - 1).requires_grad_(True)
    out = augmentation(images)
    if not isinstance(out, torch.Tensor) or out.shape != images.shape or out.dtype != images.dtype:
        got = f"{out.dtype} {tuple(out.shape)}" if isinstance(out, torch.Tensor) else type(out).__name__
        _fail(f"{what} returned {got} for images {images.dtype} {tuple(images.shape)}; it must keep shape and dtype")
    if not bool(torch.isfinite(out).all()):
        _fail(f"{what} returned non-finite values")
    if not out.requires_grad:
        _fail(f"{what} cut the gradient: G learns through the augmentation, so build it from differentiable ops")
    (out * torch.randn(out.shape, generator=seed)).sum().backward()
    if images.grad is None or not bool(images.grad.abs().sum() > 0):
        _fail(f"{what}: no gradient reaches the input images; G would learn nothing through it")
    observe = getattr(augmentation, "observe", None)
    if observe is not None:
        observe(torch.randn(8, generator=seed))
    if hasattr(augmentation, "state"):
        state = augmentation.state()
        try:
            restored = json.loads(json.dumps(state))
        except (TypeError, ValueError) as exc:
            _fail(f"{what}.state() must return JSON-able data (it is saved in checkpoints): {exc}")
        if not callable(getattr(augmentation, "load_state", None)):
            _fail(f"{what} has state() but no load_state(state); resuming would lose its state")
        augmentation.load_state(restored)
    return augmentation


TRACKER_METHODS = ("start", "log_metrics", "log_samples", "log_evaluation", "log_export", "end")


def check_tracker(factory: Callable[..., Any], options: Mapping[str, Any] | None = None) -> Any:
    """Build a tracker and feed it a whole tiny run in a temporary folder, as `gantool train --track` does: every
    method of gantool.interfaces.Tracker must exist and take the run's events, and none may change the run's files."""
    import tempfile
    from pathlib import Path

    from PIL import Image

    what = f"tracker {_name(factory)}"
    tracker = factory(**_resolved(factory, options))
    missing = [name for name in TRACKER_METHODS if not callable(getattr(tracker, name, None))]
    if missing:
        _fail(f"{what} built {type(tracker).__name__}, which lacks {', '.join(missing)}; see "
              "gantool.interfaces.Tracker")
    with tempfile.TemporaryDirectory(prefix="gantool-tracker-") as folder:
        run = Path(folder) / "run"
        (run / "samples").mkdir(parents=True)
        config = {"gen": "dcgan", "loss": "bce", "dataset": "mnist5k", "lr_g": 0.0012, "betas_g": [0.5, 0.999],
                  "options": {"gen": {"depth": 8}}, "plugins": {"gen": {"name": "builtins:dcgan"}}}
        (run / "config.toml").write_text('gen = "dcgan"\n')
        grid = run / "samples" / "step-0000002.png"
        Image.new("RGB", (10, 10), (255, 0, 0)).save(grid)
        export = run / "generator.safetensors"
        export.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
        before = {path: path.read_bytes() for path in run.rglob("*") if path.is_file()}
        tracker.start(run, config)
        tracker.log_metrics(1, {"d_loss": 1.3, "g_loss": 0.7, "images_per_s": 100.0})
        tracker.log_samples(2, grid)
        tracker.log_evaluation(2, {"frechet_distance": 120.5}, {"samples": 32, "extractor": "test"})
        tracker.log_export(export)
        tracker.end("finished")
        changed = [str(path.relative_to(run)) for path, data in before.items()
                   if not path.is_file() or path.read_bytes() != data]
        if changed:
            _fail(f"{what} changed the run's files {changed}; a tracker only reads them")
    return tracker


def check_torch_free_import(module: str) -> None:
    """Import `module` in a fresh interpreter and fail if that imports torch (it would slow `gantool --help`)."""
    code = f"import sys, importlib; importlib.import_module({module!r}); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        _fail(f"importing {module} failed: {result.stderr.strip().splitlines()[-1:]}")
    if result.stdout.strip() != "False":
        _fail(f"importing {module} imports torch; import torch inside the factories, so `gantool --help` and "
              "`gantool list-plugins` stay fast")


def check_plugin(plugin: object, *, specs: Iterable[DataSpec] = DEFAULT_SPECS,
                 options: Mapping[str, Mapping[str, Any]] | None = None, datasets: bool = True) -> Registry:
    """Register a plugin (module or object) alone and check every part it provides on each spec.

    `options` maps a component name to options to build it with (e.g. tiny widths for speed); for an
    architecture each option goes to whichever of G and D has it, and G and D are also checked together.
    A part may refuse a spec it cannot serve by raising GantoolError (its one-line user error), but not
    every spec. Datasets are built with their defaults unless `datasets=False` (files or a download needed).
    """
    registry = Registry()
    info = registry.add_plugin(plugin, "plugin-under-test")
    if info.error is None:
        add_commands(registry, beside_builtins=plugin is not import_module(BUILTIN_PLUGIN))
    if info.error:
        _fail(f"the plugin failed to register: {info.error}")
    if not info.provides:
        _fail("the plugin registers nothing; implement register_generators, register_losses, ..., register_commands "
              "with @hookimpl")
    options = options or {}
    unknown = sorted(set(options) - {c.name for kind in registry.components.values() for c in kind})
    if unknown:
        _fail(f"options were given for {unknown}, which the plugin does not register; check the names")
    generators = {c.name: c.factory for c in registry.components["generator"]}
    discriminators = {c.name: c.factory for c in registry.components["discriminator"]}
    specs = list(specs)
    for name in sorted(generators.keys() | discriminators.keys()):
        gen, disc = generators.get(name), discriminators.get(name)
        gen_options, disc_options = _split_options(name, options.get(name, {}), gen, disc)
        served = 0
        for spec in specs:
            try:
                if gen is not None and disc is not None:
                    check_architecture(gen, disc, spec, gen_options, disc_options)
                elif gen is not None:
                    check_generator(gen, spec, gen_options)
                else:
                    check_discriminator(disc, spec, disc_options)
                served += 1
            except GantoolError:
                continue
        if not served:
            _fail(f"architecture {name!r} refused every DataSpec tried ({specs}); pass `specs` it can build")
    for component in registry.components["loss"]:
        check_loss(component.factory, options.get(component.name))
    for component in registry.components["augmentation"]:
        check_augmentation(component.factory, options.get(component.name))
    for component in registry.components["tracker"]:
        check_tracker(component.factory, options.get(component.name))
    for component in registry.components["dataset"] if datasets else ():
        check_dataset(component.factory, options.get(component.name))
    return registry


def add_commands(registry: Registry, *, beside_builtins: bool = True) -> None:
    """Let the registry's plugins add their commands (beside gantool's own, as in the CLI): a name that clashes
    with a built-in command marks the plugin failed, with the reason."""
    import warnings

    import typer

    from gantool.commands import add_builtin_commands
    from gantool.registry import PluginWarning

    app = typer.Typer()
    if beside_builtins:
        add_builtin_commands(app, lambda: registry)
    with warnings.catch_warnings():  # the failure is reported by the check itself
        warnings.simplefilter("ignore", PluginWarning)
        registry.register_commands(app)


def _split_options(name: str, given: Mapping[str, Any], *factories: Callable[..., Any] | None) -> list[dict[str, Any]]:
    """Give each of an architecture's factories the options it declares; fail on ones neither declares."""
    declared = [{spec.name for spec in option_specs(f)} if f is not None else set() for f in factories]
    unknown = sorted(set(given) - set().union(*declared))
    if unknown:
        _fail(f"option {unknown[0]!r} given for {name!r} is declared by neither its generator nor discriminator")
    return [{key: value for key, value in given.items() if key in names} for names in declared]
