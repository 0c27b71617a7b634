"""What `--gen auto` (the default) trains: a recipe of parts and settings chosen by measurement for the data's kind.

Labelled data gets the conditional recipe, unlabelled data (or `--unconditional`) the unconditional one. A recipe
only fills what the user left unset: a part, a part option or a training setting given on the command line, in
a config file or to `gantool.train()` always wins. docs/evaluation.md has the measurements behind each recipe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gantool.interfaces import DataSpec


@dataclass(frozen=True)
class Recipe:
    """Parts (generator, loss, augmentation), their options by --set prefix, and TrainConfig settings."""

    name: str
    gen: str
    loss: str | None = None
    augment: str | None = None
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


# cgan + BCE with the trainer's defaults: Fréchet 5.45 over three seeds on mnist5k (docs/evaluation.md).
CONDITIONAL = Recipe("conditional", gen="cgan")
# The best of the variants measured on mnist5k with --unconditional (docs/evaluation.md, "The unconditional
# recipe"): R3GAN-shaped residual nets with rpgan, R1 and R2 every 4th step to keep the step cheaper, Adam betas
# (0, 0.99) as R3GAN trains, and 40 epochs: Fréchet 10.6 over three seeds, against 25.5 at 20 epochs with betas
# (0.5, 0.999) and 55.5 for dcgan + bce.
UNCONDITIONAL = Recipe("unconditional", gen="resnet", loss="rpgan",
                       options={"gen": {"width": 32}, "disc": {"width": 32}, "loss": {"every": 4}},
                       settings={"epochs": 40, "betas_g": [0.0, 0.99], "betas_d": [0.0, 0.99]})
# Colour 28x28 (Stacked MNIST): dcgan with rpgan covered all 1,000 modes at KL 0.09.
UNCONDITIONAL_COLOUR_28 = Recipe("unconditional, colour 28x28", gen="dcgan", loss="rpgan")
# Everything else: dcgan + bce as before; the resnet recipe collapsed on 64x64 colour images within 200 steps.
UNCONDITIONAL_OTHER = Recipe("unconditional, other shapes", gen="dcgan")
RECIPES = (CONDITIONAL, UNCONDITIONAL, UNCONDITIONAL_COLOUR_28, UNCONDITIONAL_OTHER)


def recipe_for(spec: DataSpec) -> Recipe:
    """The recipe for data of this shape and labels: each unconditional one only where it was measured."""
    if spec.num_classes:
        return CONDITIONAL
    if (spec.height, spec.width) != (28, 28):
        return UNCONDITIONAL_OTHER
    return UNCONDITIONAL if spec.channels == 1 else UNCONDITIONAL_COLOUR_28


def with_recipe_options(recipe: Recipe, given: Mapping[str, Mapping[str, Any]],
                        chosen: set[str]) -> dict[str, dict[str, Any]]:
    """Part options: the recipe's for the parts it chose (by --set prefix), each overridden by the user's."""
    merged = {kind: dict(values) for kind, values in recipe.options.items() if kind in chosen}
    for kind, values in given.items():
        merged.setdefault(kind, {}).update(values)
    return merged
