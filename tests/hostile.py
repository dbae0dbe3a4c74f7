"""Hostile and broken submissions: attacks on the course and the score, faults, unreadable notebooks.

Each `Attack` is one student's submission: a notebook built from the instructor's solution with some code
added or changed (`edits`, on the solution of one part; `COURSE` in the code is replaced by the course
folder's real path, which an attacker could guess), a whole notebook changed by a function (`tamper`), or
raw files instead of a notebook (`files`). `loses` are the parts that must score below full ("all": every
part scores 0); `status` is what the TA's status table must say about the student.
"""
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from coursetools import commands, cycle, grade, intake, notebook, sample_class, scores
from coursetools.assignment import ASSIGNMENT, GRADED_PARTS, NOTEBOOK
from coursetools.sample_class import ALL, Student
from coursetools.sandbox import STATUS_DIR, sandbox_uid

OWN_USER = sandbox_uid() is not None  # the sandbox runs as a user of its own (the TA is root)
FIRST_LINE = {  # a line of each part's solution that new code can go in front of
    "conv2d_naive": "    image, kernel = np.asarray(image), np.asarray(kernel)\n",
    "conv_output_size": "    if stride < 1:\n",
    "pad2d": "    x = np.asarray(x)\n",
    "conv2d": "    x, weight = np.asarray(x), np.asarray(weight)\n",
    "max_pool2d": "    x = np.asarray(x)\n",
    "avg_pool2d": "    x = np.asarray(x, dtype=float)\n",
}


@dataclass(frozen=True)
class Attack:
    name: str
    description: str
    loses: tuple[str, ...] | str = ()
    status: str = ""
    part: str | None = None                                       # the part whose solution `code` goes into
    code: str = ""                                                # run first in that part's function
    tamper: Callable[[nbformat.NotebookNode], None] | None = None  # changes the whole solved notebook
    files: dict = field(default_factory=dict)  # handed in instead of a notebook, by name: bytes, a callable that
    #                                            makes them from the course, a Path in the course to link to, or
    #                                            None for a folder

    def lost_parts(self) -> set[str]:
        return set(GRADED_PARTS) if self.loses == "all" else set(self.loses)

    def write(self, course: Path) -> None:
        """Hand the submission in to submitted/<name>/cnn/, as nbgrader's collect step would."""
        folder = course / "submitted" / self.name / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
        if self.files:
            for name, content in self.files.items():
                if isinstance(content, Path):
                    (folder / name).symlink_to(course / content)
                elif content is None:
                    (folder / name).mkdir()
                else:
                    (folder / name).write_bytes(content(course) if callable(content) else content)
            return
        edits = ()
        if self.part:
            indented = "".join(f"    {line}\n" for line in self.code.replace("COURSE", str(course)).splitlines())
            edits = ((self.part, FIRST_LINE[self.part], indented + FIRST_LINE[self.part]),)
        nb = sample_class.submission(Student(self.name, self.description, ALL, edits=edits), course)
        if self.tamper:
            self.tamper(nb)
        nbformat.write(nb, str(folder / f"{NOTEBOOK}.ipynb"))


def solved_notebook(course: Path, version: int = 4) -> bytes:
    """The instructor's solution as a student hands it in, in nbformat `version`."""
    nb = sample_class.submission(sample_class.FULL_SOLUTION, course)
    return nbformat.writes(nbformat.convert(nb, version) if version != 4 else nb).encode()


def edit_cell(grade_id: str, change: Callable) -> Callable:
    """A tamper function that calls `change(cell)` on the cell `grade_id`."""
    return lambda nb: change(notebook.cell_by_id(nb, grade_id))


def replace_in(grade_id: str, old: str, new: str) -> Callable:
    def change(cell):
        assert old in cell.source, f"{old!r} is not in {grade_id}"
        cell.source = cell.source.replace(old, new)
    return edit_cell(grade_id, change)


def drop_cell(grade_id):
    return lambda nb: nb.cells.remove(notebook.cell_by_id(nb, grade_id))


flipped_conv2d = replace_in("conv2d", "window * weight[o]", "window * weight[o, :, ::-1, ::-1]")


