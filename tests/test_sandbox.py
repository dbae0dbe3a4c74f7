"""What a sandboxed process (kernel or verifier worker) starts with, beyond its limits (tests/hostile.py tries those)."""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from coursetools.grading.sandbox import bubblewrap, bubblewrap_works, sandbox_environment

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


STARTS_IN_THE_SANDBOX = """
import subprocess, sys
from pathlib import Path
from coursetools.grading.sandbox import bubblewrap, sandbox_environment
workdir = Path.cwd()
run = subprocess.run(bubblewrap(workdir) + [sys.executable, "-c", "import sys; print(sys.prefix)"], cwd=workdir,
                     env=sandbox_environment(workdir), capture_output=True, text=True, timeout=60)
print(run.stdout + run.stderr)
"""


def test_the_sandbox_starts_python_from_an_environment_behind_a_folder_closed_to_other_users(tmp_path):
    """As in CI's clone after `make hub` closed it: the sandbox's own user may not enter the folder above .venv."""
    if not bubblewrap_works():
        missing_tool("bubblewrap is not installed (make test installs it as root)")
    if os.geteuid() != 0:
        pytest.skip("only root's sandbox runs as a user of its own")
    closed = Path(tempfile.mkdtemp(prefix="cnn-closed-", dir="/var/lib"))  # not in a folder the sandbox hides
    try:
        os.chmod(closed, 0o750)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(closed / "venv")], check=True)
        python = closed / "venv" / "bin" / "python"
        purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        Path(purelib, "course.pth").write_text(f"{sysconfig.get_path('purelib')}\n{REPO}\n")
        run = subprocess.run([str(python), "-c", STARTS_IN_THE_SANDBOX], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
        # a Python that cannot read its venv's pyvenv.cfg starts as the Python it was made from, without the
        # venv's packages: the kernel then died at once (no ipykernel)
        assert run.stdout.strip() == str(closed / "venv"), run.stdout[-2000:] + run.stderr[-2000:]
    finally:
        shutil.rmtree(closed)
