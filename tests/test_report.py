"""The instructor report on the graded sample class: files, per-cell figures, flags and the histogram."""
import csv

from coursetools import commands, report, scores
from coursetools.assignment import ASSIGNMENT, NOTEBOOK


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_report_of_the_sample_class(graded_class):
    course, parts = graded_class
    folder = report.write(course)
    cells = scores.cell_scores(commands.gradebook_url(course), list(parts))
    rows = {row["grade_cell"]: row for row in read_rows(folder / "cells.csv")}
    assert set(rows) == {cell for cell, (_, most) in next(iter(cells.values())).items() if most}
    for name, row in rows.items():
        got = [student[name][0] for student in cells.values()]
        most = next(iter(cells.values()))[name][1]
        assert float(row["mean"]) == round(sum(got) / len(got), 2), name
        assert float(row["lost_points"]) == round(sum(g < most for g in got) / len(got), 2), name
    assert len(read_rows(folder / "grades.csv")) == len(parts)
    image = (folder / "scores.png").read_bytes()
    assert image.startswith(b"\x89PNG") and len(image) > 5000


def test_histogram_counts_every_student_in_their_bin(graded_class, tmp_path):
    _, parts = graded_class
    totals = [sum(score for score, _ in student.values()) for student in parts.values()]
    counts = report.histogram(totals, 100, tmp_path / "scores.png")
    assert len(counts) == 20 and sum(counts) == len(totals)
    assert counts[-1] == sum(total >= 95 for total in totals) and counts[0] == sum(total < 5 for total in totals)


def test_report_flags_what_the_grading_recorded(graded_class):
    course, parts = graded_class
    flagged = {row["student"]: row["flags"] for row in read_rows(report.write(course) / "flagged.csv")}
    assert "RecursionError" in flagged["crashes"]
    assert "full_solution" not in flagged and "flipped_kernel" not in flagged
    late = report.flags(course, {student: 0.0 for student in parts} | {"full_solution": 7200.0})
    assert {row["student"]: row["flags"] for row in late}["full_solution"] == "late by 2.0 h"
    without_row = report.flags(course, {student: 0.0 for student in parts if student != "first_half"})
    assert "NOT GRADED" in {row["student"]: row["flags"] for row in without_row}["first_half"]
    assert (course / "feedback" / "crashes" / ASSIGNMENT / f"{NOTEBOOK}.html").is_file()
