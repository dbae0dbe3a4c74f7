"""Shared fixtures: private copies of the course and real grading cycles, started together.

The sample classes (every assignment's, in one course) and each assignment's catalogue (in batches) are graded
by separate `nbgrader` runs in separate course copies, concurrently, so the suite costs about the longest run
rather than their sum.
"""
import itertools
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy

import catalogue
from catalogue import visible
from catalogue.verdicts import Verdicts
from coursetools import assignments, cycle
from coursetools.assignments import sample
from coursetools.assignments.cnn import sample_class
from coursetools.gradebook import scores
from coursetools.grading import commands
from coursetools.grading.sandbox import bubblewrap_works
from coursetools.assignments.cnn import ASSIGNMENT as CNN
from dask_cluster import run_on_dask
from hostile import BACKPROP_ATTACKS, BACKPROP_HONEST, run_hostile, run_interrupted, run_without_sandbox
from lms_archives import run_lms

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = tuple(map(assignments.get, assignments.ALL))  # tests about every assignment are parametrized on it
CLASS = sample_class.SAMPLE_CLASS + (sample.INSTRUCTOR_SOURCE,)  # the cnn class, as the older tests know it
# The smallest class that still proves an end-to-end point (PostgreSQL, Dask): right, wrong, crashing, empty.
SMALL_CLASS = tuple(s for s in CLASS if s.student_id in ("full_solution", "flipped_kernel", "crashes", "untouched_stub"))
# The class make regrade grades again (tests/test_regrade.py): full marks, points lost, nothing done.
REGRADE_CLASS = tuple(s for s in CLASS if s.student_id in ("full_solution", "flipped_kernel", "untouched_stub"))
SESSION_START = time.monotonic()
CATALOGUE_BATCHES = 2  # one per core of a CI machine; the sample class runs beside them
VERDICTS = pytest.StashKey[dict[str, Verdicts]]()
TIMELINE = pytest.StashKey[dict[str, list]]()  # {run: [start, end]} in seconds since the session began
FUTURES = pytest.StashKey[dict]()  # {run: future} once the gradings have started


def missing_tool(message: str) -> None:
    """Skip a test whose system tool is missing, except in CI (.ci/run sets CI=1), where that is a failure."""
    pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


def graded(course: Path, students, jobs: int | None = None, assignment=CNN) -> tuple[Path, dict]:
    """Run the whole cycle of `assignment` for `students` in `course`, `jobs` submissions at once (default: one
    per core); returns the course with {student: {grade cell: (score, max)}}."""
    cycle.run(course, assignment, students, jobs)
    return course, scores.cell_scores(commands.gradebook_url(course), assignment, [s.student_id for s in students])


def class_of(assignment) -> tuple:
    """An assignment's sample class, and the instructor's source notebook handed in as a submission."""
    return assignment.sample_class.SAMPLE_CLASS + (sample.INSTRUCTOR_SOURCE,)


def grade_course(course: Path) -> tuple[Path, dict]:
    """The whole cycle of every assignment on its sample class in one course, as `make demo` runs it; returns
    the course with {assignment id: {student: {grade cell: (score, max)}}}."""
    cells = {a.id: graded(course, class_of(a), assignment=a)[1] for a in ASSIGNMENTS}
    return course, cells


def postgres(*statements: str) -> bool:
    """Run SQL statements on the PostgreSQL server that CNN_TEST_POSTGRES_URL names (make test starts one on
    loopback as root); False if there is no such server."""
    admin = os.environ.get("CNN_TEST_POSTGRES_URL")
    try:
        with sqlalchemy.create_engine(admin, isolation_level="AUTOCOMMIT").connect() as server:
            for statement in statements:
                server.execute(sqlalchemy.text(statement))
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ArgumentError):
        return False
    return True


