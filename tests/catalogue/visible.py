"""Do the visible tests warn? Every catalogue entry run through the *release* notebook's visible tests only, as a
student runs them before submitting.

    PYTHONPATH=.:tests .venv/bin/python -m catalogue.visible [--assignment ID]   # the figure and one line per entry

For each entry, in a fresh namespace of one process (this module's `main`, which the tests start as one
subprocess): the release's setup (imports, functions, classes and the assignments that the visible tests read,
such as the worked example's `X` and `K`; figure and demo code is skipped), the solution cells of the entry's
submission (every part solved with the instructor's solution except the entry's own), and every visible test cell,
in notebook order. A test cell fails if it raises or warns (nbgrader zeroes a cell that writes to stderr). A
wrong entry stops at its first failing test cell (it has been warned); right entries run every cell. Each entry
has its own time limit.
"""
import argparse
import ast
import contextlib
import copy
import io
import json
import linecache
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.utils import is_grade, is_solution

REPO = Path(__file__).resolve().parents[2]
SECONDS_PER_ENTRY = 30
LINE = "{assignment}: wrong implementations caught by the visible tests: {caught}/{wrong} (surprises: {surprises})"
SUMMARY = pytest.StashKey[dict]()  # {assignment: the line}, once tests/test_visible_catch_rate.py has measured it

# Per assignment, the wrong entries that pass every visible test, each with the reason a visible test cannot
# fairly catch it.
EXPECTED_SURPRISES: dict[str, dict[str, str]] = {"cnn": {}, "cnn_backprop": {}}


class EntryTimeout(BaseException):
    """The entry's time is up (a BaseException, so that student code's `except Exception` cannot swallow it)."""


@dataclass(frozen=True)
class Result:
    name: str
    part: str
    wrong: bool
    failed: dict  # grade_id -> the first line of what went wrong

    @property
    def caught(self) -> bool:
        return bool(self.failed)


def read_names(tree) -> set[str]:
    """Names a cell reads that it does not bind itself."""
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - stored


def setup_code(source: str, wanted: set[str]) -> str:
    """What a cell that is neither a solution nor a test contributes: imports, functions, classes, and the
    assignments of names the visible tests read (figures and demos are left out)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return ""
    keep = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
            or (isinstance(s, ast.Assign) and wanted & {n.id for t in s.targets for n in ast.walk(t)
                                                        if isinstance(n, ast.Name)})]
    return "\n\n".join(ast.get_source_segment(source, s, padded=True) or ast.unparse(s) for s in keep)


def program(nb) -> list[tuple[str | None, str]]:
    """[(grade_id of a visible test cell or None, code)] in notebook order."""
    cells = [c for c in nb.cells if c.cell_type == "code"]
    tests = [c for c in cells if is_grade(c) and c.metadata.nbgrader.get("points")]
    wanted = set().union(*(read_names(ast.parse(c.source)) for c in tests))
    steps = []
    for cell in cells:
        if is_grade(cell):
            if cell.metadata.nbgrader.get("points"):
                steps.append((cell.metadata.nbgrader["grade_id"], cell.source))
        elif is_solution(cell):
            steps.append((None, cell.source))
        elif code := setup_code(cell.source, wanted):
            steps.append((None, code))
    return steps


def _timeout(*_):
    raise EntryTimeout()


def run_entry(steps, first_only: bool = False) -> dict:
    """Run one submission's program in a fresh namespace; {grade_id: why} for each visible test cell that failed
    (with first_only, only the first: the student has been warned, and the rest need not run)."""
    namespace, failed = {"__name__": "__main__"}, {}
    signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_ENTRY)
    try:
        for number, (grade_id, code) in enumerate(steps):
            filename = f"<cell {number}>"
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # inspect.getsource
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("always")
                try:
                    exec(compile(code, filename, "exec"), namespace)
                    error = None
                except EntryTimeout:
                    raise
                except BaseException as exception:  # noqa: BLE001 (SystemExit, KeyboardInterrupt: a failure too)
                    error = f"{type(exception).__name__}: {exception}"
            if grade_id and (error or caught):
                why = error or f"stderr: {caught[0].category.__name__}: {caught[0].message}"
                failed[grade_id] = why.splitlines()[0][:300] if why.strip() else why
                if first_only:
                    break
    except EntryTimeout:
        failed["(timeout)"] = f"the notebook did not finish in {SECONDS_PER_ENTRY} s"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON line per entry (what the tests read)")
    parser.add_argument("--assignment", default="cnn", help="whose catalogue and release (default: cnn)")
    args = parser.parse_args(argv)

    import catalogue
    from coursetools.grading import notebook

    found = catalogue.of(args.assignment)
    sample_class = found.assignment.sample_class

    cached = {}
    real_read = notebook.read

    def read_once(path):  # sample_class reads the release and the source for every student: read each once
        if path not in cached:
            cached[path] = real_read(path)
        return copy.deepcopy(cached[path])

    notebook.read = read_once
    students = [("full_solution", "", False, sample_class.FULL_SOLUTION)]
    students += [(e.name, e.part, e.wrong, e.student(found.assignment)) for e in found.entries]
    results = []
    for name, part, wrong, student in students:
        result = Result(name, part, wrong, run_entry(program(sample_class.submission(student, REPO)), first_only=wrong))
        results.append(result)
        if args.json:
            print(json.dumps(result.__dict__), flush=True)
        else:
            verdict = ", ".join(f"{cell}: {why}" for cell, why in result.failed.items()) or "passes every visible test"
            print(f"{'wrong' if wrong else 'right'} {part or '-':<17} {name:<32} {verdict}", flush=True)
    if not args.json:
        print(summary(args.assignment, results))
    return 0


def summary(assignment_id: str, results: list[Result]) -> str:
    wrong = [r for r in results if r.wrong]
    caught = sum(r.caught for r in wrong)
    surprises = [r.name for r in wrong if not r.caught]
    line = LINE.format(assignment=assignment_id, caught=caught, wrong=len(wrong), surprises=len(surprises))
    return line + (f" {surprises}" if surprises else "")


def terminal_summary(terminalreporter, config) -> None:
    """The measured line at the end of a pytest run: call it from conftest.py's pytest_terminal_summary."""
    if config.stash.get(SUMMARY, None):
        terminalreporter.write_sep("=", "visible tests")
        for line in config.stash[SUMMARY].values():
            terminalreporter.write_line(line)


def run(assignment_id: str, timeout: float = 300) -> list[Result]:
    """Every entry of the assignment's catalogue (and the full solution) through its release's visible tests, in
    one subprocess."""
    done = subprocess.run([sys.executable, "-m", "catalogue.visible", "--json", "--assignment", assignment_id],
                          cwd=REPO / "release" / assignment_id, capture_output=True,  # beside its data files
                          text=True, timeout=timeout, check=True,
                          env={"PYTHONPATH": f"{REPO}{':'}{REPO / 'tests'}", "MPLBACKEND": "agg",
                               "PATH": str(Path(sys.executable).parent)})
    return [Result(**json.loads(line)) for line in done.stdout.splitlines() if line.startswith("{")]


if __name__ == "__main__":
    sys.exit(main())