def then(*tampers):
    def tamper(nb):
        for each in tampers:
            each(nb)
    return tamper


def insert_after_setup(code):
    def tamper(nb):
        index = nb.cells.index(notebook.cell_by_id(nb, "grader_setup"))
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return tamper


ESCAPE = (
    Attack("reads_gradebook", "opens gradebook.db by its path", ("conv2d_naive",), part="conv2d_naive",
           code="open('COURSE/gradebook.db', 'rb').read()"),
    Attack("writes_gradebook", "rewrites every score in gradebook.db with sqlite3", ("conv2d_naive",),
           part="conv2d_naive", code="import sqlite3\n"
                                     "db = sqlite3.connect('COURSE/gradebook.db')\n"
                                     "db.execute('update grade set auto_score = 99'); db.commit()"),
    Attack("reads_gradebook_relative", "looks for the gradebook above its working folder", ("conv2d_naive",),
           part="conv2d_naive", code="open('../../../gradebook.db', 'rb').read()"),
    Attack("reads_source", "reads the instructor's notebook with its hidden tests", ("pad2d",), part="pad2d",
           code="open('COURSE/source/cnn/cnn.ipynb').read()"),
    Attack("reads_config", "reads nbgrader_config.py", ("pad2d",), part="pad2d",
           code="open('COURSE/nbgrader_config.py').read()"),
    Attack("overwrites_classmate", "overwrites a classmate's submission", ("conv2d_naive",), part="conv2d_naive",
           code="open('COURSE/submitted/full_solution/cnn/cnn.ipynb', 'w').write('{}')"),
    # As root, the sandbox runs as a user of its own, who may not write to the empty folder that hides the
    # course; as anyone else, the file lands in that throwaway folder. Either way the course is untouched.
    Attack("writes_course_file", "drops a file into the course folder", ("conv2d_naive",) if OWN_USER else (),
           part="conv2d_naive",
           code="open('COURSE/planted.txt', 'w').write('x')"),
    Attack("uses_network", "downloads from the internet", ("conv2d_naive",), part="conv2d_naive",
           code="import urllib.request\nurllib.request.urlopen('http://pypi.org', timeout=5)"),
    Attack("leaves_a_process", "starts a process that outlives the grading (sleep 600)", (), part="conv2d",
           code="import subprocess\nsubprocess.Popen(['sleep', '600'])"),
    Attack("probes_environment", "prints the environment, looking for the grading run", (), part="conv2d",
           code="print(sorted(__import__('os').environ.items()))"),
)

FAULTS = (
    Attack("infinite_loop", "avg_pool2d never returns", ("avg_pool2d",), "timed out", part="avg_pool2d",
           code="while True:\n    pass"),
    Attack("os_exit", "Conv2D.parameters() calls os._exit", ("Conv2D",), "kernel died",
           tamper=replace_in("Conv2D", "    def parameters(self):\n",
                             "    def parameters(self):\n        import os; os._exit(3)\n")),
    Attack("out_of_memory", "max_pool2d allocates without end", ("max_pool2d",), "MemoryError", part="max_pool2d",
           code="hoard = [np.ones(10**8) for _ in range(1000)]"),
    Attack("sys_exit", "conv2d_naive calls sys.exit()", ("conv2d_naive",), "SystemExit", part="conv2d_naive",
           code="import sys\nsys.exit(0)"),
    Attack("keyboard_interrupt", "pad2d raises KeyboardInterrupt", ("pad2d",), "KeyboardInterrupt", part="pad2d",
           code="raise KeyboardInterrupt"),
    Attack("segfault", "SimpleConvNet.forward crashes the interpreter (reads address 0)", ("SimpleConvNet",),
           "kernel died", tamper=replace_in("SimpleConvNet", "        for layer in self.layers:\n",
                                            "        import ctypes; ctypes.string_at(0)\n"
                                            "        for layer in self.layers:\n")),
    Attack("fork_bomb", "max_pool2d starts processes until it cannot (each sleeps for 10 minutes)", ("max_pool2d",),
           part="max_pool2d", code="import os, time\nif not globals().get('_forked'):\n    for _ in range(400):\n"
                                   "        if os.fork() == 0:\n            time.sleep(600)\n            os._exit(0)\n"
                                   "    globals()['_forked'] = True"),
    Attack("prints_megabytes", "conv2d prints 20 MB each call", (), part="conv2d", code="print('x' * 20_000_000)"),
    Attack("writes_huge_file", "conv_output_size writes a 200 MB file", ("conv_output_size",), "OSError",
           part="conv_output_size", code="open('big.bin', 'wb').write(bytes(200 * 2**20))"),
)

