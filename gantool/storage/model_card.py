"""The text files of an exported folder: the model card (README.md, as a model hub shows it) and app.py.

Both are written from config.json's record alone, so the card always describes the files beside it. Every value
from the run goes through gantool.storage.markdown (shown as text, never as markup), and the folder's name into
the card's snippets as a Python string literal or a shell word, so a copied snippet does what it says. Torch-free.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from gantool.storage.export_folder import APP, CARD, CONFIG, GRID, MODEL
from gantool.storage.markdown import code, number, python_string, text

# The settings a reader needs to judge how a generator was trained, in the card's order.
TRAINING_ROWS = (
    "gen",
    "disc",
    "loss",
    "dataset",
    "augment",
    "epochs",
    "max_steps",
    "batch_size",
    "lr_g",
    "lr_d",
    "betas_g",
    "betas_d",
    "d_steps",
    "g_steps",
    "update",
    "ema",
    "noise",
    "precision",
    "seed",
)
MEASURES = (
    ("frechet_distance", "Fréchet distance (lower is better)"),
    ("kid", "KID (lower is better)"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("classifier_score", "classifier score"),
    ("classes_covered", "classes covered"),
    ("label_accuracy", "label accuracy"),
)


def model_card(config: dict[str, Any], name: str) -> str:
    """README.md of an exported folder named `name`: what the model is, how it was trained and measured, its
    samples, and how to load, demo and upload it."""
    spec, plugin = config["spec"], config.get("plugin") or {}
    conditional = bool(config["model"].get("conditional"))
    shape = text(f"{spec['channels']}x{spec['height']}x{spec['width']}")
    what = f"conditioned on {text(spec['num_classes'])} classes" if conditional else "unconditional"
    tag = "" if conditional else "pipeline_tag: unconditional-image-generation\n"
    return "\n".join(
        [
            f"---\nlibrary_name: gantool\n{tag}tags:\n- gan\n- gantool\n- pytorch\n---\n",
            f"# {text(name)}: {text(config['architecture'])} GAN generator, {text(config['dataset'])}\n",
            f"A generative adversarial network's generator ({what}) that turns {text(config['model']['latent_dim'])} "
            f"{text(config['noise'])} noise values into {shape} images (channels x height x width) in [-1, 1]. "
            f"Architecture {code(config['architecture'])} from the plugin package {code(plugin.get('package'))} "
            f"{text(plugin.get('version'))}, trained with gantool {text(config.get('gantool'))} for "
            f"{text(config.get('steps'))} steps"
            + (f" (weights: the exponential moving average, decay {number(config['ema'])})." if config.get("ema")
               else "."),
            "\n## How it was trained\n",
            _training_table(config),
            "\n## Evaluation\n",
            _evaluation(config, name),
            "\n## Samples\n",
            f"![samples]({GRID})\n\n"
            + (
                "One row per class, 8 samples each, drawn with seed 0."
                if conditional
                else "64 samples drawn with seed 0."
            ),
            "\n## Use it\n",
            _usage(config, conditional, name),
            "\n## Files\n",
            f"- `{MODEL}`: the weights (safetensors, with gantool's metadata; no pickle)\n"
            f"- `{CONFIG}`: architecture, options, data spec, noise, training settings, evaluation and the model's "
            "sha256\n"
            f"- `{GRID}`: the sample grid above\n"
            f"- `{APP}`: starts the interactive demo\n"
            f"- `{CARD}`: this card\n",
        ]
    )


def _training_table(config: dict[str, Any]) -> str:
    training = config["training"]
    rows = ["| setting | value |", "| --- | --- |"]
    rows += [f"| {key} | {_cell(training[key])} |" for key in TRAINING_ROWS if training.get(key) is not None]
    rows.append(f"| generator options | {_cell(config['options'])} |")
    if config.get("data_options"):
        rows.append(f"| data options | {_cell(config['data_options'])} |")
    return "\n".join(rows) + "\n\nThe complete record is `training` in config.json (it is the run's config.toml)."


def _evaluation(config: dict[str, Any], name: str) -> str:
    evaluation = config.get("evaluation")
    if not evaluation:
        return (
            f"No evaluation was recorded while training. Measure it with "
            f"{code(f'gantool evaluate {shlex.quote(name)}')} (or {code(f'gantool.evaluate({python_string(name)})')} "
            "in Python)."
        )
    metrics, protocol = evaluation["metrics"], evaluation.get("protocol") or {}
    rows = ["| measure | value |", "| --- | --- |"]
    rows += [f"| {label} | {number(metrics[key])} |" for key, label in MEASURES if metrics.get(key) is not None]
    return (
        "\n".join(rows) + f"\n\nMeasured at step {text(evaluation.get('step'))} on {text(protocol.get('samples'))} "
        f"samples against {text(protocol.get('reference'))}, with features of {text(protocol.get('extractor'))}."
    )


def _usage(config: dict[str, Any], conditional: bool, name: str) -> str:
    package = (config.get("plugin") or {}).get("package") or "gantool"
    install = code("pip install gantool" + ("" if package == "gantool" else f" {shlex.quote(package)}"))
    folder, config_file, model_file = (python_string(f"{name}{tail}") for tail in ("", f"/{CONFIG}", f"/{MODEL}"))
    shell = shlex.quote
    module, _, function = config["model"]["factory"].partition(":")
    labels = f"torch.arange(16) % {config['spec']['num_classes']}" if conditional else "None"
    sample_labels = ", labels=3" if conditional else ""
    return "\n".join(
        [
            f"With gantool ({install}), in Python:\n",
            "```python",
            "import gantool",
            "",
            f"generator = gantool.load({folder})  # this folder",
            f"images = generator.sample(16, seed=0{sample_labels})  # (16, C, H, W) in [-1, 1]; same seed, same images",
            'gantool.to_grid(images).save("samples-16.png")',
            "walk = generator.interpolate(1, 2, steps=8)  # from seed 1's noise to seed 2's",
            "```",
            "\nor on the command line: "
            f"{code(f'gantool generate {shell(name)} --num 16 --seed 0 --out samples-16.png')}.\n",
            f"With plain PyTorch and the plugin that defines the architecture ({install}):\n",
            "```python",
            "import json",
            "",
            "import torch",
            "from safetensors.torch import load_file",
            "",
            "from gantool.interfaces import DataSpec",
            f"from {module} import {function}",
            "",
            f"config = json.load(open({config_file}))",
            f'generator = {function}(DataSpec(**config["spec"]), **config["options"])',
            f"generator.load_state_dict(load_file({model_file}))",
            "generator.eval()",
            "with torch.no_grad():",
            f"    images = generator(torch.randn(16, generator.latent_dim), {labels})  # in [-1, 1]",
            "```",
            f"\n(This draws {text(config['noise'])} noise with torch's own random stream; `gantool.load` draws exactly "
            "what `gantool generate` draws.)\n",
            "An interactive page (a seed, a count, the class, a latent walk) with the gantool-demo plugin: "
            f"{code('python ' + shell(f'{name}/{APP}'))}, or {code(f'gantool demo {shell(name)}')}. It serves on "
            "127.0.0.1 and fetches nothing.\n",
            "To publish the folder on the Hugging Face Hub, use the hub's own command line (gantool never touches the "
            f"network): `hf auth login`, then {code(f'hf upload USER/MODEL {shell(name)} .')} (older versions: "
            f"{code(f'huggingface-cli upload USER/MODEL {shell(name)} .')}).",
        ]
    )


def app_text() -> str:
    """app.py: start the demo of the folder it sits in, through the gantool-demo plugin."""
    return (
        '"""The interactive demo of this generator: python app.py (needs gantool and the gantool-demo plugin)."""\n'
        "\n"
        "import os\n"
        "from pathlib import Path\n"
        "\n"
        "from gantool_demo import launch\n"
        "\n"
        "# 127.0.0.1:7860 unless the host says otherwise, as a hosted Space does through Gradio's own variables.\n"
        'if __name__ == "__main__":\n'
        "    launch(Path(__file__).resolve().parent, port=int(os.environ.get('GRADIO_SERVER_PORT', 7860)),\n"
        "           host=os.environ.get('GRADIO_SERVER_NAME', '127.0.0.1'))\n"
    )


def _cell(value: Any) -> str:
    """A training setting as a table cell: code, lists and tables as JSON."""
    return code(json.dumps(value) if isinstance(value, dict | list) else value, in_table=True)
