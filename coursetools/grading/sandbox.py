"""Autograde's execute step, with the student's kernel in a sandbox.

`SandboxedExecute` replaces nbgrader's `Execute` preprocessor (see nbgrader_config.py). For each
submission it makes a fresh temporary folder with two parts: `work/`, the only folder the kernel can
write, and `control/`, which the kernel cannot see at all: the notebook as sent, the limits, the
kernelspec, and the results that `sandbox_runner.py` (run here, as the TA, not in the sandbox) writes
back. `work/` starts with a copy of the files the assignment hands out beside its notebook (its data, from
release/<assignment>/), as a student's kernel runs beside them; the student's own copies are not used. The kernel
runs under bubblewrap: it sees `work/`, a read-only system and Python environment, and
nothing of the course (source/, the gradebook, other students' files, the configuration); it has no
network, its own process namespace (it cannot signal the runner), and runs under memory, CPU, process,
file-size, output and wall-time limits. The notebook it runs has no hidden tests in it: their code never
exists where student code runs (coursetools/verification/verify.py runs them). What comes back is checked before
nbgrader sees it. Where bubblewrap cannot start, the same runner runs the kernel without it, and the run
says so loudly in its log and in the submission's status file.
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
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool, Integer, List, Unicode

from coursetools.grading import workspace
from coursetools.grading.commands import die_with_parent
from coursetools.grading.notebook import without_hidden_tests
from coursetools.grading.sandbox_runner import STACK_DUMP
from coursetools.display.safe_text import STATUS_CHARS, plain

RUNNER = Path(__file__).with_name("sandbox_runner.py")
SANDBOX_UIDS = 200_000  # first user id of sandboxes run for root (see sandbox_uid)
HIDDEN_NOTE = "# (hidden tests: run by the grader outside this kernel)"
MAX_NOTEBOOK_BYTES = 64 * 2**20  # an executed notebook bigger than this is not read (outputs are capped far below)
MAX_INCIDENTS = 50
SKIPPED_NOTE = "(not run when grading: this provided cell draws a figure, which grading does not look at)\n"


@cache
def bubblewrap_works() -> bool:
    """Whether `bwrap` is installed and can start a sandbox on this machine (checked once per process)."""
    if not shutil.which("bwrap"):
        return False
    probe = subprocess.run(["bwrap", *namespaces(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                            *sandbox_user(), "true"], capture_output=True, check=False)
    return probe.returncode == 0


def hidden_paths() -> list[str]:
    """Folders the student's code must not see: the course (the current directory), homes, /work, the folder that
    holds the venv (see venv_holder) and the folders that close the way to the Python environment (see
    closed_on_the_way)."""
    paths = {str(Path.cwd().resolve()), str(Path.home()), "/root", "/home", "/work", "/var/tmp"}
    paths = {p for p in paths if Path(p).exists()}
    extra = closed_on_the_way() | venv_holder()
    return sorted(paths | {p for p in extra if not any(p.startswith(h + "/") for h in paths)})


def venv_holder() -> set[str]:
    """The folder that holds the venv (the repository, for its .venv), hidden so that the venv is bound back in under
    folders of the sandbox's own: `make hub` closing the repository while a grading runs (the tests do it beside
    their gradings) then cannot take the modules a running kernel imports later (numpy.random) away from it. Nothing
    for a Python that is not a venv, or for a venv right under a top-level folder (/opt/venv)."""
    if sys.prefix == sys.base_prefix:
        return set()
    holder = Path(sys.prefix).resolve().parent
    return {str(holder)} if len(holder.parts) > 2 else set()


def environment_paths() -> list[str]:
    """The Python environment the kernel and the verifier run on (a venv and the Python it was made from)."""
    return sorted({str(Path(sys.prefix).resolve()), str(Path(sys.base_prefix).resolve())})


def environment_python() -> str:
    """The interpreter the sandbox starts: `sys.executable` under the environment's resolved folder, the one bound
    into the sandbox. Started through a symbolic link from a folder the sandbox hides (a .venv linked from /work),
    `sys.executable` names a path that does not exist in there, and every kernel died at its start. The file in
    bin/ is kept as it is (not resolved), so that Python still finds its venv's pyvenv.cfg beside it."""
    try:
        return str(Path(sys.prefix).resolve() / Path(sys.executable).relative_to(sys.prefix))
    except ValueError:  # an interpreter outside its prefix: nothing to resolve it by
        return sys.executable


