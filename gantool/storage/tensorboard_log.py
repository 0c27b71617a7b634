"""TensorBoard of a run (the optional `tensorboard` extra), under `RUN/tensorboard/`: the logged metrics as
scalars, the fixed-noise sample grids as images, and the run's settings as hparams."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gantool.errors import GantoolError
from gantool.storage.rundir import RunDir

if TYPE_CHECKING:
    from gantool.assembly import Parts
    from gantool.config import TrainConfig

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
        raise GantoolError("--tensorboard needs the tensorboard package: pip install 'gantool[tensorboard]' "
                           "(or leave --tensorboard out)") from None


def hparams_of(config: TrainConfig, parts: Parts) -> dict[str, Any]:
    """The run's settings and its parts' resolved options (as gen.depth, ...), for TensorBoard's hparams."""
    settings = {key: value for key, value in config.to_toml_dict().items() if key != "options"}
    options = {f"{kind}.{key}": value for kind, values in parts.options_config().items()
               for key, value in values.items()}
    return settings | options


SAMPLES_TAG = "samples/fixed_noise"
# the scalars the hparams view shows beside each run's settings
HPARAM_METRICS = ("loss/d_total", "loss/g", "eval/frechet_distance")


class TensorBoardLog:
    """Writes logged metrics, sample grids and the run's settings under RUN/tensorboard/."""

    def __init__(self, run_dir: Path, hparams: Mapping[str, Any] | None = None) -> None:
        require_tensorboard()
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(RunDir(run_dir).tensorboard))
        if hparams:
            self.write_hparams(hparams)

    def write(self, step: int, values: Mapping[str, float]) -> None:
        for key, tag in TAGS.items():
            if key in values:
                self.writer.add_scalar(tag, values[key], step)

    def write_grid(self, step: int, grid: Path) -> None:
        """The sample grid PNG just written for `step`, as the image TensorBoard shows at that step."""
        import numpy as np
        from PIL import Image

        with Image.open(grid) as image:
            pixels = np.asarray(image.convert("RGB"))
        self.writer.add_image(SAMPLES_TAG, pixels, step, dataformats="HWC")

    def write_hparams(self, hparams: Mapping[str, Any]) -> None:
        """The run's settings in the hparams view, in the same run as its scalars (numbers, text and switches as
        they are; lists as text)."""
        from torch.utils.tensorboard.summary import hparams as hparams_summaries

        plain = {key: value if isinstance(value, int | float | str | bool) else str(value)
                 for key, value in hparams.items() if value is not None}
        for summary in hparams_summaries(plain, dict.fromkeys(HPARAM_METRICS, 0.0)):
            self.writer.file_writer.add_summary(summary)

    def close(self) -> None:
        self.writer.close()
