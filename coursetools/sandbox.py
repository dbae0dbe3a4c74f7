"""Autograde's execute step, moved into a sandbox.

`SandboxedExecute` replaces nbgrader's `Execute` preprocessor (see nbgrader_config.py). For each
submission it copies the notebook into a fresh temporary folder and runs `sandbox_runner.py` there
under bubblewrap: the student's code sees that folder, a read-only system and Python environment, and
nothing of the course (source/, the gradebook, other students' files, the configuration); it has no
network and runs under memory, CPU, process, file-size, output and wall-time limits. Only the executed
notebook comes back. Where bubblewrap cannot start, the same runner runs without it, and the run says so
loudly in its log and in the submission's status file.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer

RUNNER = Path(__file__).with_name("sandbox_runner.py")
SANDBOX_UIDS = 200_000  # first user id of sandboxes run for root (see sandbox_uid)
STATUS_DIR = Path(".grading") / "status"  # relative to the course root, where nbgrader runs converters


@cache
def bubblewrap_works() -> bool:
    """Whether `bwrap` is installed and can start a sandbox on this machine (checked once per process)."""
    if not shutil.which("bwrap"):
        return False
    probe = subprocess.run(["bwrap", *namespaces(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                            *sandbox_user(), "true"], capture_output=True, check=False)
    return probe.returncode == 0


def hidden_paths() -> list[str]:
    """Folders the student's code must not see: the course (the current directory), homes, /work."""
    paths = {str(Path.cwd().resolve()), str(Path.home()), "/root", "/home", "/work", "/var/tmp"}
    return sorted(p for p in paths if Path(p).exists())


def sandbox_uid() -> int | None:
    """The user id the sandbox runs as when the TA is root: one of its own per grading process.

    Root ignores the process-count limit, so a fork bomb run as root is bounded only by the machine; an unused
    user id is bounded by it and owns no file. None when the TA is not root (the limit already applies)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    return SANDBOX_UIDS + os.getpid() % 100_000


def sandbox_user() -> list[str]:
    """The command prefix that drops to the sandbox's user inside the sandbox (nothing if there is none)."""
    uid = sandbox_uid()
    return [] if uid is None else ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


def namespaces() -> list[str]:
    """Everything unshared. For root, no user namespace: inside one, setpriv could not switch users."""
    if sandbox_uid() is None:
        return ["--unshare-all"]
    return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]


def parent_folders(path: str, hidden: list[str]) -> list[str]:
    """bwrap arguments that create `path`'s parents inside hidden folders readable by all (bwrap's are 0700)."""
    parents = [str(p) for p in reversed(Path(path).parents)]
    inside = [p for p in parents if p not in hidden and any(p.startswith(h + "/") for h in hidden)]
    return [arg for p in inside for arg in ("--perms", "0755", "--dir", p)]


def bubblewrap(workdir: Path) -> list[str]:
    """The bwrap command line: the whole system read-only, the course and homes hidden, `workdir` writable,
    ending with the switch to the sandbox's own user if it has one (`workdir` is handed over to it)."""
    if (uid := sandbox_uid()) is not None:
        os.chown(workdir, uid, uid)
    hidden = hidden_paths()
    args = ["bwrap", *namespaces(), "--die-with-parent", "--new-session",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in hidden:
        args += ["--tmpfs", path]
    for path in sorted({str(Path(sys.prefix).resolve()), str(Path(sys.base_prefix).resolve())}):
        # the Python environment, even where it lives inside a hidden folder
        args += parent_folders(path, hidden + ["/tmp"]) + ["--ro-bind", path, path]
    return args + ["--bind", str(workdir), str(workdir), "--chdir", str(workdir), *sandbox_user()]


def sandbox_environment(workdir: Path) -> dict:
    """A clean environment: nothing of the TA's, nothing that tells student code it is being graded."""
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(workdir), "LANG": "C.UTF-8",
            "JUPYTER_PATH": str(workdir), "JUPYTER_RUNTIME_DIR": str(workdir / ".runtime"),
            "JUPYTER_CONFIG_DIR": str(workdir / ".jupyter"), "IPYTHONDIR": str(workdir / ".ipython"),
            "MPLCONFIGDIR": str(workdir / ".matplotlib"), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            # Grading needs the figure cells' code to run, not their pictures: drawing them is most of a
            # notebook's time. plt.show() then does nothing, quietly.
            "MPLBACKEND": "agg", "PYTHONWARNINGS": "ignore:FigureCanvasAgg is non-interactive:UserWarning"}


def not_run(nb, reason: str) -> None:
    """Give every code cell an error output: nbgrader must not read an unexecuted test cell as passed."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("error", ename="NotGraded", evalue=reason,
                                                   traceback=[f"NotGraded: {reason}"])]


class SandboxedExecute(Preprocessor):
    """Execute the notebook in a bubblewrap sandbox under resource limits (replaces nbgrader's Execute)."""

    enabled = Bool(True)
    cell_timeout = Integer(60, help="seconds a cell may run before it is interrupted").tag(config=True)
    notebook_seconds = Integer(600, help="seconds of cells per notebook; later cells are not run").tag(config=True)
    wall_seconds = Integer(900, help="hard limit for the whole sandbox, kernel starts included").tag(config=True)
    memory_mb = Integer(3072, help="address space of the kernel, in MiB").tag(config=True)
    cpu_seconds = Integer(600, help="CPU seconds of the kernel").tag(config=True)
    processes = Integer(256, help="processes and threads of the sandbox's user").tag(config=True)
    file_mb = Integer(64, help="largest file the kernel may write, in MiB").tag(config=True)
    output_chars = Integer(100_000, help="stream output kept per cell").tag(config=True)
    bubblewrap = Bool(True, help="isolate student code with bubblewrap (False: limits only; not for real classes)"
                      ).tag(config=True)
    require_sandbox = Bool(False, help="refuse to grade without the bubblewrap sandbox").tag(config=True)

    def limits(self) -> dict:
        names = ("cell_timeout", "notebook_seconds", "memory_mb", "cpu_seconds", "processes", "file_mb",
                 "output_chars")
        return {name: getattr(self, name) for name in names}

    def preprocess(self, nb, resources):
        student = resources.get("nbgrader", {}).get("student", "unknown")
        sandboxed = self.bubblewrap and bubblewrap_works()
        if not sandboxed:
            why = "bubblewrap cannot start here" if self.bubblewrap else "c.SandboxedExecute.bubblewrap is False"
            message = f"{why}: student code runs WITHOUT the file and network sandbox"
            if self.require_sandbox:
                raise RuntimeError(message)
            self.log.warning("!!! %s (%s)", message, student)
        with tempfile.TemporaryDirectory(prefix="cnn-grading-") as folder:
            workdir = Path(folder)
            executed, incidents = self.run(nb, workdir, sandboxed)
        if executed is None or len(executed.cells) != len(nb.cells):
            not_run(nb, "the notebook could not be run in the grading sandbox")
            incidents.append("the sandbox returned no notebook")
        else:
            for cell, done in zip(nb.cells, executed.cells, strict=True):
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = done.outputs, done.execution_count
                    if "execution" in done.metadata:  # nbclient's timestamps, which the benchmarks read
                        cell.metadata.execution = done.metadata.execution
        self.write_status(student, {"sandbox": "bubblewrap" if sandboxed else "none", "incidents": incidents})
        return nb, resources

    def run(self, nb, workdir: Path, sandboxed: bool):
        """Run the runner on a copy of `nb` in `workdir`; returns (executed notebook or None, incidents)."""
        shutil.copy(RUNNER, workdir / "runner.py")
        nbformat.write(nb, str(workdir / "notebook.ipynb"))
        (workdir / "limits.json").write_text(json.dumps(self.limits()))
        command = [sys.executable, "runner.py", "notebook.ipynb", "limits.json"]
        try:
            finished = subprocess.run((bubblewrap(workdir) if sandboxed else []) + command, cwd=workdir,
                                      env=sandbox_environment(workdir), capture_output=True, text=True,
                                      timeout=self.wall_seconds)
        except subprocess.TimeoutExpired:
            return None, [f"the notebook ran longer than {self.wall_seconds} s in all and was stopped"]
        try:
            executed = nbformat.read(str(workdir / "executed.ipynb"), as_version=4)
            return executed, json.loads((workdir / "incidents.json").read_text())
        except (OSError, ValueError) as problem:
            self.log.error("sandbox runner failed (%s): %s", problem, finished.stderr[-2000:])
            return None, [f"the grading runner failed: {finished.stderr.strip().splitlines()[-1:] or problem}"]

    @staticmethod
    def write_status(student: str, status: dict) -> None:
        STATUS_DIR.mkdir(parents=True, exist_ok=True)
        (STATUS_DIR / f"{student}.json").write_text(json.dumps(status))


def read_status(course_dir: Path, student: str) -> dict:
    """What the grading recorded for a student: {"sandbox": "bubblewrap" | "none" | "-", "incidents": [...]}."""
    path = Path(course_dir) / STATUS_DIR / f"{student}.json"
    return json.loads(path.read_text()) if path.is_file() else {"sandbox": "-", "incidents": []}
