"""JupyterHub's configuration for a site (hub/jupyterhub_config.py calls `configure`)."""
from functools import partial

from coursetools.hub.site import PROXY, Site


def before_spawn(spawner, site: Site) -> None:
    """Each server runs as its user (LocalProcessSpawner) with its role's environment: the instructor's in the
    course directory, a student's in their home, where nbgrader's Assignments tab fetches into."""
    role = site.role(spawner.user.name)
    spawner.environment = site.environment(role)
    spawner.notebook_dir = str(site.course) if role == "instructor" else "~"


def configure(c, site: Site) -> None:
    c.JupyterHub.ip = "127.0.0.1"  # the proxy's public side: loopback only (see README.md for a real deployment)
    c.JupyterHub.port = site.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = site.hub_port
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{site.proxy_api_port}"
    c.ConfigurableHTTPProxy.command = [str(PROXY)]
    c.JupyterHub.db_url = f"sqlite:///{site.state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(site.state / "jupyterhub_cookie_secret")
    c.JupyterHub.cleanup_servers = True  # stopping the hub stops everyone's server
    # Real passwords of real accounts, and only the roster's.
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False  # no login sessions (systemd-logind) for web logins
    c.Authenticator.allowed_users = {account.name for account in site.accounts}
    c.JupyterHub.spawner_class = "localprocess"
    c.Spawner.cmd = [str(site.venv / "bin" / "jupyterhub-singleuser")]
    c.Spawner.ip = "127.0.0.1"
    c.Spawner.default_url = "/lab"
    c.Spawner.env_keep = []  # nothing of root's environment (its PATH, PYTHONPATH) reaches a user's server
    c.Spawner.start_timeout = c.Spawner.http_timeout = 120  # a loaded machine
    c.Spawner.pre_spawn_hook = partial(before_spawn, site=site)
