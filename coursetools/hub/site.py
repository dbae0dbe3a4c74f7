"""A hub's site: the folders and ports one hub uses, written to its state folder so that the hub's configuration
file (hub/jupyterhub_config.py, read by the jupyterhub process) finds the same ones."""
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from coursetools.hub.roster import Account

REPO = Path(__file__).resolve().parents[2]
PROXY = REPO / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"  # make hub-install puts it there


@dataclass(frozen=True)
class Site:
    root: Path          # /srv/cnn-hub for make hub; a temporary folder in the tests
    venv: Path          # the users' Python environment (make hub-install: /opt/cnn-hub/venv)
    accounts: tuple[Account, ...]
    port: int = 8000    # the proxy's public port, on loopback
    hub_port: int = 8081
    proxy_api_port: int = 8001

    @property
    def course(self) -> Path:
        """The instructor's course directory (only the instructor may enter it)."""
        return self.root / "course"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def state(self) -> Path:
        """The hub's own files: its database, cookie secret, log and the passwords (root only)."""
        return self.root / "state"

    def jupyter_config(self, role: str) -> Path:
        """The Jupyter configuration folder of a role's servers (JUPYTER_CONFIG_PATH)."""
        return self.root / "jupyter" / role

    def environment(self, role: str) -> dict[str, str]:
        """What a role's processes run with: the users' environment's bin/ (nbgrader runs alembic), the role's
        Jupyter configuration, and for the instructor the course's own code (nbgrader_config.py, the CSP extension)."""
        env = {"PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "JUPYTER_CONFIG_PATH": str(self.jupyter_config(role))}
        instructor = {"PYTHONPATH": str(self.course), "VENV": str(self.venv)}  # VENV: what make grade runs on
        return env | (instructor if role == "instructor" else {})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def role(self, user: str) -> str:
        return next(account.role for account in self.accounts if account.name == user)

    def save(self) -> Path:
        path = self.state / "site.json"
        data = asdict(self) | {"root": str(self.root), "venv": str(self.venv)}
        path.write_text(json.dumps(data, indent=1))
        return path

    @classmethod
    def load(cls, path: Path) -> "Site":
        data = json.loads(Path(path).read_text())
        return cls(**data | {"root": Path(data["root"]), "venv": Path(data["venv"]),
                             "accounts": tuple(Account(**a) for a in data["accounts"])})