def postgres_database(name: str) -> str | None:
    """The URL of a new, empty database `name` on the test server; None if there is no server."""
    if not postgres(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        return None
    return sqlalchemy.make_url(os.environ["CNN_TEST_POSTGRES_URL"]).set(database=name).render_as_string(
        hide_password=False)


def graded_on(course: Path, url: str, students) -> tuple[Path, dict]:
    """`graded` one submission at a time, with the course's gradebook in the database at `url` instead of
    gradebook.db (so that it differs from the sample class's run in both ways)."""
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    return graded(course, students, jobs=1)


# The grading runs of the suite in the order they start: the longest first, then those that mostly wait (a Dask
# cluster starting, a run killed and started again) and the small ones, and the CPU-bound catalogues last, whose
# tests only read verdicts: what is left after the last grading ends is short (see pytest_runtestloop). A run
# starts only when a selected test reads it (`pytest tests/test_report.py` grades the sample classes alone);
# "{assignment}" stands for the test's `assignment` parameter, or for every assignment when it has none.
CATALOGUE_RUNS = tuple(f"catalogue-{{assignment}}-{batch}" for batch in range(CATALOGUE_BATCHES))
RUNS = ("hostile", "class", "hostile_backprop", "dask", "interrupted", "postgres", "unsandboxed", "refused",
        "lms-canvas", "lms-moodle", "regrade", *(f"catalogue-{a.id}-{batch}" for a in ASSIGNMENTS
                                                 for batch in range(CATALOGUE_BATCHES)))
READ_BY = {"graded_hostile": ("hostile",), "graded_hostile_backprop": ("hostile_backprop",), "graded_class": ("class",), "class_cells": ("class",),
           "graded_course": ("class",), "graded_catalogue": CATALOGUE_RUNS,
           "interrupted_grading": ("interrupted",), "graded_on_dask": ("dask",), "graded_on_postgres": ("postgres",),
           "without_sandbox": ("unsandboxed", "refused"), "lms_graded": ("lms-canvas", "lms-moodle"),
           "graded_for_regrade": ("regrade",)}
AT_ONCE = 3  # grading runs at a time; each grades one submission per core, and kernels often wait
# The gradings yield to the test thread: the suite is bound by CPU, and the one test thread (its browsers and hubs)
# is what is left when the pool ends, so it goes first and the pool takes the rest of the cores.
GRADING_NICE = 5


def needed_runs(items) -> list[str]:
    wanted = set()
    for item in items:
        param = getattr(getattr(item, "callspec", None), "params", {}).get("assignment")
        ids = [param.id] if param is not None else [a.id for a in ASSIGNMENTS]
        for fixture in getattr(item, "fixturenames", ()):
            wanted |= {run.format(assignment=a) for run in READ_BY.get(fixture, ()) for a in ids}
    return [run for run in RUNS if run in wanted]


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    """Run the test files in the order of their files, except that a file whose gradings are not done yet waits
    while the files that are ready go first: files that read no grading, or whose gradings have ended. The one
    test thread then works while the pool grades instead of waiting on one run, and what is left after the last
    grading is only the tests that read it (in file order, 237 s of a 930 s suite ran on one core after every
    grading had ended). A file's tests stay together, so its module fixtures (a JupyterLab, a hub) start once."""
    if session.testsfailed or session.config.option.collectonly:
        return None  # pytest's own loop reports the collection errors, or lists the tests
    files = [list(tests) for _, tests in itertools.groupby(session.items, key=lambda item: item.path)]
    current = next_file(session, files) if files else []
    while current:
        for index, item in enumerate(current):
            # After a file's last test, any other file's test as `nextitem` tears down the same fixtures (the
            # file's own, not the session's), so the next file can be chosen once that test has run.
            following = current[index + 1] if index + 1 < len(current) else (files[0][0] if files else None)
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
        current = next_file(session, files) if files else []
    return True


def next_file(session, files: list[list]) -> list:
    """Take from `files` the first whose gradings have all ended (a file that reads none is always ready),
    waiting for the next grading to end while none is. Before the gradings start (with the first test, see
    `gradings_started`), the first file that reads none, if there is one."""
    futures = session.config.stash.get(FUTURES, None)
    if futures is None:
        return files.pop(next((i for i, tests in enumerate(files) if not needed_runs(tests)), 0))
    while True:
        for index, tests in enumerate(files):
            runs = [futures[run] for run in needed_runs(tests) if run in futures]  # others: skipped or failed
            if all(run.done() for run in runs):
                return files.pop(index)
        wait([future for future in futures.values() if not future.done()], return_when=FIRST_COMPLETED)


@pytest.fixture(scope="session", autouse=True)
def gradings_started(gradings):
    """The gradings start with the session's first test, whether or not it reads one (see pytest_runtestloop)."""


@pytest.fixture(scope="session")
def gradings(request, tmp_path_factory):
    """The grading runs the selected tests read, started together: {"class" | "catalogue<i>" | ...: future}."""
    jobs = {"class": grade_course, "interrupted": run_interrupted,
            "dask": partial(run_on_dask, students=SMALL_CLASS),
            "unsandboxed": partial(run_without_sandbox, refuse=False),
            "refused": partial(run_without_sandbox, refuse=True),
            "lms-canvas": partial(run_lms, lms="canvas"), "lms-moodle": partial(run_lms, lms="moodle"),
            "regrade": partial(graded, students=REGRADE_CLASS)}
    if bubblewrap_works():  # never run the attacks without the sandbox
        jobs["hostile"] = run_hostile
        jobs["hostile_backprop"] = partial(run_hostile, attacks=BACKPROP_ATTACKS, honest=BACKPROP_HONEST)
    for a in ASSIGNMENTS:
        bundles = catalogue.of(a.id).bundles
        for batch in range(CATALOGUE_BATCHES):
            batch_students = tuple(bundle.student(a) for bundle in bundles[batch::CATALOGUE_BATCHES])
            jobs[f"catalogue-{a.id}-{batch}"] = partial(graded, students=batch_students, assignment=a)
    needed = needed_runs(request.session.items)
    database = f"cnn_tests_{os.getpid()}"
    if "postgres" in needed and (url := postgres_database(database)):
        jobs["postgres"] = partial(graded_on, url=url, students=SMALL_CLASS)
    timeline = request.config.stash.setdefault(TIMELINE, {})
    with ThreadPoolExecutor(AT_ONCE) as pool:
        futures = {name: pool.submit(timed, timeline, name, jobs[name], tmp_path_factory.mktemp(name))
                   for name in needed if name in jobs}
        request.config.stash[FUTURES] = futures
        yield futures
    if "postgres" in jobs:
        postgres(f'DROP DATABASE IF EXISTS "{database}"')


def timed(timeline: dict, name: str, job, folder: Path):
    """Run a grading job in a fresh copy of the course, recording when it ran, so that the terminal summary shows
    where the suite's time went. The job's thread, and so every process it starts, runs at GRADING_NICE."""
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), GRADING_NICE)
    timeline[name] = [time.monotonic() - SESSION_START, None]
    try:
        return job(commands.copy_course(REPO, folder))
    finally:
        timeline[name][1] = time.monotonic() - SESSION_START


