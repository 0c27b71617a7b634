"""The demo page: samples by seed (one row per class for a conditional generator), a latent walk, provenance.

Every image the page shows is a PNG written by gantool, so what a visitor downloads is what `gantool generate`
and `gantool interpolate` write for the same seeds.
"""

from __future__ import annotations

from pathlib import Path

import gantool
import gradio as gr
from gantool.images import grid_labels

from gantool_demo.provenance import describe_spec, provenance_markdown

ALL_CLASSES = -1
MAX_SEED = 2**31 - 1
MAX_COUNT = 64
MAX_STEPS = 32
WALK_STEPS = 10
# The images are small (28x28 for MNIST): enlarge them to the frame, keeping their pixels sharp.
CSS = ".pixels img { width: 100%; height: 100%; object-fit: contain; image-rendering: pixelated; }"


def whole(value: float | None, name: str, low: int, high: int) -> int:
    """An input as a whole number within bounds, or a message the page shows: Gradio checks the bounds of numbers
    and sliders, but lets an emptied box (None) and a fraction on a slider through."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not (number.is_integer() and low <= number <= high):
        raise gr.Error(f"{name} must be a whole number from {low} to {high}; got {value}")
    return int(number)


class Sampler:
    """The page's actions on one loaded generator; each writes the PNG it shows into `folder`."""

    def __init__(self, loaded: gantool.LoadedGenerator, folder: Path) -> None:
        self.loaded, self.folder = loaded, folder

    def label(self, value: float | None, *, every: bool) -> int | None:
        """The class a conditional generator draws (ALL_CLASSES when `every` allows it); None when unconditional."""
        classes = self.loaded.num_classes
        if not classes:
            return None
        if every and value == ALL_CLASSES:
            return ALL_CLASSES
        return whole(value, "class", 0, classes - 1)

    def samples(self, seed: float, count: float, label: float | None) -> tuple[str, str]:
        """A grid of `count` images from `seed` (per class, a row each, for every class): the PNG twice, to show
        and to download."""
        seed_, count_ = whole(seed, "seed", 0, MAX_SEED), whole(count, "count", 1, MAX_COUNT)
        label_ = self.label(label, every=True)
        if label_ == ALL_CLASSES:  # every row the same noise, so the rows differ by their class alone
            classes = self.loaded.num_classes
            noise = self.loaded.noise(count_, seed_).repeat(classes, 1)
            images = self.loaded.generate(noise, grid_labels(classes, count_))
            name, nrow = f"samples-seed{seed_}-{count_}-per-class.png", count_
        else:
            images = self.loaded.sample(count_, seed=seed_, labels=label_)
            name, nrow = f"samples-seed{seed_}-{count_}{'' if label_ is None else f'-class{label_}'}.png", None
        path = self.folder / name
        gantool.to_grid(images, nrow=nrow).save(path)
        return str(path), str(path)

    def walk(
        self, seed_a: float, seed_b: float, steps: float, mode: str, label: float | None, position: float
    ) -> tuple[str, str]:
        """The images along the path between two seeds as one strip, and the one at the slider's position."""
        seed_a_, seed_b_ = whole(seed_a, "seed A", 0, MAX_SEED), whole(seed_b, "seed B", 0, MAX_SEED)
        steps_ = whole(steps, "steps", 2, MAX_STEPS)
        position_ = whole(position, "position", 0, steps_ - 1)
        label_ = self.label(label, every=False)
        images = self.loaded.interpolate(seed_a_, seed_b_, steps_, mode=mode, label=label_)
        stem = f"walk-{seed_a_}-{seed_b_}-{steps_}-{mode}{'' if label_ is None else f'-class{label_}'}"
        strip, frame = self.folder / f"{stem}.png", self.folder / f"{stem}-at{position_}.png"
        gantool.to_grid(images, nrow=steps_).save(strip)
        gantool.to_pil(images[position_ : position_ + 1])[0].save(frame)
        return str(strip), str(frame)


