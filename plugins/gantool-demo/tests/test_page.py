"""`gantool demo` for real: a served page, called through gradio_client and driven in headless Chromium.

The page serves the folder `gantool export` wrote for a tiny run, so the run's own images (`gantool generate`)
check the whole way from the run through its export to the browser.

The server runs as its own process with a sitecustomize that records every connection it tries to open to a
host other than this machine, so "nothing is fetched from the internet" is checked on both sides of the page.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from conftest import HOSTILE, TINY, run_gantool
from PIL import Image

LOCAL = {"127.0.0.1", "localhost", "::1"}

# Loaded at the server's start: logs each lookup or connection to a non-local host before it happens.
RECORDER = """
import os, socket

_log, _lookup, _connect = os.environ["DEMO_REMOTE_LOG"], socket.getaddrinfo, socket.socket.connect
_local = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "", None}


def _note(host):
    if host not in _local and not str(host).startswith("/"):
        with open(_log, "a") as log:
            log.write(f"{host}\\n")


def getaddrinfo(host, *args, **kwargs):
    _note(host)
    return _lookup(host, *args, **kwargs)


def connect(self, address):
    _note(address[0] if isinstance(address, tuple) else None)
    return _connect(self, address)


socket.getaddrinfo, socket.socket.connect = getaddrinfo, connect
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A running `gantool demo` process and what it wrote."""

    def __init__(self, process: subprocess.Popen[str], url: str, remote_log: Path) -> None:
        self.process, self.url, self.remote_log = process, url, remote_log

    def remote_hosts(self) -> list[str]:
        return self.remote_log.read_text().split() if self.remote_log.exists() else []


@pytest.fixture(scope="module")
def server(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("demo-server")
    (folder / "sitecustomize.py").write_text(RECORDER)
    remote_log, output = folder / "remote-hosts.txt", folder / "output.txt"
    port = free_port()
    env = {
        **os.environ,
        "DEMO_REMOTE_LOG": str(remote_log),
        "GRADIO_TEMP_DIR": str(folder / "gradio"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])),
    }
    with output.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gantool", "demo", str(exported), "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        while url not in output.read_text():  # the command prints its address once the page is served
            assert process.poll() is None, f"gantool demo stopped:\n{output.read_text()}"
            time.sleep(0.2)
        yield Server(process, url, remote_log)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C, as a user stops it
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode in (0, -signal.SIGINT), output.read_text()


def pixels(path: str | Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def grid_shape(rows: int, columns: int, size: int = 28, padding: int = 2) -> tuple[int, int, int]:
    """The shape of a gantool grid (torchvision's layout): `padding` pixels around and between the images."""
    return rows * (size + padding) + padding, columns * (size + padding) + padding, 3


def test_api_samples_a_row_per_class_and_the_same_seed_gives_the_same_png(server, run, tmp_path):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server.url, verbose=False, download_files=str(tmp_path))
    shown, download = client.predict(5, 3, -1, api_name="/samples")  # seed 5, 3 per class, every class
    assert pixels(shown).shape == grid_shape(10, 3)
    assert np.array_equal(pixels(shown), pixels(download))
    again, _ = client.predict(5, 3, -1, api_name="/samples")
    other, _ = client.predict(6, 3, -1, api_name="/samples")
    assert np.array_equal(pixels(shown), pixels(again))
    assert not np.array_equal(pixels(shown), pixels(other))
    # What the page offers for download is what `gantool generate` writes for the same seed.
    result = run_gantool(
        "generate", str(run), "--per-class", "--num", "3", "--seed", "5", "--out", str(tmp_path / "g.png")
    )
    assert result.returncode == 0, result.stderr
    assert np.array_equal(pixels(shown), pixels(tmp_path / "g.png"))
    one_class, _ = client.predict(5, 4, 7, api_name="/samples")
    assert pixels(one_class).shape == grid_shape(2, 2)
    with pytest.raises(AppError, match="seed must be a whole number from 0 to 2147483647; got None"):
        client.predict(None, 4, 7, api_name="/samples")  # the seed box emptied
    with pytest.raises(AppError, match="count must be a whole number from 1 to 64; got 2.5"):
        client.predict(5, 2.5, 7, api_name="/samples")