@pytest.fixture(scope="session")
def graded_course(gradings):
    """(course_dir, {assignment id: {student: {grade cell: (score, max)}}}) after the whole cycle of every
    assignment ran on its sample class with real nbgrader commands, in one course."""
    return gradings["class"].result()


@pytest.fixture(scope="session")
def graded_class(graded_course):
    """(course_dir, {student: {part: (score, max)}}) of the cnn sample class."""
    course, _ = graded_course
    return course, scores.part_scores(commands.gradebook_url(course), CNN, [s.student_id for s in CLASS])


@pytest.fixture(scope="session")
def class_cells(graded_course):
    """{student: {grade cell: (score, max)}} of the cnn sample class: what other gradings must agree with."""
    return graded_course[1][CNN.id]


@pytest.fixture
def graded_catalogue(gradings, assignment, request):
    """Verdicts on every entry of the test's assignment's catalogue: its grade cells' scores and the folder that
    holds its feedback."""
    found = request.config.stash.setdefault(VERDICTS, {})
    if assignment.id not in found:
        results = [gradings[f"catalogue-{assignment.id}-{batch}"].result() for batch in range(CATALOGUE_BATCHES)]
        found[assignment.id] = Verdicts(catalogue.of(assignment.id),
                                        {bundle: (course, cells) for course, table in results
                                         for bundle, cells in table.items()})
    return found[assignment.id]


