"""One real nbgrader cycle of every assignment over its sample class, in one course (as `make demo` runs it):
scores land in the right parts, everyone gets feedback, and the course table adds the assignments up."""
import csv

import pytest

from coursetools.gradebook import scores
from coursetools.gradebook.scores import lost
from coursetools.grading import commands

from conftest import ASSIGNMENTS, class_of

each_assignment = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)
STUDENTS = [pytest.param(a, s, id=f"{a.id}/{s.student_id}") for a in ASSIGNMENTS for s in a.sample_class.SAMPLE_CLASS]


def part_table(graded_course, assignment) -> dict:
    course, _ = graded_course
    return scores.part_scores(commands.gradebook_url(course), assignment,
                              [s.student_id for s in class_of(assignment)])


@each_assignment
@pytest.mark.parametrize("student", ["full_solution", "instructor_source"])
def test_solutions_get_every_autograded_point(graded_course, assignment, student):
    table = part_table(graded_course, assignment)
    assert all(table[student][p][0] == table[student][p][1] > 0 for p in assignment.parts), table[student]


@each_assignment
def test_untouched_release_scores_zero_without_stopping_the_run(graded_course, assignment):
    course, table = graded_course[0], part_table(graded_course, assignment)
    assert all(score == 0 for score, _ in table["untouched_stub"].values())
    graded = {p.parent.parent.name
              for p in (course / "autograded").glob(f"*/{assignment.id}/{assignment.notebook}.ipynb")}
    assert graded == {s.student_id for s in class_of(assignment)}, "some submissions were not autograded"


@pytest.mark.parametrize(("assignment", "student"), STUDENTS)
def test_each_submission_loses_points_exactly_in_its_own_parts(graded_course, assignment, student):
    table = part_table(graded_course, assignment)
    assert lost(table[student.student_id]) == set(student.loses), table[student.student_id]


@each_assignment
def test_every_submission_gets_feedback_and_a_grades_csv_row(graded_course, assignment):
    course, table = graded_course[0], part_table(graded_course, assignment)
    with open(course / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle) if row["assignment"] == assignment.id}
    for student in class_of(assignment):
        sid = student.student_id
        assert (course / "feedback" / sid / assignment.id / f"{assignment.notebook}.html").is_file(), \
            f"no feedback for {sid}"
        total = sum(score for score, _ in table[sid].values())
        assert float(rows[sid]["score"]) == pytest.approx(total), f"grades.csv disagrees with the gradebook for {sid}"
        assert float(rows[sid]["max_score"]) == sum(m for _, m in table[sid].values()) == 100


def test_feedback_names_the_likely_mistake(graded_course):
    course, _ = graded_course
    html = (course / "feedback" / "flipped_kernel" / "cnn" / "cnn.html").read_text()
    assert "you computed a true convolution (kernel flipped)" in html


@each_assignment
def test_every_part_is_a_column(graded_course, assignment):
    assert all(tuple(row) == assignment.graded_parts for row in part_table(graded_course, assignment).values())


def test_the_course_table_has_a_column_per_assignment_and_adds_them_up(graded_course):
    course, _ = graded_course
    table = scores.course_scores(commands.gradebook_url(course), ASSIGNMENTS)
    students = {s.student_id for a in ASSIGNMENTS for s in class_of(a)}
    assert set(table) == students
    for student, row in table.items():
        assert tuple(row) == tuple(a.id for a in ASSIGNMENTS)
        for a in ASSIGNMENTS:
            handed_in = student in {s.student_id for s in class_of(a)}
            expected = sum(got for got, _ in part_table(graded_course, a)[student].values()) if handed_in else 0
            assert row[a.id] == (pytest.approx(expected), 100), (student, a.id, row)
    text = scores.format_table(table)
    assert text.splitlines()[0].split() == ["student", *(a.id for a in ASSIGNMENTS), "total"]
