"""Running nbgrader and reaching the course's files the way a person at a terminal would."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

BIN = Path(sys.executable).parent  # nbgrader runs alembic as a subprocess: its bin/ must be on PATH


def copy_course(repo: Path, root: Path, with_release: bool = True) -> Path:
    """The course as committed in `repo` (source, release, configuration and the code it loads), in `root`."""
    for folder in ("source", "coursetools") + (("release",) if with_release else ()):
        shutil.copytree(Path(repo) / folder, Path(root) / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(Path(repo) / "nbgrader_config.py", root)
    return Path(root)


def gradebook_url(course_dir: Path) -> str:
    """The gradebook the course's nbgrader_config.py names (`c.CourseDirectory.db_url`), by default the SQLite
    file gradebook.db in the course folder, as nbgrader has it."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    return config.CourseDirectory.get("db_url") or f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"


def die_with_parent() -> list[str]:
    """A command prefix that kills the command when the process that started it dies (Linux's setpriv), so a
    grading worker that is killed takes its nbgrader with it instead of leaving it to write beside a retry."""
    return ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []


def with_bin_on_path() -> dict:
    """This process's environment with the Python environment's bin/ first on PATH (nbgrader runs alembic)."""
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def nbgrader(course_dir: Path, *args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course directory (through coursetools.grading.nbgrader_cli, which starts faster
    than the `nbgrader` script); with check=False a failure is returned, not raised.

    With capture=True nothing is printed: what the command printed (stdout and stderr) is in `.stdout`."""
    env = with_bin_on_path()
    if not capture:
        print(f"$ nbgrader {' '.join(args)}", flush=True)
    output = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True} if capture else {}
    return subprocess.run([*die_with_parent(), sys.executable, "-m", "coursetools.grading.nbgrader_cli", *args,
                           "--log-level=ERROR"], cwd=course_dir, env=env, check=check, **output)