def pytest_terminal_summary(terminalreporter, config):
    for verdicts in config.stash.get(VERDICTS, {}).values():
        terminalreporter.write_sep("=", f"grading catalogue of {verdicts.catalogue.assignment.id}")
        terminalreporter.write_line(verdicts.summary())
    visible.terminal_summary(terminalreporter, config)
    if timeline := config.stash.get(TIMELINE, {}):
        terminalreporter.write_sep("=", f"grading runs, {AT_ONCE} at a time (seconds since the session began)")
        for name, (start, end) in sorted(timeline.items(), key=lambda item: item[1][0]):
            ended = "unfinished" if end is None else f"{end:5.0f}  ({end - start:4.0f} s)"
            terminalreporter.write_line(f"{name:<24} {start:5.0f} -> {ended}")


@pytest.fixture(scope="session")
def graded_on_postgres(gradings):
    """(course_dir, {student: {grade cell: (score, max)}}) of the sample class graded on a PostgreSQL gradebook."""
    if "postgres" not in gradings:  # no server: only a missing tool outside CI
        missing_tool("no PostgreSQL server at CNN_TEST_POSTGRES_URL (make test starts one as root)")
    return gradings["postgres"].result()


@pytest.fixture(scope="session")
def graded_hostile(gradings):
    """The hostile batch after the TA's grading command ran on it (see tests/hostile.py)."""
    if "hostile" not in gradings:
        missing_tool("the hostile submissions need bubblewrap (make test installs it as root)")
    return gradings["hostile"].result()


@pytest.fixture(scope="session")
def graded_hostile_backprop(gradings):
    """The score and fault attacks on the second assignment, after the TA's grading command ran on them."""
    if "hostile_backprop" not in gradings:
        missing_tool("the hostile submissions need bubblewrap (make test installs it as root)")
    return gradings["hostile_backprop"].result()


@pytest.fixture(scope="session")
def interrupted_grading(gradings):
    """A class whose grading was killed halfway, then graded again, twice (see tests/hostile.py)."""
    return gradings["interrupted"].result()


@pytest.fixture(scope="session")
def without_sandbox(gradings):
    """{"unsandboxed" | "refused": (exit status, output, {student: status})} of the TA's command with
    bubblewrap switched off, once going on without it and once refusing to."""
    return {name: gradings[name].result() for name in ("unsandboxed", "refused")}


@pytest.fixture(scope="session")
def graded_on_dask(gradings):
    """The sample class graded on a loopback Dask cluster that lost a worker halfway (see tests/dask_cluster.py)."""
    return gradings["dask"].result()


@pytest.fixture(scope="session")
def lms_graded(gradings):
    """{"canvas" | "moodle": (course_dir, download, what collect printed)} after each LMS's download of three cnn
    students went through the TA's collect and make grade (see tests/lms_archives.py)."""
    return {lms: gradings[f"lms-{lms}"].result() for lms in ("canvas", "moodle")}


@pytest.fixture(scope="session")
def graded_for_regrade(gradings):
    """(course_dir, {student: {grade cell: (score, max)}}) of a small cnn class, for tests/test_regrade.py to
    change and grade again (no other test reads this course)."""
    return gradings["regrade"].result()
