"""Shared fixtures: private copies of the course and real grading cycles, all started at once.

The sample class and the catalogue (in batches) are graded by separate `nbgrader` runs in separate
course copies, concurrently, so the suite costs about the longest run rather than their sum.
"""
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy

from catalogue import ENTRIES, visible
from catalogue.verdicts import Verdicts
from coursetools import commands, cycle, sample_class, scores
from coursetools.sandbox import bubblewrap_works
from dask_cluster import run_on_dask
from hostile import run_hostile, run_interrupted, run_without_sandbox

REPO = Path(__file__).resolve().parents[1]
CLASS = sample_class.SAMPLE_CLASS + (sample_class.INSTRUCTOR_SOURCE,)
# The smallest class that still proves an end-to-end point (PostgreSQL, Dask): right, wrong, crashing, empty.
SMALL_CLASS = tuple(s for s in CLASS if s.student_id in ("full_solution", "flipped_kernel", "crashes", "untouched_stub"))
CATALOGUE_BATCHES = 2  # one per core of a CI machine; the sample class runs beside them
VERDICTS = pytest.StashKey[Verdicts]()


def missing_tool(message: str) -> None:
    """Skip a test whose system tool is missing, except in CI (.ci/run sets CI=1), where that is a failure."""
    pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


def graded(course: Path, students, jobs: int | None = None) -> tuple[Path, dict]:
    """Run the whole cycle for `students` in `course`, `jobs` submissions at once (default: one per core);
    returns the course with {student: {grade cell: (score, max)}}."""
    cycle.run(course, students, jobs)
    return course, scores.cell_scores(commands.gradebook_url(course), [s.student_id for s in students])


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
# cluster starting, a run killed and started again) beside the CPU-bound catalogue. A run starts only when a
# selected test reads it (`pytest tests/test_report.py` grades the sample class alone).
RUNS = ("hostile", "class", "dask", "interrupted", "catalogue0", "catalogue1", "postgres", "unsandboxed", "refused")
READ_BY = {"graded_hostile": ("hostile",), "graded_class": ("class",), "class_cells": ("class",),
           "graded_catalogue": tuple(f"catalogue{batch}" for batch in range(CATALOGUE_BATCHES)),
           "interrupted_grading": ("interrupted",), "graded_on_dask": ("dask",), "graded_on_postgres": ("postgres",),
           "without_sandbox": ("unsandboxed", "refused")}
AT_ONCE = 3  # grading runs at a time; each grades one submission per core, and kernels often wait


def needed_runs(items) -> list[str]:
    wanted = {run for item in items for fixture in getattr(item, "fixturenames", ()) for run in READ_BY.get(fixture, ())}
    return [run for run in RUNS if run in wanted]


@pytest.fixture(scope="session")
def gradings(request, tmp_path_factory):
    """The grading runs the selected tests read, started together: {"class" | "catalogue<i>" | ...: future}."""
    jobs = {"class": partial(graded, students=CLASS), "interrupted": run_interrupted,
            "dask": partial(run_on_dask, students=SMALL_CLASS),
            "unsandboxed": partial(run_without_sandbox, refuse=False),
            "refused": partial(run_without_sandbox, refuse=True)}
    if bubblewrap_works():  # never run the attacks without the sandbox
        jobs["hostile"] = run_hostile
    for batch in range(CATALOGUE_BATCHES):
        batch_students = tuple(entry.student() for entry in ENTRIES[batch::CATALOGUE_BATCHES])
        jobs[f"catalogue{batch}"] = partial(graded, students=batch_students)
    needed = needed_runs(request.session.items)
    database = f"cnn_tests_{os.getpid()}"
    if "postgres" in needed and (url := postgres_database(database)):
        jobs["postgres"] = partial(graded_on, url=url, students=SMALL_CLASS)
    with ThreadPoolExecutor(AT_ONCE) as pool:
        yield {name: pool.submit(jobs[name], commands.copy_course(REPO, tmp_path_factory.mktemp(name)))
               for name in needed if name in jobs}
    if "postgres" in jobs:
        postgres(f'DROP DATABASE IF EXISTS "{database}"')


@pytest.fixture(scope="session")
def graded_class(gradings):
    """(course_dir, {student: {part: (score, max)}}) after the whole cycle ran with real nbgrader commands."""
    course, _ = gradings["class"].result()
    return course, scores.part_scores(commands.gradebook_url(course), [s.student_id for s in CLASS])


@pytest.fixture(scope="session")
def class_cells(gradings):
    """{student: {grade cell: (score, max)}} of the sample class: what other gradings must agree with."""
    return gradings["class"].result()[1]


@pytest.fixture(scope="session")
def graded_catalogue(gradings, request):
    """Verdicts on every catalogue entry: its grade cells' scores and the folder that holds its feedback."""
    results = [gradings[f"catalogue{batch}"].result() for batch in range(CATALOGUE_BATCHES)]
    verdicts = Verdicts({name: (course, cells) for course, table in results for name, cells in table.items()})
    request.config.stash[VERDICTS] = verdicts
    return verdicts


def pytest_terminal_summary(terminalreporter, config):
    if VERDICTS in config.stash:
        terminalreporter.write_sep("=", "grading catalogue")
        terminalreporter.write_line(config.stash[VERDICTS].summary())
    visible.terminal_summary(terminalreporter, config)


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
