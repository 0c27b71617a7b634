"""gantool-demo: `gantool demo RUN`, a local web page to sample, walk and download a trained generator.

This module is imported with the plugin's hooks by every gantool command, so it stays light: Gradio and
torch are imported only when a page is served.
"""

from __future__ import annotations

import os

LOCAL_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def launch(
    path: str | os.PathLike[str], port: int = DEFAULT_PORT, *, device: str = "cpu", host: str = LOCAL_HOST
) -> None:
    """Serve the demo page of a run, its export or an exported folder until Ctrl-C (what `gantool demo` runs).

    `host` stays 127.0.0.1 unless a hosting service needs the page on its own network (e.g. "0.0.0.0" in a
    container); the page never makes a share link and fetches nothing from the internet."""
    from gantool_demo.server import serve

    serve(path, port=port, device=device, host=host)
