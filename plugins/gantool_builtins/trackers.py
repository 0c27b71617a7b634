"""The built-in experiment tracker: TensorBoard (`--track tensorboard`, or its alias `--tensorboard`)."""

from collections.abc import Callable
from typing import Any


def tensorboard() -> Any:
    """TensorBoard under RUN/tensorboard/: metrics and evaluations as scalars, sample grids as images, the run's
    settings as hparams (needs gantool[tensorboard])."""
    from gantool.storage.tensorboard_log import TensorBoardLog

    return TensorBoardLog()


TRACKERS: dict[str, Callable[..., Any]] = {"tensorboard": tensorboard}
