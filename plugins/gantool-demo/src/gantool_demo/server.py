"""Serve the demo page: load the generator, check the port, then run Gradio on the local host only."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

from gantool.errors import GantoolError

# Set before Gradio is imported: no usage statistics, no version check, no Hugging Face telemetry.
OFFLINE = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1"}


def check_port(host: str, port: int) -> None:
    """Fail with the fix when another program holds the port (before Gradio's slow start)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: a closed demo's port is free
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise GantoolError(f"cannot serve on {host}:{port} ({exc.strerror}); choose another --port") from None


def serve(path: str | os.PathLike[str], *, port: int, device: str, host: str) -> None:
    """Load the generator at `path`, serve its page on host:port and block until Ctrl-C."""
    import gantool
    from gantool.consoles import out_console

    loaded = gantool.load(path, device=device)  # a wrong path fails here, in a moment, with gantool's one line
    check_port(host, port)
    os.environ.update(OFFLINE)
    try:
        from gantool_demo.page import build_page, launch_page
    except ImportError as exc:
        raise GantoolError(
            f"gantool demo cannot import Gradio ({exc}); reinstall the plugin: pip install ./plugins/gantool-demo"
        ) from None
    with tempfile.TemporaryDirectory(prefix="gantool-demo-") as folder:
        source = Path(path).resolve()
        title = source.name if source.is_dir() else source.parent.name  # a run's or an export's folder
        page = build_page(loaded, title, Path(folder))
        try:
            launch_page(page, host, port)
        except OSError as exc:  # taken between the check and the start
            raise GantoolError(f"cannot serve on {host}:{port} ({exc}); choose another --port") from None
        out_console.print(f"gantool demo of {path}: http://{host}:{port}  (Ctrl-C stops it)", highlight=False)
        page.block_thread()