TAMPERING = (
    Attack("deletes_test_cells", "deletes every visible test cell of Part C (solution right)", (),
           tamper=then(drop_cell("test_conv2d_example"), drop_cell("test_conv2d_reference"))),
    Attack("empties_test_cells", "wrong conv2d, and its test cells emptied", ("conv2d",),
           tamper=then(flipped_conv2d, edit_cell("test_conv2d_reference", lambda c: setattr(c, "source", "pass")),
                       edit_cell("test_conv2d_example", lambda c: setattr(c, "source", "pass")))),
    Attack("raises_points", "wrong conv2d, and its test cell's points set to 1000", ("conv2d",),
           tamper=then(flipped_conv2d, edit_cell("test_conv2d_reference",
                                                 lambda c: c.metadata.nbgrader.update(points=1000)))),
    Attack("unlocks_and_renames", "wrong conv2d, its test cell unlocked and renamed", ("conv2d",),
           tamper=then(flipped_conv2d, edit_cell("test_conv2d_reference",
                                                 lambda c: c.metadata.nbgrader.update(locked=False, grade_id="mine")))),
    Attack("test_cell_made_markdown", "wrong conv2d, its test cell turned into markdown", ("conv2d",),
           tamper=then(flipped_conv2d, edit_cell("test_conv2d_reference",
                                                 lambda c: setattr(c, "cell_type", "markdown")))),
    Attack("rigged_eq", "conv2d_naive returns an object equal to everything", ("conv2d_naive",), part="conv2d_naive",
           code="class Anything:\n    def __eq__(self, other): return True\n    shape = property(lambda self: (2, 2))\n"
                "return Anything()"),
    Attack("ndarray_subclass", "pad2d returns an ndarray subclass whose comparisons are all True", ("pad2d",),
           part="pad2d", code="class Yes(np.ndarray):\n    def __eq__(self, other): return np.ones(self.shape, bool)\n"
                              "return np.zeros((1, 1)).view(Yes)"),
    Attack("silences_tracebacks", "wrong conv2d, and IPython's traceback display switched off", ("conv2d",),
           tamper=then(flipped_conv2d, insert_after_setup(
               "get_ipython().showtraceback = lambda *a, **k: None\n"
               "get_ipython().showsyntaxerror = lambda *a, **k: None"))),
    Attack("patches_allclose", "wrong conv2d, and np.allclose patched to always agree (which also trips the "
           "visible flipped-kernel check of conv2d_naive)", ("conv2d_naive", "conv2d"),
           "re-verification failed",
           tamper=then(flipped_conv2d, insert_after_setup("np.allclose = lambda *a, **k: True"))),
    Attack("replaces_grader", "wrong conv2d, and the hidden grader object replaced by a no-op (whose answers also "
           "fail the hidden Conv2D and SimpleConvNet checks in the kernel)", ("conv2d", "Conv2D", "SimpleConvNet"),
           tamper=then(flipped_conv2d, insert_after_setup(
               "class _Anything:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
               "_grader = _Anything()")), status="re-verification failed"),
    Attack("calls_hidden_reference", "conv2d returns the hidden grader's own reference result", ("conv2d",),
           "re-verification failed", part="conv2d", code="return _grader.conv2d(x, weight, bias, stride, padding)"),
    Attack("patches_grader_methods", "wrong conv2d, and the hidden grader's checks patched into no-ops", ("conv2d",),
           "re-verification failed", tamper=then(flipped_conv2d, insert_after_setup(
               "for _name in ('compare', 'check', 'expect_value_error', 'check_loops'):\n"
               "    setattr(_Grader, _name, lambda *a, **k: None)"))),
    Attack("prints_hidden_tests", "prints the hidden grader's source, hoping to find it in the feedback", (),
           tamper=insert_after_setup("import inspect\nfor _f in vars(_Grader).values():\n"
                                     "    if inspect.isfunction(_f):\n        print(inspect.getsource(_f))")),
)

BROKEN = (
    Attack("not_json", "a notebook cut off halfway", "all", "not valid JSON",
           files={f"{NOTEBOOK}.ipynb": b'{"cells": [{"cell_type": "code", "sour'}),
    Attack("empty_file", "an empty cnn.ipynb", "all", "empty file", files={f"{NOTEBOOK}.ipynb": b""}),
    Attack("binary_garbage", "random bytes named cnn.ipynb", "all", "not valid JSON",
           files={f"{NOTEBOOK}.ipynb": bytes(range(256)) * 4}),
    Attack("json_not_notebook", "a JSON list", "all", "not a notebook", files={f"{NOTEBOOK}.ipynb": b"[1, 2, 3]"}),
    Attack("missing_notebook", "hands in a text file only", "all", "no cnn.ipynb", files={"notes.txt": b"sorry"}),
    Attack("links_to_source", "cnn.ipynb is a symbolic link to the instructor's notebook", "all", "symbolic link",
           files={f"{NOTEBOOK}.ipynb": Path("source") / ASSIGNMENT / f"{NOTEBOOK}.ipynb"}),
    Attack("notebook_is_a_folder", "cnn.ipynb is a folder", "all", "no cnn.ipynb", files={f"{NOTEBOOK}.ipynb": None}),
    Attack("misnamed_notebook", "the solution saved as 'cnn (1).ipynb'", (), "as cnn.ipynb",
           files={"cnn (1).ipynb": solved_notebook}),
    Attack("nbformat_3", "the solution saved in nbformat 3", (), "converted from nbformat 3",
           files={f"{NOTEBOOK}.ipynb": lambda course: solved_notebook(course, 3)}),
    Attack("broken_metadata", "the solution with garbage nbgrader metadata in two cells", (), "repaired",
           tamper=then(edit_cell("conv2d", lambda c: c.metadata.update(nbgrader="garbage")),
                       edit_cell("test_pad2d", lambda c: c.metadata.nbgrader.pop("points")))),
)

ATTACKS = ESCAPE + FAULTS + TAMPERING + BROKEN

# Honest students graded in the same batch, with the scores they must keep to the point.
HONEST = (sample_class.FULL_SOLUTION,) + tuple(s for s in sample_class.SAMPLE_CLASS if s.student_id == "flipped_kernel")


@dataclass
class HostileRun:
    course: Path
    parts: dict            # {student: {part: (score, max)}}
    status: dict           # {student: grade.Status}
    snapshot_before: dict  # {file: sha256} of the course and the submissions, before and after grading
    snapshot_after: dict
    stray_processes: list


def snapshot(course: Path) -> dict[str, str]:
    """A fingerprint of every file that grading must leave alone: source, release, config, tools, submissions."""
    watched = [course / "nbgrader_config.py"] + [p for folder in ("source", "release", "coursetools", "submitted")
                                                 for p in sorted((course / folder).rglob("*")) if p.is_file()]
    return {str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest() for p in watched
            if "__pycache__" not in p.parts}


def processes_running(argv: list[str]) -> list[int]:
    """Process ids whose command line is exactly `argv`, read from /proc."""
    wanted, found = "\0".join(argv) + "\0", []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if entry.read_text(errors="replace") == wanted:
                found.append(int(entry.parent.name))
        except OSError:  # the process ended while we looked
            continue
    return found


def run_hostile(course: Path, attacks=ATTACKS) -> HostileRun:
    """Hand in the attacks beside the honest students and grade them all with the TA's command."""
    with open(course / "nbgrader_config.py", "a") as config:  # faster timeouts: the loops run for nothing
        config.write("\nc.SandboxedExecute.cell_timeout = 10\nc.SandboxedExecute.notebook_seconds = 120\n")
    commands.nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    for attack in attacks:
        attack.write(course)
    sample_class.build(course, HONEST)
    ids = [a.name for a in attacks] + [s.student_id for s in HONEST]
    cycle.register(course, ids)
    before = snapshot(course)
    intakes = grade.autograde(course)
    grade.finish(course)
    statuses = {s.student: s for s in grade.statuses(course, intakes)}
    strays = processes_running(["sleep", "600"])
    return HostileRun(course, scores.part_scores(commands.gradebook_url(course), ids), statuses, before,
                      snapshot(course), strays)


@dataclass
class InterruptedRun:
    graded_before_kill: int   # students whose autograded notebook existed when the run was killed
    after_restart: dict       # {student: {grade cell: (score, max)}} after grading again
    after_rerun: dict         # the same after grading a third time
    submissions: list         # student ids of the gradebook's submissions of the assignment


def graded_students(course: Path) -> list[str]:
    """The students whose autograde has finished in the current grading (see coursetools/graded.py)."""
    return [path.stem for path in (course / STATUS_DIR).glob("*.graded")]


def run_interrupted(course: Path, students: int = 5) -> InterruptedRun:
    """Kill the TA's command (and its kernels) halfway through a class, grade again, and grade once more."""
    commands.nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    honest = [replace(sample_class.FULL_SOLUTION, student_id=f"student{i}") for i in range(students)] + list(HONEST)
    sample_class.build(course, honest)
    ids = [s.student_id for s in honest]
    cycle.register(course, ids)
    run = subprocess.Popen([sys.executable, "-m", "coursetools.grade", str(course)], cwd=course,
                           start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while len(graded_students(course)) < 2 and run.poll() is None:
        assert time.monotonic() < deadline, "the grading never got going"
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    graded = len(graded_students(course))
    url = commands.gradebook_url(course)
    grade.autograde(course)
    after_restart = scores.cell_scores(url, ids)
    grade.autograde(course)
    with Gradebook(url) as gb:
        submissions = [s.student.id for s in gb.find_assignment(ASSIGNMENT).submissions]
    return InterruptedRun(graded, after_restart, scores.cell_scores(url, ids), submissions)


def run_without_sandbox(course: Path, refuse: bool) -> tuple[int, str, dict]:
    """The TA's command with bubblewrap switched off, grading the honest students, optionally refusing to.

    Returns its exit status, what it printed and {student: status}."""
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.SandboxedExecute.bubblewrap = False\nc.SandboxedExecute.require_sandbox = {refuse}\n")
    commands.nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    sample_class.build(course, HONEST)
    cycle.register(course, [s.student_id for s in HONEST])
    done = subprocess.run([sys.executable, "-m", "coursetools.grade", str(course)], cwd=course, capture_output=True,
                          text=True, check=False)
    intakes = [intake.Intake(s.student_id, "ok", "") for s in HONEST]
    return done.returncode, done.stdout, {s.student: s for s in grade.statuses(course, intakes)}


def outcomes(run: HostileRun) -> list[str]:
    """One line per attack: its score of the autograded points, the parts it lost and its status."""
    lines = []
    for attack in ATTACKS:
        parts = {p: v for p, v in run.parts[attack.name].items() if p != "weight_sharing_answer"}
        lost_parts = [p for p, (score, most) in parts.items() if score < most]
        loses = "everything" if len(lost_parts) == len(parts) else ", ".join(lost_parts) or "nothing"
        status = run.status[attack.name]
        notes = "; ".join(filter(None, [status.reason, *status.incidents])) or "-"
        lines.append(f"- `{attack.name}` ({attack.description}): {sum(s for s, _ in parts.values()):g}/"
                     f"{sum(m for _, m in parts.values()):g}, loses {loses}; status: {notes}")
    return lines


if __name__ == "__main__":  # python tests/hostile.py: grade the catalogue in a temporary course, print what each gets
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print("\n".join(outcomes(run_hostile(commands.copy_course(Path(__file__).resolve().parents[1],
                                                                   Path(folder) / "course")))))
