"""One real nbgrader cycle over the sample class: scores land in the right parts, everyone gets feedback."""
import csv

import pytest

from coursetools import sample_class
from coursetools.assignment import ASSIGNMENT, GRADED_PARTS, NOTEBOOK, PARTS
from coursetools.scores import lost

from conftest import CLASS


@pytest.mark.parametrize("student", ["full_solution", "instructor_source"])
def test_solutions_get_every_autograded_point(graded_class, student):
    _, table = graded_class
    assert all(table[student][p][0] == table[student][p][1] > 0 for p in PARTS), table[student]


def test_untouched_release_scores_zero_without_stopping_the_run(graded_class):
    course, table = graded_class
    assert all(score == 0 for score, _ in table["untouched_stub"].values())
    graded = {p.parent.parent.name for p in (course / "autograded").glob(f"*/{ASSIGNMENT}/{NOTEBOOK}.ipynb")}
    assert graded == {s.student_id for s in CLASS}, "some submissions were not autograded"


@pytest.mark.parametrize("student", sample_class.SAMPLE_CLASS, ids=lambda s: s.student_id)
def test_each_submission_loses_points_exactly_in_its_own_parts(graded_class, student):
    _, table = graded_class
    assert lost(table[student.student_id]) == set(student.loses), table[student.student_id]


def test_every_submission_gets_feedback_and_a_grades_csv_row(graded_class):
    course, table = graded_class
    with open(course / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student in CLASS:
        sid = student.student_id
        assert (course / "feedback" / sid / ASSIGNMENT / f"{NOTEBOOK}.html").is_file(), f"no feedback for {sid}"
        total = sum(score for score, _ in table[sid].values())
        assert float(rows[sid]["score"]) == pytest.approx(total), f"grades.csv disagrees with the gradebook for {sid}"
        assert float(rows[sid]["max_score"]) == sum(m for _, m in table[sid].values()) == 100


def test_feedback_names_the_likely_mistake(graded_class):
    course, _ = graded_class
    html = (course / "feedback" / "flipped_kernel" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    assert "you computed a true convolution (kernel flipped)" in html


def test_every_part_is_a_column(graded_class):
    _, table = graded_class
    assert all(tuple(scores) == GRADED_PARTS for scores in table.values())
