"""The grader's verdict on every grade cell, reached where no student code runs.

The student's kernel runs the notebook without hidden tests (coursetools/grading/sandbox.py), so neither the hidden
tests' code nor the reference implementations ever exist where student code could read or patch them.
`VerifyScores` runs right after that sandboxed execution (see nbgrader_config.py). It starts a fresh sandboxed
worker (verify_worker.py) that runs only the student's code, then runs each grade cell's whole code, visible
and hidden tests, here in the TA's own process, with the student's names (their parts and whatever else
their notebook defines) bound to `Remote` stand-ins that forward calls to the worker and bring back plain data
(coursetools/verification/wire.py), and the instructor's imports (`np`) bound to the TA's own modules. The tests come from the cells nbgrader restored
from the gradebook, so the student can touch neither them nor the comparisons. Each grade cell's outputs
become what its tests printed and raised here, so nbgrader scores the grader's verdict.
"""
import ast
import builtins
import contextlib
import io
import shutil
import subprocess
import tempfile
import time
import traceback
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
from nbgrader.utils import determine_grade, is_grade, is_solution

from coursetools.verification import loop_rule, wire
from coursetools.verification.references import References, refused
from coursetools.grading.notebook import HIDDEN_MARKERS, hidden_code
from coursetools.grading.sandbox import (SandboxedExecute, bubblewrap, bubblewrap_works, environment_python, prlimit,
                                        read_status, sandbox_environment)

WORKER_FILES = [Path(__file__).with_name("verify_worker.py"), Path(__file__).with_name("wire.py")]
MAX_RESTARTS = 3
MAX_LOAD_FAULTS = 5    # cells that may stop the worker while it loads the program, each left out on the next start
LOAD_GRACE = 5         # seconds past a statement's own time limit before a loading worker is taken for hung
WORKER_MARGIN = 0.5    # seconds of a cell's time kept for the worker to reply after its own time limit
GRADE_CELL = "<grade cell>"  # the file name the tests' code runs under here
KERNEL_FAULTS = {"CellTimeoutError", "DeadKernelError"}  # the errors sandbox_runner.py gives a cell it stopped


class WorkerFailed(Exception):
    """The worker stopped answering: it timed out, died or sent something that is not data."""


class WorkerTimedOut(WorkerFailed):
    """The worker did not answer before the cell's time was up."""


class LoadFault(WorkerFailed):
    """The worker died or hung while it ran statement `where` ([cell, statement] of the program) of the program."""

    def __init__(self, message: str, where, hung: bool):
        super().__init__(message)
        self.where, self.hung = where, hung


class NeverReturns(AssertionError):
    """The part under test, run in the student's program as submitted, calls itself or another part without end."""


class Remote:
    """Something in the student's worker: a global name or an object it sent by reference."""

    def __init__(self, session, target: dict):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name):
        if name.startswith("__") and name != "__name__":  # NumPy and friends probe for protocols: the answer is no
            raise AttributeError(name)
        return self._session.ask("getattr", self._target, name=name)

    def __setattr__(self, name, value):
        self._session.ask("setattr", self._target, name=name, value=value)

    def __call__(self, *args, **kwargs):
        return self._session.call(self._target, args, kwargs)

    def __getitem__(self, key):
        return self._session.ask("getitem", self._target, key=key)

    def __len__(self):
        return self._session.ask("len", self._target)

    def __instancecheck__(self, obj):
        return isinstance(obj, Remote) and "ref" in obj._target and \
            self._session.ask("isinstance", self._target, object=obj._target["ref"]) is True

    def __repr__(self):
        return f"<{self._target.get('global', 'an object')} from the student's code>"


class StudentNames(dict):
    """The grader's view of the student's names (`_grader.ns`): any name is looked up in the worker."""

    def __init__(self, session):
        super().__init__()
        self.session = session

    def __missing__(self, name):
        return Remote(self.session, {"global": name})


