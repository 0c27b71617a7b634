"""The limits on the images gantool reads, for training data and `evaluate` alike (docs/guarantees.md).

Each is checked from a file's header before any pixel is decoded or any array allocated, so a file whose header
claims more than it holds (a decompression bomb, a sparse .npy) costs nothing. Torch-free.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

# The pixels `evaluate` holds at once, as uint8: what the training path keeps in memory by default (image-folder's
# memory_mb, 2048); training streams a larger set batch by batch, evaluate measures a seeded choice of fewer.
MAX_HELD_BYTES = 2048 * 2**20


def pixel_limit() -> int:
    """Pixels one image may have: Pillow's decompression-bomb limit (89,478,485 unless an application changed it)."""
    from PIL import Image

    return Image.MAX_IMAGE_PIXELS or 2**63


def over_pixel_limit(width: int, height: int) -> bool:
    """Whether an image of this size is refused (Pillow itself only warns between 1x and 2x its limit)."""
    return width * height > pixel_limit()


@contextlib.contextmanager
def bomb_warnings_silenced() -> Iterator[None]:
    """Silence Pillow's warning about images over its pixel limit: callers refuse them with `over_pixel_limit`.

    Warning filters are process-wide and `catch_warnings` is not thread-safe, so enter this in the thread
    that starts any decoding threads, never inside them.
    """
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield
