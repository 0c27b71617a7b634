"""Pictures of a run drawn with Pillow alone (no plotting library): a loss-curve PNG and a GIF of the grids."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from gantool.storage.checkpoint import RESUME_ADVICE, atomic_write_bytes
from gantool.storage.rundir import RunDir

CURVES = (("d_loss", "D loss", (200, 60, 40)), ("g_loss", "G loss", (40, 90, 200)))
MAX_FRAMES = 120


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    span = (high - low) or 1.0
    raw = span / count
    unit = 10 ** math.floor(math.log10(raw))
    step = min((m * unit for m in (1, 2, 2.5, 5, 10) if m * unit >= raw), default=10 * unit)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def plot_losses(records: Sequence[Mapping[str, float]], path: Path, *, size: tuple[int, int] = (720, 420)) -> Path:
    """Draw D and G loss against the step as a PNG; returns `path`."""
    width, height = size
    left, right, top, bottom = 64, 16, 28, 44
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    steps = [float(r["step"]) for r in records]
    values = [float(r[key]) for r in records for key, _, _ in CURVES if math.isfinite(float(r.get(key, math.nan)))]
    x_low, x_high = (min(steps), max(steps)) if steps else (0.0, 1.0)
    y_low, y_high = (min(values), max(values)) if values else (0.0, 1.0)
    if x_high == x_low:
        x_high = x_low + 1
    pad = (y_high - y_low) * 0.05 or 0.5
    y_low, y_high = y_low - pad, y_high + pad

    def at(step: float, value: float) -> tuple[float, float]:
        x = left + (step - x_low) / (x_high - x_low) * (width - left - right)
        y = top + (y_high - value) / (y_high - y_low) * (height - top - bottom)
        return x, y

    draw.rectangle((left, top, width - right, height - bottom), outline=(90, 90, 90))
    for value in _ticks(y_low, y_high):
        _, y = at(x_low, value)
        draw.line((left - 4, y, width - right, y), fill=(225, 225, 225))
        draw.text((left - 8, y), f"{value:.3g}", fill="black", font=font, anchor="rm")
    for step in _ticks(x_low, x_high):
        x, _ = at(step, y_low)
        draw.line((x, height - bottom, x, height - bottom + 4), fill=(90, 90, 90))
        draw.text((x, height - bottom + 8), f"{step:.0f}", fill="black", font=font, anchor="mt")
    draw.text(((left + width - right) / 2, height - 12), "step", fill="black", font=font, anchor="mm")
    for index, (key, label, color) in enumerate(CURVES):
        points = [at(float(r["step"]), float(r[key])) for r in records if math.isfinite(float(r.get(key, math.nan)))]
        if len(points) > 1:
            draw.line(points, fill=color, width=2)
        elif points:
            x, y = points[0]
            draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=color)
        legend_x = width - right - 160 + index * 80
        draw.line((legend_x, 14, legend_x + 18, 14), fill=color, width=3)
        draw.text((legend_x + 22, 14), label, fill="black", font=font, anchor="lm")
    draw.text((left, 14), "losses", fill="black", font=font, anchor="lm")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


def grids_to_gif(frames: Sequence[Path], path: Path, *, frame_ms: int = 200, hold_last_ms: int = 1500) -> Path | None:
    """Animate sample grids in order (at most MAX_FRAMES, evenly picked, the last kept); None without frames."""
    if not frames:
        return None
    if len(frames) > MAX_FRAMES:
        stride = len(frames) / MAX_FRAMES
        frames = [frames[int(i * stride)] for i in range(MAX_FRAMES - 1)] + [frames[-1]]
    images = []
    for frame in frames:
        with Image.open(frame) as opened:
            images.append(opened.convert("RGB").quantize(colors=256))
    return save_gif(images, path, [frame_ms] * (len(images) - 1) + [hold_last_ms])


def save_gif(frames: Sequence[Image.Image], path: Path, durations: int | list[int], *,
             advice: str = RESUME_ADVICE) -> Path:
    """Frames as an endlessly looping animated GIF (milliseconds per frame, or one for each), written atomically;
    `advice` ends the error line of a failed write."""
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=list(frames[1:]), duration=durations, loop=0)
    atomic_write_bytes(path, buffer.getvalue(), advice=advice)
    return path


def draw_run_pictures(run: RunDir) -> None:
    """A run's loss curves from its metrics.jsonl (lines a cut-short write left are passed over), and its step
    grids as an animation."""
    records, _ = run.metric_records()
    plot_losses([r for r in records if "step" in r and "d_loss" in r], run.loss_plot)
    grids_to_gif(run.sample_grids(), run.samples_gif)