class Worker:
    """One sandboxed verify_worker.py process that has run the student's program."""

    def __init__(self, program: list, limits: dict, sandboxed: bool, callback, skip=(), left_out=None, hung=()):
        """Start the worker and load `program`, leaving out the statements `skip` ([cell, number]) and the cells
        `left_out` ({"cell": why}); the functions `hung` fail at once when the program runs as submitted."""
        # Arrays the worker sent, by its id, while this side holds them (the worker keeps every one alive).
        self.callback, self.arrays = callback, weakref.WeakValueDictionary()
        self.loading = self.doing = self.loaded = None  # the statement it loads; what it does; its load report
        self.hung = False
        self.folder = tempfile.TemporaryDirectory(prefix="verify-")
        workdir = Path(self.folder.name)
        for file in WORKER_FILES:
            shutil.copy(file, workdir / file.name)
        command = prlimit(limits) + [environment_python(), "verify_worker.py"]
        self.process = subprocess.Popen((bubblewrap(workdir) if sandboxed else []) + command, cwd=workdir,
                                        env=sandbox_environment(workdir), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.replies = wire.DeadlineReader(self.process.stdout.fileno())
        self.step_seconds = limits["cell_timeout"] + LOAD_GRACE
        try:
            self.loaded = self.request({"cells": program, "statement_seconds": limits["cell_timeout"],
                                        "skip": list(skip), "left_out": left_out or {}, "hung": sorted(hung)},
                                       time.monotonic() + limits["notebook_seconds"])
        except WorkerFailed as failure:
            self.close()
            raise LoadFault(str(failure), self.loading, self.hung) from None
        self.loading = None

    def request(self, message: dict, deadline: float, reference=None, dereference=None):
        """Send `message`, answer the worker's questions for reference results, return its reply.

        While it loads the program, the worker names each statement before it runs it: each gets its own time
        limit (and a worker that dies is known to have died in it)."""
        self.replies.deadline, self.doing = deadline, None
        try:
            wire.send(self.process.stdin, message, reference)
            while True:
                reply = wire.receive(self.replies, dereference, self.arrays)
                note = next(iter(reply), None) if isinstance(reply, dict) and len(reply) == 1 else None
                if note == "callback":
                    wire.send(self.process.stdin, self.callback(reply["callback"]))
                elif note == "loading" and self.loaded is None:
                    self.loading = [int(number) for number in reply["loading"][:2]]
                    self.replies.deadline = min(deadline, time.monotonic() + self.step_seconds)
                elif note == "doing":
                    self.doing = str(reply["doing"])[:200]
                else:
                    break
        except TimeoutError:
            self.hung = True
            raise WorkerTimedOut(f"it did not answer in time (an infinite loop?){self.while_doing()}") from None
        except (EOFError, BrokenPipeError):
            raise WorkerFailed("the student's code stopped the process (os._exit, a crash or running out of "
                               f"memory){self.while_doing()}") from None
        except (ValueError, KeyError, TypeError, OSError) as problem:
            raise WorkerFailed(f"it sent something that is not data ({problem})") from None
        if not isinstance(reply, dict) or not ({"ok", "error"} & reply.keys()):
            raise WorkerFailed("it sent a malformed reply")
        if "error" in reply:
            raise wire.rebuilt(reply["error"])
        return reply["ok"]

    def while_doing(self) -> str:
        return f" while {self.doing}" if self.doing else ""

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()
        self.folder.cleanup()


class Session:
    """The grader's namespace (the setup cell's hidden code) with the student's names bound to one worker."""

    # Rebound when they change, never changed in place, so that these defaults stay empty for every session:
    load_faults: tuple[str, ...] = ()  # one line per cell that stopped or hung the worker while it loaded
    left_out: tuple = ()               # (cell, why) for each of those cells, which the worker no longer runs
    skip: tuple = ()                   # statements ([cell, number]) that ran out of time: not run again
    stand_ins: frozenset = frozenset()  # the parts the worker may ask the references of, in this test
    references: References | None = None

    def __init__(self, setup_code: str, program: list, limits: dict, sandboxed: bool, context: dict | None = None):
        self.program, self.limits, self.sandboxed = program, limits, sandboxed
        self.context = context or {}  # {name: the instructor's statement that binds it}, run here on first use
        self.ns = {"__name__": "verifier"}
        exec(compile(setup_code, "<grader setup>", "exec"), self.ns)
        self.grader = self.ns["_grader"]
        self.grader.ns = StudentNames(self)
        self.grader.grade_alone = self.grade_alone
        self.grader.check_loops = lambda part, names=None, modules=None, require_loop=True: loop_rule.check(
            program, part, self.grader.LIBRARY_NAMES if names is None else names,
            self.grader.LIBRARY_MODULES if modules is None else modules, set(self.grader.references) - {part},
            require_loop)
        self.worker, self.restarts, self.deadline = None, 0, 0.0
        self.hung = {}  # {student name: why}: names whose call ran out of time, not called again (fail fast)

    # ----- the worker -----
    def start(self) -> None:
        """Start a worker if none runs. A cell that ends or hangs it while it loads is left out of the program
        from then on, as the kernel leaves out a cell that killed it, and named in `load_faults`; statements
        that ran out of time are not run again either. The time it takes does not count against the cell."""
        if self.worker is not None:
            return
        began = time.monotonic()
        while self.worker is None:
            if self.restarts > MAX_RESTARTS:
                raise WorkerFailed(f"the student's code was restarted {MAX_RESTARTS} times already")
            try:
                self.worker = Worker(self.program, self.limits, self.sandboxed, self.answer_callback, self.skip,
                                     {str(cell): why for cell, why in self.left_out}, self.hung)
            except LoadFault as fault:
                if fault.where is None or len(self.left_out) >= MAX_LOAD_FAULTS:
                    self.restarts += 1
                    raise
                why = ("hung the re-verification worker while loading (a loop that outlasts the time limit?)"
                       if fault.hung else "stopped the re-verification worker while loading (os._exit?)")
                self.left_out += ((fault.where[0], why),)
                self.load_faults += (f"{self.cell_name(fault.where[0])} {why}: graded without that cell",)
        self.restarts += 1
        self.deadline += time.monotonic() - began
        loaded = self.worker.loaded if isinstance(self.worker.loaded, dict) else {}
        self.skip += tuple(statement for statement in loaded.get("timed_out", []) if statement not in self.skip)

    def after_the_kernel(self, stops: list[dict], cells: list[int]) -> None:
        """Do not wait again for what the kernel already waited for (`stops`: where its cells timed out, see
        sandbox.returned_stops; `cells`: the notebook's index of each program cell). The function that was
        running fails at once here, as it does in the kernel's later cells; a program cell's top-level statement
        that was running is not run again, as a statement that times out here is not."""
        for stop in stops:
            if (name := stop["function"]) and name not in self.hung:
                self.hung[name] = (f"{name} did not return when your notebook ran (it was stopped in cell "
                                   f"{stop['cell']}: an infinite loop?): not run again")
            if stop["line"] is not None and stop["cell"] in cells:
                index = cells.index(stop["cell"])
                number = statement_at(self.program[index][0], stop["line"])
                if number is not None and [index, number] not in self.skip:
                    self.skip += ([index, number],)

    def cell_name(self, index: int) -> str:
        """The program's cell `index` as the TA and the student know it: its number in the notebook, if the
        program has it (a third item), and what it defines."""
        entry = self.program[index]
        names = [s.name for s in loop_rule.parse([entry[0]]) if isinstance(s, (ast.FunctionDef, ast.ClassDef))]
        defining = f" (defining {', '.join(names)})" if names else ""
        return (f"cell {entry[2]}" if len(entry) > 2 else "a cell") + defining

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        if self.references is not None:
            self.references.stop()

    def request(self, message: dict):
        self.start()
        worker = self.worker
        try:
            return worker.request(message, self.deadline, self.reference,
                                  lambda number: Remote(self, {"ref": number, "worker": id(worker)}))
        except WorkerFailed:
            self.stop()
            raise

    def reference(self, obj) -> int:
        if isinstance(obj, Remote) and obj._target.get("worker") == id(self.worker):
            return obj._target["ref"]
        raise ValueError(f"{obj!r} cannot be sent to the student's code")

    # ----- what Remote asks -----
    def ask(self, op: str, target: dict, **fields):
        """A request about `target`; the worker's own time limit for it ends just before the cell's."""
        seconds = max(self.deadline - time.monotonic() - WORKER_MARGIN, 0)
        message = {"op": op, **{k: v for k, v in target.items() if k != "worker"}, **fields, "seconds": seconds}
        return self.request(message)

    def call(self, target: dict, args, kwargs):
        """Call the student's `target`. A name whose call ran out of time once fails at once from then on, so
        an infinite loop costs one time limit, not one per test that calls it (except while the name is a stand-in
        for the reference, in another part's test)."""
        name = target.get("global")
        if name in self.stand_ins:  # the reference in this test, not the student's function that hung
            name = None
        if name in self.hung:
            raise WorkerFailed(self.hung[name])
        try:
            reply = self.ask("call", target, args=list(args), kwargs=dict(kwargs))
        except Exception as failure:
            # Out of time: the worker's own alarm (StatementTimeout, rebuilt here) or no answer at all.
            if name and (isinstance(failure, WorkerTimedOut) or type(failure).__name__ == "StatementTimeout"):
                self.hung[name] = f"{name} did not return in time in an earlier test (an infinite loop?): not run again"
            raise
        if reply["as_submitted"]:
            raise NeverReturns(str(reply["as_submitted"]))
        for category, message in reply.get("warnings", [])[:5]:  # warned again here, where a test can see them
            found = getattr(builtins, str(category), None)
            warnings.warn(str(message), found if isinstance(found, type) and issubclass(found, Warning) else UserWarning,
                          stacklevel=2)
        for mine, theirs in zip(args, reply["args"], strict=True):
            # What the student's function did to its inputs happens to ours, so in-place edits are caught.
            if isinstance(mine, np.ndarray) and isinstance(theirs, np.ndarray) and mine.shape == theirs.shape:
                np.copyto(mine, theirs, casting="unsafe")
        result = reply["result"]
        for index in reply["shares"]:
            if isinstance(args[index], np.ndarray) and np.shape(result) == args[index].shape:
                return args[index]  # it returned its input (or a view of all of it): the same object here
        return result

    def answer_callback(self, question) -> dict:
        """A reference result for a stand-in in the worker, computed under the student's limits (References).

        Only the parts that are stand-ins in this test are answered: student code can write the worker's
        questions itself, and must not get the reference of the part it is graded on."""
        name = question.get("name") if isinstance(question, dict) else None
        if not isinstance(name, str) or name not in self.stand_ins:
            return refused(f"{name!r} is not one of the other parts while a part is graded on its own")
        if self.references is None:
            self.references = References(self.grader.references, self.limits)
        return self.references.answer(question, self.deadline - 2 * WORKER_MARGIN)

    def grade_alone(self, part: str) -> None:
        """The worker swaps every graded name but `part` for a stand-in that asks us for the reference."""
        stand_ins = {name: self.methods(ref) for name, ref in self.grader.references.items() if name != part}
        self.stand_ins = frozenset(stand_ins)
        self.request({"op": "test", "part": part, "stand_ins": stand_ins})

    @staticmethod
    def methods(reference):
        if not isinstance(reference, type):
            return None
        return [m for m in dir(reference) if callable(getattr(reference, m))
                and (m == "__call__" or not m.startswith("__"))]

    # ----- one grade cell -----
    def bind(self, tree) -> None:
        """Bind the names `tree` reads and does not set: from the instructor's context (run here, with what it
        needs in turn), else as stand-ins for the student's names (their parts and classes)."""
        stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        for node in ast.walk(tree):
            name = node.id if isinstance(node, ast.Name) else None
            if not name or name in self.ns or name in stored or hasattr(builtins, name):
                continue
            if name in self.context:
                statement = ast.Module([self.context.pop(name)], type_ignores=[])  # popped: no cycles
                self.bind(statement)
                try:
                    exec(compile(statement, "<instructor's notebook>", "exec"), self.ns)
                    continue
                except Exception:  # noqa: BLE001 (the instructor's statement needs what is not here)
                    pass
            self.ns[name] = Remote(self, {"global": name})

    def run(self, code: str) -> "Verdict":
        """Run a grade cell's whole code (visible and hidden tests) here, against the worker."""
        tree = ast.parse(code)
        self.bind(tree)
        self.restarts = 0  # each cell may restart a worker that its calls killed, up to MAX_RESTARTS times
        self.deadline = time.monotonic() + self.limits["cell_timeout"]
        printed = io.StringIO()
        try:  # warnings a test does not catch itself are dropped: nbgrader reads this verdict, not stderr
            with contextlib.redirect_stdout(printed), warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                exec(compile(tree, GRADE_CELL, "exec"), self.ns)
        except WorkerFailed as failure:
            return Verdict(printed.getvalue(), "VerificationFailed", f"the grader could not run your code: {failure}",
                           None)
        except Exception as error:  # noqa: BLE001 (a failing test, whatever it raised)
            lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == GRADE_CELL]
            return Verdict(printed.getvalue(), type(error).__name__, str(error), lines[-1] if lines else None)
        return Verdict(printed.getvalue(), None, "", None)


