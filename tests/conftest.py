"""Shared fixtures: a private copy of the course and one real grading cycle of the sample class."""
import shutil
from pathlib import Path

import pytest

from coursetools import cycle, sample_class

REPO = Path(__file__).resolve().parents[1]
CLASS = sample_class.SAMPLE_CLASS + (sample_class.INSTRUCTOR_SOURCE,)


@pytest.fixture(scope="session")
def course_copy(tmp_path_factory):
    """The course as committed (source, release, config), copied so tests never touch the working tree."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "release", root / "release")
    shutil.copy(REPO / "nbgrader_config.py", root)
    return root


@pytest.fixture(scope="session")
def graded_class(course_copy):
    """(course_dir, {student: {part: (score, max)}}) after the whole cycle ran with real nbgrader commands."""
    return course_copy, cycle.run(course_copy, CLASS)
