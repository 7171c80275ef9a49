"""Fixtures for the real-browser tests: a ``streamlit run`` server and headless Chromium.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and the Python package
``playwright`` (``pip install playwright``; no ``playwright install``: the browser is
Debian's, at /usr/bin/chromium). Tests skip with the reason when either is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is absent (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(script: Path, *, env: dict | None = None, timeout: float = 60) -> tuple[subprocess.Popen, str, Path]:
    """Start ``streamlit run script`` on a free port; return (process, base URL, log path)."""
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"streamlit-{port}.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url, log_path
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"streamlit did not become healthy in {timeout} s")


@pytest.fixture(scope="session")
def app_server():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    proc, url, log_path = start_streamlit(ROOT / "streamlit_app.py")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def is_local(url: str) -> bool:
    return url.startswith(("data:", "blob:", "about:")) or urlparse(url).hostname in LOCAL_HOSTS


class Requests:
    """Every request the page attempts (``all``) and those to other hosts (``foreign``).

    Foreign requests are aborted by a route that matches only them: intercepting the
    local ones too (``route.continue_``) stalled script loading inside the map's iframe.
    """

    def __init__(self) -> None:
        self.all: list[str] = []
        self.foreign: list[str] = []

    def attach(self, context) -> None:
        context.on("request", lambda r: self.all.append(r.url))
        context.route(lambda url: not is_local(url), self._abort)

    def _abort(self, route) -> None:
        self.foreign.append(route.request.url)
        route.abort()


@pytest.fixture(scope="session")
def browser():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser, app_server, tmp_path):
    """A fresh page with request recording, console capture and downloads enabled."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1500, "height": 1100},
                                  locale="vi-VN")
    requests = Requests()
    requests.attach(context)
    pg = context.new_page()
    pg.console_errors = []      # type: ignore[attr-defined]
    pg.requests = requests      # type: ignore[attr-defined]
    pg.base_url = app_server    # type: ignore[attr-defined]

    def on_console(msg):
        if msg.type == "error":
            pg.console_errors.append(msg.text)

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: pg.console_errors.append(f"pageerror: {exc}"))
    try:
        yield pg
    finally:
        context.close()


def chromium_available() -> bool:
    return _skip_reason() is None and shutil.which(CHROMIUM) is not None
