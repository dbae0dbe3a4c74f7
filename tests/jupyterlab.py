"""A real JupyterLab server on a free loopback port, and a headless Chromium driven by Playwright."""
import json
import os
import secrets
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

from coursetools.grading.commands import BIN
from coursetools.hub.process import stop, wait_until_answering

from conftest import missing_tool

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
# Lab settings for tests: render every cell (no virtual scrolling, so all outputs are in the page) and
# never fetch news from the internet.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                          "checkForUpdates": False},
}


def require_chromium():
    """Skip where Chromium is missing, except in CI, where a missing browser is a failure."""
    if not Path(CHROMIUM).exists():
        missing_tool(f"browser tests need Debian's chromium at {CHROMIUM} (make test installs it as root)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def jupyterlab(root: Path, workdir: Path):
    """Start `jupyter lab` serving `root`; yields its base URL with the token as a query string."""
    settings = workdir / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    log = open(workdir / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
         "--LabApp.expose_app_in_browser=True",  # tests wait on the kernel through window.jupyterapp
         "--ServerApp.jpserver_extensions=coursetools.display.csp=True"],  # as `make lab`: the Formgrader's CSP
        cwd=root, stdout=log, stderr=subprocess.STDOUT,
        env=dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", JUPYTER_CONFIG_DIR=str(workdir / "config"),
                 PYTHONPATH=str(root)))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/api/status?token={token}", server, 90,
                             f"JupyterLab (see {workdir / 'jupyterlab.log'})")
        yield base, token
    finally:
        stop(server, 20)
        log.close()


@contextmanager
def chromium_page():
    """A fresh headless Chromium page; yields (page, console errors collected so far)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors = []
            page.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url', '')})") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.set_default_timeout(60_000)
            yield page, errors
        finally:
            browser.close()


def nbgrader_errors(errors):
    return [e for e in errors if "nbgrader" in e.lower()]


def screenshot_dir() -> Path:
    """test-output/browser/ in the repository: where the screenshots of the browser tests are kept."""
    folder = Path(__file__).resolve().parents[1] / "test-output" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
