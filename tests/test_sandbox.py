"""What a sandboxed process (kernel or verifier worker) starts with, beyond its limits (tests/hostile.py tries those),
and what the runner tells of the cells it had to stop."""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import nbformat
import pytest

from coursetools.grading.sandbox import SandboxedExecute, bubblewrap, bubblewrap_works, sandbox_environment

from conftest import REPO, missing_tool

LOADS_FONTS = ("import logging; logging.basicConfig(level=logging.DEBUG, format='%(message)s')\n"
               "import matplotlib.font_manager\n")


def test_matplotlib_in_the_sandbox_reads_the_font_list_it_is_handed_instead_of_scanning_the_fonts():
    if not bubblewrap_works():
        missing_tool("bubblewrap is not installed (make test installs it as root)")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        run = subprocess.run(bubblewrap(workdir) + [sys.executable, "-c", LOADS_FONTS], cwd=workdir,
                             env=sandbox_environment(workdir), capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr[-2000:]
        assert f"Using fontManager instance from {workdir}/.matplotlib/" in run.stderr, run.stderr[-2000:]
        assert "generated new fontManager" not in run.stderr


STOPPED = [  # (a cell's code, where the runner must say it stopped)
    ("import signal\n\n\ndef spin():\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass"
     "\n\n\ndef loop():\n    while True:\n        pass\n", None),
    ("x = 1\nwhile True:\n    pass\n", {"line": 2, "function": None}),           # at top level: the line
    ("y = 2\nloop()\n", {"line": 2, "function": "loop"}),                          # in a function: which one
    ("spin()\n", {"line": 1, "function": "spin"}),  # ignores the interrupt: read off the kernel's stack dump
    ("z = 3\n", None),                                                         # the kernel was restarted for it
]


def test_the_runner_says_where_each_stopped_cell_stopped_even_when_the_kernel_never_answered(tmp_path):
    if not bubblewrap_works():
        missing_tool("bubblewrap is not installed (make test installs it as root)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code, _ in STOPPED])
    execute = SandboxedExecute(cell_timeout=3, notebook_seconds=120, wall_seconds=180)
    executed, incidents, stops = execute.run(nb, tmp_path, sandboxed=True)
    assert incidents[:3] == ["cell 1 timed out", "cell 2 timed out", "cell 3 timed out and hung the kernel"], incidents
    assert stops == [{"cell": index, **where} for index, (_, where) in enumerate(STOPPED) if where], stops
    assert not [o for o in executed.cells[4].outputs if o.output_type == "error"], executed.cells[4].outputs


STARTS_IN_THE_SANDBOX = """
import subprocess, sys
from pathlib import Path
from coursetools.grading.sandbox import bubblewrap, environment_python, sandbox_environment
workdir = Path.cwd()
run = subprocess.run(bubblewrap(workdir) + [environment_python(), "-c", "import sys; print(sys.prefix)"], cwd=workdir,
                     env=sandbox_environment(workdir), capture_output=True, text=True, timeout=60)
print(run.stdout + run.stderr)
"""


def course_venv(folder: Path) -> Path:
    """A venv in `folder` that imports this environment's packages and the course's code."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")], check=True)
    purelib = subprocess.run([str(folder / "venv" / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "course.pth").write_text(f"{sysconfig.get_path('purelib')}\n{REPO}\n")
    return folder / "venv"


def prefix_in_the_sandbox(python: Path, workdir: Path) -> str:
    """sys.prefix of the Python the sandbox starts when the TA's process runs on `python`."""
    run = subprocess.run([str(python), "-c", STARTS_IN_THE_SANDBOX], cwd=workdir, capture_output=True, text=True,
                         timeout=120)
    return run.stdout.strip() or run.stderr[-2000:]


def test_the_sandbox_starts_python_from_an_environment_behind_a_folder_closed_to_other_users(tmp_path):
    """As in CI's clone after `make hub` closed it: the sandbox's own user may not enter the folder above .venv."""
    if not bubblewrap_works():
        missing_tool("bubblewrap is not installed (make test installs it as root)")
    if os.geteuid() != 0:
        pytest.skip("only root's sandbox runs as a user of its own")
    closed = Path(tempfile.mkdtemp(prefix="cnn-closed-", dir="/var/lib"))  # not in a folder the sandbox hides
    try:
        os.chmod(closed, 0o750)
        venv = course_venv(closed)
        # a Python that cannot read its venv's pyvenv.cfg starts as the Python it was made from, without the
        # venv's packages: the kernel then died at once (no ipykernel)
        assert prefix_in_the_sandbox(venv / "bin" / "python", tmp_path) == str(venv)
    finally:
        shutil.rmtree(closed)


def test_the_sandbox_starts_python_from_an_environment_linked_from_a_folder_it_hides(tmp_path):
    """A .venv that is a symbolic link from a hidden folder (/var/tmp here, a home or /work elsewhere) to the
    environment: the sandbox starts the environment where it is, not through the link it cannot see."""
    if not bubblewrap_works():
        missing_tool("bubblewrap is not installed (make test installs it as root)")
    environment = Path(tempfile.mkdtemp(prefix="cnn-linked-", dir="/var/lib"))
    link = Path(tempfile.mkdtemp(prefix="cnn-link-", dir="/var/tmp")) / ".venv"
    try:
        os.chmod(environment, 0o755)
        venv = course_venv(environment)
        link.symlink_to(venv)
        assert prefix_in_the_sandbox(link / "bin" / "python", tmp_path) == str(venv)
    finally:
        shutil.rmtree(environment)
        shutil.rmtree(link.parent)


WAITS_THEN_IMPORTS = """
import subprocess
from pathlib import Path
from coursetools.grading.sandbox import bubblewrap, environment_python, sandbox_environment
workdir = Path.cwd()
child = subprocess.Popen(bubblewrap(workdir) + [environment_python(), "-c",
                         "print('ready', flush=True); input(); import lazy_probe; print(lazy_probe.FOUND)"],
                         cwd=workdir, env=sandbox_environment(workdir), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
print(child.stdout.readline().strip(), flush=True)
input()
print(child.communicate("go\\n", timeout=60)[0].strip(), flush=True)
"""


def test_a_running_sandbox_still_imports_from_its_venv_after_the_venvs_folder_is_closed(tmp_path):
    """`make hub` closes the repository (hub/layout.py); a kernel already running then imported numpy.random from
    the repository's .venv as a user that may no longer enter it (ModuleNotFoundError, points lost)."""
    if not bubblewrap_works():
        missing_tool("bubblewrap is not installed (make test installs it as root)")
    if os.geteuid() != 0:
        pytest.skip("only root's sandbox runs as a user of its own")
    holder = Path(tempfile.mkdtemp(prefix="cnn-holder-", dir="/var/lib"))
    try:
        os.chmod(holder, 0o755)
        venv = course_venv(holder)
        purelib = next(venv.glob("lib/python*/site-packages"))
        (purelib / "lazy_probe.py").write_text("FOUND = 'imported after the close'\n")
        harness = subprocess.Popen([str(venv / "bin" / "python"), "-c", WAITS_THEN_IMPORTS], cwd=tmp_path,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert harness.stdout.readline().strip() == "ready"
        os.chmod(holder, 0o750)  # as close_repository does to the repository
        output, _ = harness.communicate("\n", timeout=90)
        assert output.strip() == "imported after the close", output[-2000:]
    finally:
        shutil.rmtree(holder)