def closed_on_the_way() -> set[str]:
    """Folders above the Python environment that the sandbox's own user (see sandbox_uid) may not pass through.

    `make hub` closes the repository to other users; a course graded from a copy elsewhere (CI's clone, the tests)
    then finds its .venv behind a folder that user cannot enter, and every kernel died at its start. Such a folder is
    hidden like the course (nothing in it was readable by that user anyway) and the environment is bound back in."""
    if sandbox_uid() is None:  # the sandbox runs as the TA, who can reach the environment
        return set()
    return {str(folder) for path in environment_paths() for folder in Path(path).parents
            if not os.stat(folder).st_mode & 0o001}


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


@cache
def font_list() -> Path | None:
    """matplotlib's list of the system's fonts, as this process built it (once, in the TA's cache folder)."""
    import matplotlib
    from matplotlib import font_manager
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    return path if path.is_file() else None


def seed_font_list(workdir: Path) -> None:
    """Give the sandbox's matplotlib (MPLCONFIGDIR, see sandbox_environment) a copy of the font list, which it
    would otherwise rebuild in every kernel and every verifier worker by scanning the fonts (about 0.3 s of CPU
    and an fc-list each). It is data (JSON) that names font files, and each sandbox gets a copy of its own."""
    if (path := font_list()) is not None:
        (workdir / ".matplotlib").mkdir(exist_ok=True)
        shutil.copyfile(path, workdir / ".matplotlib" / path.name)


def bubblewrap(workdir: Path) -> list[str]:
    """The bwrap command line: the whole system read-only, the course and homes hidden, `workdir` writable,
    ending with the switch to the sandbox's own user if it has one (`workdir` is handed over to it)."""
    seed_font_list(workdir)
    if (uid := sandbox_uid()) is not None:
        for path in (workdir, *workdir.glob(".matplotlib"), *workdir.glob(".matplotlib/*")):
            os.chown(path, uid, uid)
    hidden = hidden_paths()
    args = ["bwrap", *namespaces(), "--die-with-parent", "--new-session",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in hidden:
        args += ["--tmpfs", path]
    for path in environment_paths():
        # the Python environment, even where it lives inside a hidden folder
        args += parent_folders(path, hidden + ["/tmp"]) + ["--ro-bind", path, path]
    return args + parent_folders(str(workdir), hidden + ["/tmp"]) + [
        "--bind", str(workdir), str(workdir), "--chdir", str(workdir), *sandbox_user()]


def sandbox_environment(workdir: Path) -> dict:
    """A clean environment: nothing of the TA's, nothing that tells student code it is being graded."""
    return {"PATH": f"{Path(environment_python()).parent}:/usr/bin:/bin", "HOME": str(workdir), "LANG": "C.UTF-8",
            "JUPYTER_RUNTIME_DIR": str(workdir / ".runtime"),
            "JUPYTER_CONFIG_DIR": str(workdir / ".jupyter"), "IPYTHONDIR": str(workdir / ".ipython"),
            "MPLCONFIGDIR": str(workdir / ".matplotlib"), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            # Grading needs the figure cells' code to run, not their pictures: drawing them is most of a
            # notebook's time. plt.show() then does nothing, quietly.
            "MPLBACKEND": "agg", "PYTHONWARNINGS": "ignore:FigureCanvasAgg is non-interactive:UserWarning"}


def prlimit(limits: dict) -> list[str]:
    """The command prefix that starts a program under the resource limits."""
    return ["prlimit", f"--as={limits['memory_mb'] * 2**20}", f"--cpu={limits['cpu_seconds']}",
            f"--nproc={limits['processes']}", f"--fsize={limits['file_mb'] * 2**20}", "--"]


def kernel_command(workdir: Path, limits: dict, sandboxed: bool) -> list[str]:
    """The kernelspec's argv: ipykernel in `workdir`, in the sandbox, clean environment, resource limits.

    jupyter_client writes the connection file readable by its owner only; when the kernel runs as a user of
    its own, the file (in a folder only the sandbox's user and the TA can reach) is opened up to it first."""
    environment = [f"{name}={value}" for name, value in sandbox_environment(workdir).items()]
    # -P: the kernel's folder is not put on sys.path first, so a planted ipykernel_launcher.py is not run.
    # xmode Plain: IPython's default tracebacks take seconds for a RecursionError (a minute under load).
    kernel = (bubblewrap(workdir) if sandboxed else die_with_parent()) + ["env", "-i", *environment] + \
        prlimit(limits) + [environment_python(), "-P", "-m", "ipykernel_launcher", "-f", "{connection_file}",
                           "--HistoryManager.hist_file=:memory:", "--InteractiveShell.xmode=Plain",
                           f"--IPKernelApp.exec_lines={watchdog(limits['cell_timeout'])}"]
    return ["/bin/sh", "-c", 'chmod 0644 "$1" && shift && exec "$@"', "sh", "{connection_file}", *kernel]


def watchdog(cell_timeout: int) -> str:
    """Kernel start-up code that, before every cell, arms faulthandler to dump the kernel's stack to STACK_DUMP just
    before the cell would time out. A kernel that then ignores the interrupt (SIGINT ignored, a sleep in C) sends
    no traceback, but the dump still tells the runner which function hung. It binds no name the student's code
    sees; code that disarms it only loses the hint (the runner then suspects what the cell calls)."""
    seconds = max(cell_timeout - 1, cell_timeout / 2)
    return ("(lambda faulthandler, dump: get_ipython().events.register('pre_run_cell', lambda *_: "
            f"faulthandler.dump_traceback_later({seconds}, file=dump)))(__import__('faulthandler'), "
            f"open({STACK_DUMP!r}, 'a'))")


def returned_stops(path: Path) -> list[dict]:
    """The runner's stopped.json as clean records {"cell": int, "line": int | None, "function": name | None}:
    the hints that let re-verification skip what already timed out (ValueError if it is not such a list)."""
    stops = json.loads(path.read_text()[:MAX_INCIDENTS * STATUS_CHARS * 2])
    if not isinstance(stops, list) or not all(isinstance(stop, dict) for stop in stops):
        raise ValueError("stopped.json is not a list of records")
    def number(value):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    def name(value):
        return value if isinstance(value, str) and value.isidentifier() else None
    return [{"cell": number(stop.get("cell")), "line": number(stop.get("line")), "function": name(stop.get("function"))}
            for stop in stops[:MAX_INCIDENTS] if number(stop.get("cell")) is not None]


def returned_incidents(path: Path) -> list[str]:
    """The runner's incidents.json as at most MAX_INCIDENTS clean lines (ValueError if it is not a list)."""
    incidents = json.loads(path.read_text()[:MAX_INCIDENTS * STATUS_CHARS * 2])
    if not isinstance(incidents, list):
        raise ValueError("incidents.json is not a list")
    return [plain(item) for item in incidents[:MAX_INCIDENTS]]


def returned_notebook(path: Path, sent) -> nbformat.NotebookNode:
    """The runner's executed notebook, if it is the notebook that was sent with valid outputs (else ValueError)."""
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"the executed notebook is larger than {MAX_NOTEBOOK_BYTES} bytes")
    executed = nbformat.read(str(path), as_version=4)
    nbformat.validate(executed)
    if [(c.cell_type, c.source) for c in executed.cells] != [(c.cell_type, c.source) for c in sent.cells]:
        raise ValueError("the executed notebook's cells are not the cells that were sent")
    return executed