@dataclass(frozen=True)
class Verdict:
    """What a grade cell's tests gave outside the student's process."""
    printed: str          # what the tests printed
    error: str | None     # the exception's name, None if the cell passed
    message: str
    line: int | None      # the cell's line that raised, if known


def student_program(nb) -> list:
    """[(source, definitions only?)] for every code cell that is not a grade cell.

    Solution cells run whole; other cells (provided code, demos, the student's own extra cells) contribute
    only their imports, functions and classes, so that figures and timings are not computed again."""
    return [(cell.source, not is_solution(cell)) for cell in nb.cells
            if cell.cell_type == "code" and not is_grade(cell)]


def statement_at(source: str, line: int) -> int | None:
    """The number of the top-level statement of `source` that holds `line`, as the worker numbers them."""
    try:
        body = ast.parse(loop_rule.MAGIC.sub(r"\1pass", source)).body
    except SyntaxError:
        return None
    return next((number for number, statement in enumerate(body)
                 if statement.lineno <= line <= (statement.end_lineno or statement.lineno)), None)


def program_cells(nb) -> list[int]:
    """The notebook's index of each cell of student_program(nb)."""
    return [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code" and not is_grade(cell)]


def passed(cell) -> bool:
    try:
        score, _ = determine_grade(cell)
    except ValueError:
        return False
    return bool(score)


def instructor_context(source_nb) -> dict[str, ast.stmt]:
    """{name: the statement that binds it} for the imports and assignments of the instructor's own notebook
    (its cells that are neither tests nor solutions), the data and modules the visible tests use (`np`, an
    example image): these run in the TA's process, so the tests' `np` is the TA's NumPy, never the student's.
    Functions and classes are not taken: those the tests use are the student's program's."""
    context = {}
    for cell in source_nb.cells:
        if cell.cell_type == "code" and not is_grade(cell) and not is_solution(cell):
            for statement in loop_rule.parse([cell.source]):
                if isinstance(statement, (ast.Import, ast.ImportFrom)) and not getattr(statement, "level", 0):
                    for alias in statement.names:
                        context.setdefault(alias.asname or alias.name.split(".")[0], statement)
                elif isinstance(statement, ast.Assign):  # the first binding: later ones may update it in place
                    for name in (n.id for t in statement.targets for n in ast.walk(t) if isinstance(n, ast.Name)):
                        context.setdefault(name, statement)
    return context


def hidden_lines(source: str) -> set[int]:
    """The line numbers (from 1) of a cell's hidden-test regions."""
    begin, end = HIDDEN_MARKERS
    lines, inside = set(), False
    for number, line in enumerate(source.splitlines(), 1):
        inside = (inside or begin in line) and end not in line
        if inside:
            lines.add(number)
    return lines


def verdict_outputs(verdict: Verdict, output_chars: int) -> list:
    """The grade cell's outputs: what its tests printed, then the failure, if any."""
    outputs = []
    if verdict.printed:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=verdict.printed[:output_chars]))
    if verdict.error:
        message = verdict.message[:output_chars]
        outputs.append(nbformat.v4.new_output("error", ename=verdict.error, evalue=message,
                                              traceback=[f"{verdict.error}: {message}"]))
    return outputs