def test_api_walks_between_two_seeds(server, tmp_path):
    from gradio_client import Client

    client = Client(server.url, verbose=False, download_files=str(tmp_path))
    strip, frame = client.predict(0, 1, 6, "slerp", 3, 0, api_name="/walk")
    assert pixels(strip).shape == grid_shape(1, 6)
    start = pixels(frame)
    assert start.shape == (28, 28, 3)
    assert np.array_equal(start, pixels(strip)[2:30, 2:30])  # position 0 is the strip's first image
    _, end = client.predict(0, 1, 6, "slerp", 3, 5, api_name="/walk")
    assert np.array_equal(pixels(end), pixels(strip)[2:30, -30:-2])
    assert not np.array_equal(start, pixels(end))


def is_remote(url: str) -> bool:
    """A web address on another machine (data: and blob: addresses are the page's own)."""
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in LOCAL


def browser_or_skip() -> str:
    """Chromium from the system (Playwright's own download needs the internet); CI demands it."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright is not installed: pip install playwright (its browser download is not needed)"
    if executable is None:
        reason = "the Chromium browser is not installed: apt-get install chromium (the Debian package)"
    if reason and os.environ.get("GANTOOL_DEMO_REQUIRE_BROWSER"):
        pytest.fail(f"GANTOOL_DEMO_REQUIRE_BROWSER is set but {reason}")
    if reason:
        pytest.skip(reason)
    return executable


def test_page_in_chromium_generates_new_samples_walks_and_fetches_nothing_remote(server, tmp_path):
    executable = browser_or_skip()
    from playwright.sync_api import sync_playwright

    remote = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.on("request", lambda request: remote.extend([request.url] if is_remote(request.url) else []))
        page.goto(server.url)
        samples = page.locator("#samples img")
        samples.wait_for(timeout=120_000)  # the page draws seed 0 when it opens
        first = samples.get_attribute("src")
        assert "samples-seed0-8-per-class.png" in first
        page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
        page.locator("#seed input").fill("42")
        page.locator("#generate").click()
        page.wait_for_function(
            "first => document.querySelector('#samples img')?.src !== first", arg=first, timeout=120_000
        )
        second = samples.get_attribute("src")
        assert "samples-seed42-8-per-class.png" in second
        assert not np.array_equal(
            pixels(download(page, first, tmp_path / "a.png")), pixels(download(page, second, tmp_path / "b.png"))
        )
        page.get_by_role("tab", name="Latent walk").click()
        start = page.locator("#frame img").get_attribute("src", timeout=120_000)  # drawn when the page opened
        page.locator("#position input[type=range]").fill("6")  # move the slider along the path
        page.wait_for_function(
            "start => document.querySelector('#frame img')?.src !== start", arg=start, timeout=120_000
        )
        assert "walk-0-1-10-slerp-class0-at6.png" in page.locator("#frame img").get_attribute("src")
        page.get_by_role("tab", name="Provenance").click()
        provenance = page.locator("#provenance").inner_text(timeout=60_000)
        images_in_panel = page.locator("#provenance img").count()
        links_in_panel = page.locator("#provenance a").count()
        pwned = page.evaluate("window.pwned")
        browser.close()
    assert "builtins:cgan" in provenance and "Evaluation at step 3" in provenance, provenance
    assert HOSTILE in provenance and images_in_panel == 0 and links_in_panel == 0 and pwned is None, provenance
    assert not remote, f"the page fetched from the internet: {remote}"
    assert not server.remote_hosts(), f"the server contacted: {server.remote_hosts()}"


def download(page, url: str, path: Path) -> Path:
    """Fetch an image the page shows, through the browser."""
    path.write_bytes(page.request.get(url).body())
    return path


def test_unconditional_generator_draws_a_square_grid_and_walks_without_a_class(tmp_path):
    import gantool

    from gantool_demo.page import Sampler

    run = tmp_path / "tiny-dcgan"
    result = run_gantool("train", "--gen", "dcgan", "--out", str(run), *TINY)
    assert result.returncode == 0, result.stderr
    loaded = gantool.load(run)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    sampler = Sampler(loaded, tmp_path / "a")
    shown, _ = sampler.samples(3, 5, -1)  # the hidden class list's value is ignored
    assert pixels(shown).shape == grid_shape(2, 3)
    assert np.array_equal(pixels(shown), pixels(Sampler(loaded, tmp_path / "b").samples(3, 5, None)[0]))
    strip, image = sampler.walk(0, 1, 4, "lerp", None, 3)
    assert pixels(strip).shape == grid_shape(1, 4)
    assert np.array_equal(pixels(image), pixels(strip)[2:30, -30:-2])
