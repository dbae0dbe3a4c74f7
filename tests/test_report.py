"""The instructor report on the graded sample classes: the course view, and per assignment the files, per-cell
figures, flags and the histogram."""
import csv

import pytest

from coursetools import report
from coursetools.gradebook import scores
from coursetools.grading import commands

from conftest import ASSIGNMENTS, class_of

each_assignment = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def report_folder(graded_course):
    return report.write(graded_course[0])


@each_assignment
def test_report_of_the_sample_class(graded_course, report_folder, assignment):
    course, ids = graded_course[0], [s.student_id for s in class_of(assignment)]
    folder = report_folder / assignment.id
    cells = scores.cell_scores(commands.gradebook_url(course), assignment, ids)
    rows = {row["grade_cell"]: row for row in read_rows(folder / "cells.csv")}
    assert set(rows) == {cell for cell, (_, most) in next(iter(cells.values())).items() if most}
    for name, row in rows.items():
        got = [student[name][0] for student in cells.values()]
        most = next(iter(cells.values()))[name][1]
        assert float(row["mean"]) == round(sum(got) / len(got), 2), name
        assert float(row["lost_points"]) == round(sum(g < most for g in got) / len(got), 2), name
    handed_in = [r["student_id"] for r in read_rows(report_folder / "grades.csv")
                 if r["assignment"] == assignment.id and r["timestamp"]]  # export has a row for every student
    assert sorted(handed_in) == sorted(ids)
    image = (folder / "scores.png").read_bytes()
    assert image.startswith(b"\x89PNG") and len(image) > 5000


def test_the_course_view_has_a_row_per_student_and_a_column_per_assignment(graded_course, report_folder):
    course = graded_course[0]
    rows = {row["student"]: row for row in read_rows(report_folder / "course.csv")}
    assert set(rows) == {s.student_id for a in ASSIGNMENTS for s in class_of(a)}
    assert list(next(iter(rows.values()))) == ["student", *(a.id for a in ASSIGNMENTS), "total"]
    table = scores.course_scores(commands.gradebook_url(course), ASSIGNMENTS)
    for student, row in rows.items():
        assert [float(row[a.id]) for a in ASSIGNMENTS] == [table[student][a.id][0] for a in ASSIGNMENTS]
        assert float(row["total"]) == pytest.approx(sum(float(row[a.id]) for a in ASSIGNMENTS))
    assert float(rows["full_solution"]["total"]) == 100 * len(ASSIGNMENTS)


def test_histogram_counts_every_student_in_their_bin(graded_class, tmp_path):
    _, parts = graded_class
    totals = [sum(score for score, _ in student.values()) for student in parts.values()]
    counts = report.histogram("cnn", totals, 100, tmp_path / "scores.png")
    assert len(counts) == 20 and sum(counts) == len(totals)
    assert counts[-1] == sum(total >= 95 for total in totals) and counts[0] == sum(total < 5 for total in totals)


@each_assignment
def test_report_flags_what_the_grading_recorded(graded_course, report_folder, assignment):
    course, ids = graded_course[0], [s.student_id for s in class_of(assignment)]
    flagged = {row["student"]: row["flags"] for row in read_rows(report_folder / assignment.id / "flagged.csv")}
    assert "RecursionError" in flagged["crashes"]
    assert "full_solution" not in flagged
    late = report.flags(course, assignment.id, {student: 0.0 for student in ids} | {"full_solution": 7200.0})
    assert {row["student"]: row["flags"] for row in late}["full_solution"] == "late by 2.0 h"
    without_row = report.flags(course, assignment.id, {student: 0.0 for student in ids if student != "untouched_stub"})
    assert "NOT GRADED" in {row["student"]: row["flags"] for row in without_row}["untouched_stub"]
    assert (course / "feedback" / "crashes" / assignment.id / f"{assignment.notebook}.html").is_file()