class VerifyScores(SandboxedExecute):
    """Autograde step after SandboxedExecute: judge every grade cell outside the student's process.

    The kernel ran the notebook without its hidden tests; here each grade cell's whole code, visible and hidden
    tests, runs in the TA's process against the sandboxed worker, and its outputs replace the kernel's, so
    nbgrader scores what the grader saw. A visible test that passed in the kernel but fails here (the student's
    code behaved differently, or patched the kernel) is named in the status line as "re-verification failed".
    Shares SandboxedExecute's limits (c.SandboxedExecute.* applies here too)."""

    def preprocess(self, nb, resources):
        student = resources.get("nbgrader", {}).get("student", "unknown")
        assignment = resources.get("nbgrader", {}).get("assignment", "unknown")
        code_cells = [c for c in nb.cells if c.cell_type == "code" and is_grade(c)]
        setup = "\n".join(hidden_code(c.source) for c in code_cells if not c.metadata.nbgrader.get("points"))
        to_judge = [c for c in code_cells if c.metadata.nbgrader.get("points")]
        if not setup or not to_judge:
            return nb, resources
        names = resources.get("nbgrader", {})  # the instructor's notebook, in nbgrader's layout of the course
        source = Path.cwd() / "source" / names.get("assignment", "") / f"{names.get('notebook', '')}.ipynb"
        context = instructor_context(nbformat.read(str(source), as_version=4)) if source.is_file() else {}
        session = Session(setup, student_program(nb), self.limits(), self.bubblewrap and bubblewrap_works(), context)
        session.after_the_kernel(resources.get("stopped_cells", []), program_cells(nb))
        differ = []
        try:
            for cell in to_judge:
                passed_in_kernel = passed(cell)
                verdict = session.run(cell.source)
                # What stopped the kernel in this cell (a timeout, a crash) stays beside a failing verdict.
                faults = [o for o in cell.outputs if o.output_type == "error" and o.ename in KERNEL_FAULTS]
                cell.outputs = (faults if verdict.error else []) + verdict_outputs(verdict, self.output_chars)
                if passed_in_kernel and verdict.error and verdict.line not in hidden_lines(cell.source):
                    differ.append(cell.metadata.nbgrader["grade_id"])
        finally:
            session.stop()
        faults = list(getattr(session, "load_faults", []))
        if differ or faults:
            self.add_incidents(assignment, student, faults + ([f"re-verification failed: {', '.join(differ)}"] if differ else []))
        return nb, resources

    def add_incidents(self, assignment_id: str, student: str, incidents: list[str]) -> None:
        status = read_status(Path.cwd(), assignment_id, student)  # nbgrader runs converters in the course root
        status["incidents"] += incidents
        self.write_status(assignment_id, student, status)
