"""Starting the hub as a child process (JupyterHub then starts the proxy and the users' servers), and stopping
it with everything it started."""
import os
import signal
import subprocess
import time
import urllib.request
from contextlib import contextmanager

from coursetools.hub.site import REPO, Site

CONFIG = REPO / "hub" / "jupyterhub_config.py"


def stop(server: subprocess.Popen, seconds: float) -> None:
    """Ask a server to stop (SIGTERM, so that it cleans up after itself); kill it if it has not within `seconds`."""
    server.terminate()
    try:
        server.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        server.kill()


def wait_until_answering(url: str, server: subprocess.Popen, timeout: float, name: str) -> None:
    """Return once `url` answers; raise if `server` exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start") from None
            time.sleep(0.5)


@contextmanager
def running(site: Site, timeout: float = 120):
    """The hub of `site`, answering on its address; on exit it is stopped with the proxy and every user's server
    (JupyterHub's cleanup on SIGTERM; whatever is left of its process group is killed)."""
    log = open(site.state / "jupyterhub.log", "a")
    hub = subprocess.Popen([str(site.venv / "bin" / "jupyterhub"), "-f", str(CONFIG)], cwd=site.state,
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                           env={"PATH": f"{site.venv / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8",
                                "CNN_HUB_SITE": str(site.state / "site.json"), "PYTHONPATH": str(REPO)})
    try:
        wait_until_answering(f"{site.url}/hub/api/", hub, timeout, f"JupyterHub (see {site.state / 'jupyterhub.log'})")
        yield hub
    finally:
        stop(hub, 60)
        try:
            os.killpg(hub.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()
