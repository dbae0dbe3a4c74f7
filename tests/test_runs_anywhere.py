"""The student notebook runs where students are (Binder, Colab): with NumPy and matplotlib alone."""
import json
import subprocess
import sys

from nbclient import NotebookClient

from coursetools.assignments.cnn import sample_class

from conftest import REPO


def test_solved_release_runs_with_only_binder_requirements(tmp_path, monkeypatch):
    venv = tmp_path / "binder-env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(REPO / "binder" / "requirements.txt"),
                    "ipykernel", "-c", str(REPO / "requirements-lock.txt")], check=True)
    kernel_dir = tmp_path / "jupyter" / "kernels" / "binder"
    kernel_dir.mkdir(parents=True)
    (kernel_dir / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Binder-like", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True).stdout
    assert "nbgrader" not in installed and "scipy" not in installed

    nb = sample_class.submission(sample_class.FULL_SOLUTION, REPO)
    NotebookClient(nb, timeout=120, kernel_name="binder").execute()  # raises on the first error
