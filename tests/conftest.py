"""Shared fixtures: private copies of the course and real grading cycles, all started at once.

The sample class and the catalogue (in batches) are graded by separate `nbgrader` runs in separate
course copies, concurrently, so the suite costs about the longest run rather than their sum.
"""
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from catalogue import ENTRIES
from catalogue.verdicts import Verdicts
from coursetools import commands, cycle, sample_class, scores
from coursetools.sandbox import bubblewrap_works
from hostile import run_hostile, run_interrupted, run_without_sandbox

REPO = Path(__file__).resolve().parents[1]
CLASS = sample_class.SAMPLE_CLASS + (sample_class.INSTRUCTOR_SOURCE,)
CATALOGUE_BATCHES = 2  # one per core of a CI machine; the sample class runs beside them
VERDICTS = pytest.StashKey[Verdicts]()


def missing_tool(message: str) -> None:
    """Skip a test whose system tool is missing, except in CI (.ci/run sets CI=1), where that is a failure."""
    pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


def graded(course: Path, students) -> tuple[Path, dict]:
    """Run the whole cycle for `students` in `course`; returns it with {student: {grade cell: (score, max)}}."""
    cycle.run(course, students)
    return course, scores.cell_scores(commands.gradebook_url(course), [s.student_id for s in students])


@pytest.fixture(scope="session")
def gradings(tmp_path_factory):
    """Every grading run of the suite, started together: {"class" | "catalogue<i>" | "hostile": future}."""
    jobs = {"class": partial(graded, students=CLASS)}
    if bubblewrap_works():  # never run the attacks without the sandbox
        jobs["hostile"] = run_hostile
    jobs["interrupted"] = run_interrupted
    jobs["unsandboxed"] = partial(run_without_sandbox, refuse=False)
    jobs["refused"] = partial(run_without_sandbox, refuse=True)
    for batch in range(CATALOGUE_BATCHES):
        batch_students = tuple(entry.student() for entry in ENTRIES[batch::CATALOGUE_BATCHES])
        jobs[f"catalogue{batch}"] = partial(graded, students=batch_students)
    with ThreadPoolExecutor(len(jobs)) as pool:
        yield {name: pool.submit(job, commands.copy_course(REPO, tmp_path_factory.mktemp(name)))
               for name, job in jobs.items()}


@pytest.fixture(scope="session")
def graded_class(gradings):
    """(course_dir, {student: {part: (score, max)}}) after the whole cycle ran with real nbgrader commands."""
    course, _ = gradings["class"].result()
    return course, scores.part_scores(commands.gradebook_url(course), [s.student_id for s in CLASS])


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
