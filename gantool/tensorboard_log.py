"""TensorBoard scalars of a run (the optional `tensorboard` extra), under `RUN/tensorboard/`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gantool.errors import GantoolError
from gantool.rundir import RunDir

# metrics.jsonl name -> TensorBoard tag
TAGS = {"d_loss": "loss/d_total", "d_real": "loss/d_real", "d_fake": "loss/d_fake", "g_loss": "loss/g",
        "d_x": "d_output/real", "d_g_z": "d_output/fake", "images_per_s": "speed/images_per_s",
        "frechet_distance": "eval/frechet_distance", "classifier_score": "eval/classifier_score",
        "label_accuracy": "eval/label_accuracy"}


def require_tensorboard() -> None:
    """Fail in one line, before a run starts, when the tensorboard extra is missing."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise GantoolError("--tensorboard needs the tensorboard package: pip install 'gantool[tensorboard]' "
                           "(or leave --tensorboard out)") from None


class TensorBoardLog:
    """Writes logged metrics as scalars under RUN/tensorboard/."""

    def __init__(self, run_dir: Path) -> None:
        require_tensorboard()
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(RunDir(run_dir).tensorboard))

    def write(self, step: int, values: Mapping[str, float]) -> None:
        for key, tag in TAGS.items():
            if key in values:
                self.writer.add_scalar(tag, values[key], step)

    def close(self) -> None:
        self.writer.close()
