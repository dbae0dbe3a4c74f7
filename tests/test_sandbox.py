"""What a sandboxed process (kernel or verifier worker) starts with, beyond its limits (tests/hostile.py tries those)."""
import subprocess
import sys
import tempfile
from pathlib import Path

from coursetools.grading.sandbox import bubblewrap, bubblewrap_works, sandbox_environment

from conftest import missing_tool

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
