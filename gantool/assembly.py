"""Build the parts of a run by name: resolve plugins, check options, and check that G fits D and the data."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gantool.config import AUTO_GENERATOR
from gantool.errors import GantoolError, GantoolWarning, first_line
from gantool.interfaces import DatasetBundle, DataSpec
from gantool.kinds import BY_NAME, BY_PREFIX, PREFIXES
from gantool.options import options_to_config, resolve_options
from gantool.recipes import Recipe, recipe_for, with_recipe_options
from gantool.registry import BUILTIN_DISTRIBUTION, Component, Registry

if TYPE_CHECKING:
    from torch import nn


@dataclass
class Parts:
    """Everything a training run is composed of, with the resolved options of each part."""

    generator: nn.Module
    discriminator: nn.Module
    loss: Any
    data: DatasetBundle
    components: dict[str, Component]
    options: dict[str, dict[str, Any]]
    augmentation: Any = None
    recipe: Recipe | None = None  # what --gen auto chose, if it chose

    def options_config(self) -> dict[str, dict[str, Any]]:
        """The resolved options as plain TOML values, by kind."""
        return {kind: options_to_config(values) for kind, values in self.options.items()}


def construct(component: Component, *args: Any, **options: Any) -> Any:
    """Call a plugin's factory; a crash in it becomes one line naming the plugin and its package."""
    try:
        return component.factory(*args, **options)
    except GantoolError:
        raise
    except Exception as exc:
        plugin = component.plugin
        raise GantoolError(f"{component.kind} {component.name!r} from plugin {plugin.name!r} ({plugin.package} "
                           f"{plugin.version}) failed to build: {type(exc).__name__}: {first_line(exc, '')}; report it "
                           f"to the plugin's authors or choose another {component.kind}") from None


def plugin_at_fault(components: Iterable[Component], exc: BaseException) -> Component | None:
    """The third-party part whose code raised `exc` (the innermost frame in a plugin's package), or None when
    the error arose in gantool or its built-ins, so a crash can name the package to report it to."""
    roots = {component.factory.__module__.partition(".")[0]: component for component in components
             if component.plugin.package != BUILTIN_DISTRIBUTION}
    found, frame = None, exc.__traceback__
    while frame is not None:
        module = frame.tb_frame.f_globals.get("__name__", "")
        found = roots.get(module.partition(".")[0], found)
        frame = frame.tb_next
    return found


def plugin_failure(component: Component, exc: BaseException, when: str) -> GantoolError:
    """One line for a plugin part that crashed `when` (e.g. "during training after step 3"): which part, which
    package, whom to tell."""
    plugin = component.plugin
    return GantoolError(f"{component.kind} {component.name!r} from plugin {plugin.name!r} ({plugin.package} "
                        f"{plugin.version}) failed {when}: {type(exc).__name__}: "
                        f"{first_line(exc, '')}; report it to the authors of {plugin.package} or choose another "
                        f"{component.kind}")


def build_generator(registry: Registry, name: str, raw: Mapping[str, Any], spec: DataSpec) -> Any:
    """Build a generator by name with checked options (used to rebuild exports)."""
    component = registry.get("generator", name)
    return build_part(component, resolve_options(component.factory, raw, "gen"), spec)


def build_part(component: Component, options: Mapping[str, Any], spec: DataSpec) -> Any:
    """Build a non-dataset part, giving it the DataSpec when its kind's factories take one."""
    return construct(component, *((spec,) if BY_NAME[component.kind].takes_spec else ()), **options)


def build_dataset(component: Component, options: Mapping[str, Any]) -> DatasetBundle:
    """Build a dataset with resolved options and check that it is a non-empty DatasetBundle."""
    data = construct(component, **options)
    if not isinstance(data, DatasetBundle):
        raise GantoolError(f"dataset {component.name!r} returned {type(data).__name__}, not a DatasetBundle; "
                           f"report this to the authors of {component.plugin.package}")
    if len(data) == 0:
        raise GantoolError(f"dataset {component.name!r} is empty: check its options with gantool describe "
                           f"{component.name}")
    return data


def warn_left_out(data: DatasetBundle, name: str) -> None:
    """One warning line when the dataset left files out (its report says which), so a run never hides it."""
    report = data.report
    if report is not None and report.skipped_count:
        warnings.warn(GantoolWarning(f"dataset {name!r} left out {report.skipped_count} of {report.files} files "
                                     f"({report.skipped_summary()}); gantool check-data --dataset {name} with the "
                                     "same --set data.* options lists them"), stacklevel=2)


