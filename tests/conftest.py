"""Shared fixtures: private copies of the course and real grading cycles, all started at once.

The sample class and the catalogue (in batches) are graded by separate `nbgrader` runs in separate
course copies, concurrently, so the suite costs about the longest run rather than their sum.
"""
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from catalogue import ENTRIES
from catalogue.verdicts import Verdicts
from coursetools import cycle, sample_class, scores

REPO = Path(__file__).resolve().parents[1]
CLASS = sample_class.SAMPLE_CLASS + (sample_class.INSTRUCTOR_SOURCE,)
CATALOGUE_BATCHES = 2  # one per core of a CI machine; the sample class runs beside them
VERDICTS = pytest.StashKey[Verdicts]()


def graded(course: Path, students) -> tuple[Path, dict]:
    """Run the whole cycle for `students` in `course`; returns it with {student: {grade cell: (score, max)}}."""
    cycle.run(course, students)
    return course, scores.cell_scores(cycle.gradebook_url(course), [s.student_id for s in students])


@pytest.fixture(scope="session")
def gradings(tmp_path_factory):
    """Every grading cycle of the suite, started together: {"class" | "catalogue<i>": future (course, cells)}."""
    jobs = {"class": CLASS}
    for batch in range(CATALOGUE_BATCHES):
        jobs[f"catalogue{batch}"] = tuple(entry.student() for entry in ENTRIES[batch::CATALOGUE_BATCHES])
    with ThreadPoolExecutor(len(jobs)) as pool:
        yield {name: pool.submit(graded, cycle.copy_course(REPO, tmp_path_factory.mktemp(name)), students)
               for name, students in jobs.items()}


@pytest.fixture(scope="session")
def graded_class(gradings):
    """(course_dir, {student: {part: (score, max)}}) after the whole cycle ran with real nbgrader commands."""
    course, _ = gradings["class"].result()
    return course, scores.part_scores(cycle.gradebook_url(course), [s.student_id for s in CLASS])


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
