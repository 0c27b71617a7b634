"""The built-in `tensorboard` tracker (the optional `tensorboard` extra), under `RUN/tensorboard/`: the logged
metrics and evaluations as scalars, the fixed-noise sample grids as images, and the run's settings as hparams.
`--track tensorboard`, or its alias `--tensorboard`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gantool.errors import GantoolError
from gantool.storage.rundir import RunDir

# metrics.jsonl name -> TensorBoard tag
TAGS = {"d_loss": "loss/d_total", "d_real": "loss/d_real", "d_fake": "loss/d_fake", "g_loss": "loss/g",
        "d_x": "d_output/real", "d_g_z": "d_output/fake", "images_per_s": "speed/images_per_s",
        "frechet_distance": "eval/frechet_distance", "classifier_score": "eval/classifier_score",
        "label_accuracy": "eval/label_accuracy", "aug_p": "augment/p", "aug_rt": "augment/r_t"}


def require_tensorboard() -> None:
    """Fail in one line, before a run starts, when the tensorboard extra is missing."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise GantoolError("the tensorboard tracker (--track tensorboard, or --tensorboard) needs the tensorboard "
                           "package: pip install 'gantool[tensorboard]' (or leave it out)") from None


def hparams_of(config: Mapping[str, Any]) -> dict[str, Any]:
    """The run's settings and its parts' resolved options (as gen.depth, ...) from its config.toml record, for
    TensorBoard's hparams."""
    settings = {key: value for key, value in config.items() if key not in ("options", "plugins")}
    options = {f"{kind}.{key}": value for kind, values in config.get("options", {}).items()
               for key, value in values.items()}
    return settings | options


SAMPLES_TAG = "samples/fixed_noise"
# the scalars the hparams view shows beside each run's settings
HPARAM_METRICS = ("loss/d_total", "loss/g", "eval/frechet_distance")


class TensorBoardLog:
    """A tracker that writes logged metrics, sample grids and the run's settings under RUN/tensorboard/."""

    def __init__(self) -> None:
        require_tensorboard()
        self.writer: Any = None

    def start(self, run: Path, config: Mapping[str, Any]) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(RunDir(run).tensorboard))
        self.write_hparams(hparams_of(config))

    def log_metrics(self, step: int, values: Mapping[str, float]) -> None:
        for key, tag in TAGS.items():
            if key in values:
                self.writer.add_scalar(tag, values[key], step)

    def log_evaluation(self, step: int, values: Mapping[str, float], protocol: Mapping[str, Any]) -> None:
        self.log_metrics(step, values)

    def log_samples(self, step: int, grid: Path) -> None:
        """The sample grid PNG just written for `step`, as the image TensorBoard shows at that step."""
        import numpy as np
        from PIL import Image

        with Image.open(grid) as image:
            pixels = np.asarray(image.convert("RGB"))
        self.writer.add_image(SAMPLES_TAG, pixels, step, dataformats="HWC")

    def log_export(self, export: Path) -> None:
        """The export stays in the run folder, beside tensorboard/: nothing to copy."""

    def write_hparams(self, hparams: Mapping[str, Any]) -> None:
        """The run's settings in the hparams view, in the same run as its scalars (numbers, text and switches as
        they are; lists as text)."""
        from torch.utils.tensorboard.summary import hparams as hparams_summaries

        plain = {key: value if isinstance(value, int | float | str | bool) else str(value)
                 for key, value in hparams.items() if value is not None}
        for summary in hparams_summaries(plain, dict.fromkeys(HPARAM_METRICS, 0.0)):
            self.writer.file_writer.add_summary(summary)

    def end(self, state: str) -> None:
        if self.writer is not None:
            self.writer.close()