def without_hidden(nb) -> nbformat.NotebookNode:
    """A copy of `nb` in which no hidden test exists: what the student's kernel may run."""
    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in copy.cells:
        cell.source = without_hidden_tests(cell.source, HIDDEN_NOTE)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return copy


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
    skip_tags = List(Unicode(), help="code cells with a tag that starts with one of these are not run: provided "
                     "cells whose pictures grading never looks at (never a test or solution cell)").tag(config=True)

    def limits(self) -> dict:
        names = ("cell_timeout", "notebook_seconds", "memory_mb", "cpu_seconds", "processes", "file_mb",
                 "output_chars")
        return {name: getattr(self, name) for name in names}

    def preprocess(self, nb, resources):
        student = resources.get("nbgrader", {}).get("student", "unknown")
        assignment = resources.get("nbgrader", {}).get("assignment", "unknown")
        sandboxed = self.bubblewrap and bubblewrap_works()
        if not sandboxed:
            why = "bubblewrap cannot start here" if self.bubblewrap else "c.SandboxedExecute.bubblewrap is False"
            message = f"{why}: student code runs WITHOUT the file and network sandbox"
            if self.require_sandbox:
                raise RuntimeError(message)
            self.log.warning("!!! %s (%s)", message, student)
        sent, skipped = without_hidden(nb), self.skipped(nb)
        for index in skipped:  # sent as text: the runner runs code cells only
            sent.cells[index] = nbformat.v4.new_raw_cell(sent.cells[index].source)
        with tempfile.TemporaryDirectory(prefix="grading-") as folder:
            executed, incidents, resources["stopped_cells"] = self.run(sent, Path(folder), sandboxed,
                                                                      handed_out(assignment))
        if executed is None:
            not_run(nb, "the notebook could not be run in the grading sandbox")
        else:
            for index, (cell, done) in enumerate(zip(nb.cells, executed.cells, strict=True)):
                if index in skipped:
                    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=SKIPPED_NOTE)]
                    cell.execution_count = None
                elif cell.cell_type == "code":
                    cell.outputs, cell.execution_count = done.outputs, done.execution_count
                    if "execution" in done.metadata:  # nbclient's timestamps, which the benchmarks read
                        cell.metadata.execution = done.metadata.execution
        self.write_status(assignment, student, {"sandbox": "bubblewrap" if sandboxed else "none", "incidents": incidents})
        return nb, resources

    def skipped(self, nb) -> set[int]:
        """The code cells not run: tagged with one of `skip_tags`, and neither tests nor solutions."""
        return {index for index, cell in enumerate(nb.cells)
                if cell.cell_type == "code" and not (is_grade(cell) or is_solution(cell))
                and any(tag.startswith(prefix) for tag in cell.metadata.get("tags", []) for prefix in self.skip_tags)}

    def run(self, nb, folder: Path, sandboxed: bool, files=()):
        """Run the runner on `nb` with the kernel in `folder`/work, beside copies of `files`; returns (executed
        notebook or None, incidents, where cells stopped: see returned_stops).

        Everything the runner reads and writes is in `folder`/control, which the kernel cannot see."""
        control, work = folder / "control", folder / "work"
        (control / "kernels" / "sandboxed").mkdir(parents=True)
        (work / ".runtime").mkdir(parents=True)
        for path in files:
            shutil.copyfile(path, work / path.name)
        nbformat.write(nb, str(control / "notebook.ipynb"))
        (control / "limits.json").write_text(json.dumps(self.limits()))
        spec = {"argv": kernel_command(work, self.limits(), sandboxed), "display_name": "sandboxed",
                "language": "python", "interrupt_mode": "message"}  # no signal reaches a kernel behind bwrap
        (control / "kernels" / "sandboxed" / "kernel.json").write_text(json.dumps(spec))
        if (uid := sandbox_uid()) is not None and sandboxed:
            for path in (work, work / ".runtime"):
                os.chown(path, uid, uid)
        environment = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "HOME": str(control),
                       "JUPYTER_PATH": str(control), "JUPYTER_CONFIG_DIR": str(control / ".jupyter"),
                       "JUPYTER_RUNTIME_DIR": str(work / ".runtime")}
        # The runner dies with this process (a killed grading worker takes it along), the kernel with the runner
        # (bubblewrap's --die-with-parent).
        command = die_with_parent() + [sys.executable, str(RUNNER), str(control / "notebook.ipynb"),
                                       str(control / "limits.json"), str(work)]
        try:
            finished = subprocess.run(command, cwd=control, env=environment, capture_output=True, text=True,
                                      timeout=self.wall_seconds)
        except subprocess.TimeoutExpired:
            return None, [f"the notebook ran longer than {self.wall_seconds} s in all and was stopped"], []
        try:
            return (returned_notebook(control / "executed.ipynb", nb),
                    returned_incidents(control / "incidents.json"), returned_stops(control / "stopped.json"))
        except (OSError, ValueError, nbformat.ValidationError) as problem:
            self.log.error("sandbox runner failed (%s): %s", problem, finished.stderr[-2000:])
            return None, [plain(f"the grading runner failed: {problem}")], []

    @staticmethod
    def write_status(assignment_id: str, student: str, status: dict) -> None:
        folder = workspace.status_dir(assignment_id)  # relative to the course root, where nbgrader runs converters
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{student}.json").write_text(json.dumps(status))


def handed_out(assignment_id: str) -> list[Path]:
    """The files an assignment hands out beside its notebook (release/<assignment>/ in the course root, where
    nbgrader runs its converters), which its notebook may read."""
    folder = Path.cwd() / "release" / assignment_id
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".ipynb") if folder.is_dir() else []


def read_status(course_dir: Path, assignment_id: str, student: str) -> dict:
    """What the grading recorded for a student: {"sandbox": "bubblewrap" | "none" | "-", "incidents": [...]}."""
    path = Path(course_dir) / workspace.status_dir(assignment_id) / f"{student}.json"
    return json.loads(path.read_text()) if path.is_file() else {"sandbox": "-", "incidents": []}
