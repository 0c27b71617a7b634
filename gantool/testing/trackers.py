"""The tracker contract (gantool.interfaces.Tracker): every method there, a whole tiny run taken, no run file
changed."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gantool.storage.rundir import CONFIG, EXPORT
from gantool.testing.common import fail, name_of, resolved

TRACKER_METHODS = ("start", "log_metrics", "log_samples", "log_evaluation", "log_export", "end")


def check_tracker(factory: Callable[..., Any], options: Mapping[str, Any] | None = None) -> Any:
    """Build a tracker and feed it a whole tiny run in a temporary folder, as `gantool train --track` does: every
    method of gantool.interfaces.Tracker must exist and take the run's events, and none may change the run's files."""
    from PIL import Image

    what = f"tracker {name_of(factory)}"
    tracker = factory(**resolved(factory, options))
    missing = [name for name in TRACKER_METHODS if not callable(getattr(tracker, name, None))]
    if missing:
        fail(f"{what} built {type(tracker).__name__}, which lacks {', '.join(missing)}; see "
             "gantool.interfaces.Tracker")
    with tempfile.TemporaryDirectory(prefix="gantool-tracker-") as folder:
        run = Path(folder) / "run"
        (run / "samples").mkdir(parents=True)
        config = {"gen": "dcgan", "loss": "bce", "dataset": "digits", "lr_g": 0.0012, "betas_g": [0.5, 0.999],
                  "options": {"gen": {"depth": 8}}, "plugins": {"gen": {"name": "builtins:dcgan"}}}
        (run / CONFIG).write_text('gen = "dcgan"\n')
        grid = run / "samples" / "step-0000002.png"
        Image.new("RGB", (10, 10), (255, 0, 0)).save(grid)
        export = run / EXPORT
        export.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
        before = {path: path.read_bytes() for path in run.rglob("*") if path.is_file()}
        tracker.start(run, config)
        tracker.log_metrics(1, {"d_loss": 1.3, "g_loss": 0.7, "images_per_s": 100.0})
        tracker.log_samples(2, grid)
        tracker.log_evaluation(2, {"frechet_distance": 120.5}, {"samples": 32, "extractor": "test"})
        tracker.log_export(export)
        tracker.end("finished")
        changed = [str(path.relative_to(run)) for path, data in before.items()
                   if not path.is_file() or path.read_bytes() != data]
        if changed:
            fail(f"{what} changed the run's files {changed}; a tracker only reads them")
    return tracker