def build_page(loaded: gantool.LoadedGenerator, title: str, folder: Path) -> gr.Blocks:
    """The Gradio page for `loaded`; its PNGs go to `folder`. Endpoints: /samples and /walk."""
    sampler, classes = Sampler(loaded, folder), loaded.num_classes
    every = [("every class, one row each", ALL_CLASSES)]
    choices = [(f"class {index}", index) for index in range(classes)]
    with gr.Blocks(title=f"gantool demo: {title}", analytics_enabled=False) as page:
        trained = "" if loaded.info.get("steps") is None else f", after {loaded.info['steps']} steps"
        gr.Markdown(
            f"# {title}\n{loaded.info.get('architecture')} generator, "
            f"{describe_spec(loaded.info.get('spec') or {})}{trained}"
        )
        with gr.Tab("Samples"):
            with gr.Row():
                seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=MAX_SEED, elem_id="seed")
                count = gr.Slider(
                    1,
                    MAX_COUNT,
                    value=8 if classes else 16,
                    step=1,
                    elem_id="count",
                    label="Images per class" if classes else "Images",
                )
                label = gr.Dropdown(
                    every + choices, value=ALL_CLASSES, label="Class", visible=bool(classes), elem_id="class"
                )
            generate = gr.Button("Generate", variant="primary", elem_id="generate")
            grid = pixel_image("Samples", "samples", height=480)
            download = gr.DownloadButton("Download PNG", elem_id="download")
            generate.click(sampler.samples, [seed, count, label], [grid, download], api_name="samples")
        with gr.Tab("Latent walk"):
            with gr.Row():
                seed_a = gr.Number(0, label="Seed A", precision=0, minimum=0, maximum=MAX_SEED, elem_id="seed-a")
                seed_b = gr.Number(1, label="Seed B", precision=0, minimum=0, maximum=MAX_SEED, elem_id="seed-b")
                steps = gr.Slider(2, MAX_STEPS, value=WALK_STEPS, step=1, label="Steps", elem_id="steps")
                mode = gr.Radio(["slerp", "lerp"], value="slerp", label="Path")
                walk_label = gr.Dropdown(choices, value=0 if classes else None, label="Class", visible=bool(classes))
            position = gr.Slider(
                0, WALK_STEPS - 1, value=0, step=1, label="Position along the path (0 is seed A)", elem_id="position"
            )
            walk = gr.Button("Walk", variant="primary", elem_id="walk")
            with gr.Row():
                frame = pixel_image("At the position", "frame", height=240, scale=1)
                strip = pixel_image("The path", "strip", height=240, scale=3)
            inputs = [seed_a, seed_b, steps, mode, walk_label, position]
            steps.change(
                lambda n, at: gr.Slider(maximum=n - 1, value=min(at, n - 1)),
                [steps, position],
                position,
                api_visibility="private",
            )
            walk.click(sampler.walk, inputs, [strip, frame], api_name="walk")
            position.change(sampler.walk, inputs, [strip, frame], api_visibility="private", trigger_mode="always_last")
        with gr.Tab("Provenance"):
            gr.Markdown(provenance_markdown(loaded.info), elem_id="provenance")
        page.load(sampler.samples, [seed, count, label], [grid, download], api_visibility="private")
        page.load(sampler.walk, inputs, [strip, frame], api_visibility="private")
    return page


def pixel_image(label: str, elem_id: str, **size: int) -> gr.Image:
    """An output image of generated pixels (a PNG file, enlarged without smoothing), downloadable."""
    return gr.Image(label=label, type="filepath", format="png", interactive=False, elem_classes="pixels",
                    elem_id=elem_id, buttons=["download", "fullscreen"], **size)


def launch_page(page: gr.Blocks, host: str, port: int) -> None:
    """Start serving without blocking: local only unless `host` says otherwise, no share link, no remote
    resources (no server-side rendering through Node, no MCP server, no install-as-app manifest)."""
    page.launch(
        server_name=host,
        server_port=port,
        share=False,
        inbrowser=False,
        quiet=True,
        show_error=True,
        prevent_thread_lock=True,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        footer_links=["api"],
        css=CSS,
        theme=gr.themes.Default(),
    )