def build_parts(
    registry: Registry,
    *,
    gen: str,
    disc: str | None,
    loss: str,
    dataset: str,
    options: Mapping[str, Mapping[str, Any]],
    augment: str | None = None,
    unconditional: bool = False,
    given: Collection[str] = (),
) -> Parts:
    """Resolve and construct G, D, loss, data (and the augmentation, if any), checking every option before
    building anything heavy. With `gen` "auto" the data's labels pick a recipe (gantool.recipes): its generator,
    and its loss, augmentation and part options wherever the settings named in `given` do not say otherwise.
    `unconditional` drops the data's labels first, so the parts are built as for unlabelled data."""
    automatic = gen == AUTO_GENERATOR
    names = {"loss": loss, "data": dataset, "aug": augment}
    if automatic:  # a recipe may still choose the loss and augmentation the user did not name
        names = {prefix: name for prefix, name in names.items() if prefix == "data" or _named(prefix, given)}
    else:
        names |= {"gen": gen, "disc": disc or gen}
    components = _components(registry, names)
    resolved = _resolved(components, options)  # every option known so far is checked before the data is read
    data = build_dataset(components["data"], resolved["data"])
    if unconditional:
        data = without_labels(data)
    recipe = None
    if automatic:  # the parts are chosen now that the data's labels are known
        recipe = recipe_for(data.spec)
        gen, picked = recipe.gen, {"gen"} | ({"disc"} if disc is None else set())
        if recipe.loss and not _named("loss", given):
            loss = recipe.loss
            picked.add("loss")
        if recipe.augment and not _named("aug", given):
            augment = recipe.augment
            picked.add("aug")
        options = with_recipe_options(recipe, options, picked)
        chosen = {"gen": gen, "disc": disc or gen, "loss": loss, "aug": augment}
        fresh = _components(registry, {prefix: name for prefix, name in chosen.items() if prefix not in components})
        components, resolved = components | fresh, resolved | _resolved(fresh, options)
    if augment is None and options.get("aug"):
        first = next(iter(options["aug"]))
        raise GantoolError(f"--set aug.{first} was given without --augment; name an augmentation (e.g. --augment "
                           "diffaugment) or drop the aug.* settings")
    components = {prefix: components[prefix] for prefix in PREFIXES if prefix in components}  # the table's order
    resolved = {prefix: resolved[prefix] for prefix in components}
    built = {prefix: build_part(component, resolved[prefix], data.spec)
             for prefix, component in components.items() if prefix != "data"}
    check_labels(built["gen"], built["disc"], data.spec, gen, disc or gen, dataset)
    try:
        check_fit(built["gen"], built["disc"], data.spec, gen, disc or gen)
    except Exception as exc:  # a third-party network's own bug: name its package instead of gantool's
        culprit = None if isinstance(exc, GantoolError) else plugin_at_fault(components.values(), exc)
        if culprit is None:
            raise
        raise plugin_failure(culprit, exc, "on a two-image batch before training") from None
    return Parts(built["gen"], built["disc"], built["loss"], data, components, resolved, built.get("aug"), recipe)


def without_labels(data: DatasetBundle) -> DatasetBundle:
    """The same images seen as unlabelled data: no classes in the spec, no labels to batch."""
    return dataclasses.replace(data, spec=dataclasses.replace(data.spec, num_classes=0), labels=None)


def _named(prefix: str, given: Collection[str]) -> bool:
    """Whether the user named the part of this --set prefix (loss: --loss, aug: --augment)."""
    return {"loss": "loss", "aug": "augment"}[prefix] in given


def _components(registry: Registry, names: Mapping[str, str | None]) -> dict[str, Component]:
    """The named parts by --set prefix, each resolved through the registry (parts not asked for are left out)."""
    return {prefix: registry.get(BY_PREFIX[prefix].name, name) for prefix, name in names.items() if name}


def _resolved(components: Mapping[str, Component], options: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Each part's options, checked against its factory's signature."""
    return {prefix: resolve_options(c.factory, options.get(prefix, {}), prefix) for prefix, c in components.items()}


def check_labels(generator: Any, discriminator: Any, spec: DataSpec, gen_name: str, disc_name: str,
                 dataset: str) -> None:
    """A conditional G or D needs labelled data with as many classes as it was built for."""
    for role, name, net in (("generator", gen_name, generator), ("discriminator", disc_name, discriminator)):
        classes = getattr(net, "num_classes", 0)
        if classes and not spec.num_classes:
            raise GantoolError(f"{role} {name!r} is conditional ({classes} classes) but dataset {dataset!r} has no "
                               "labels; use a labelled dataset or an unconditional model")
        if classes and classes != spec.num_classes:
            raise GantoolError(f"{role} {name!r} is built for {classes} classes but dataset {dataset!r} has "
                               f"{spec.num_classes}; build it for the data's classes")


def check_fit(generator: Any, discriminator: Any, spec: DataSpec, gen_name: str, disc_name: str) -> None:
    """Run one tiny dummy batch: G's images must match the data, and D must give one logit per image."""
    import torch

    labels = torch.zeros(2, dtype=torch.long) if getattr(generator, "num_classes", 0) else None
    expected = (2, spec.channels, spec.height, spec.width)
    was_training = generator.training, discriminator.training
    generator.train(), discriminator.train()
    try:
        with torch.no_grad():
            images = generator(torch.randn(2, generator.latent_dim), labels)
            if tuple(images.shape) != expected:
                raise GantoolError(f"generator {gen_name!r} makes images shaped {tuple(images.shape)[1:]} but the "
                                   f"data is {expected[1:]} (channels, height, width); pick matching options")
            logits = discriminator(images, labels)
    except GantoolError:
        raise
    except RuntimeError as exc:
        raise GantoolError(f"generator {gen_name!r} and discriminator {disc_name!r} do not fit this data "
                           f"{expected[1:]}: {first_line(exc)}") from None
    finally:
        generator.train(was_training[0]), discriminator.train(was_training[1])
    if tuple(logits.shape) != (2,):
        raise GantoolError(f"discriminator {disc_name!r} returned shape {tuple(logits.shape)} for 2 images; "
                           "the contract is one raw logit per image, shape (N,)")
