"""The instructor's report on a graded class: where the class struggles and which submissions need a look.

    python -m coursetools.report [COURSE_DIR]      (make report; after make grade or make demo)

Writes to report/ in the course folder:
- grades.csv      nbgrader's export (one row per student and assignment);
- course.csv      the course view: one row per student, one column per assignment, the total;
and for each assignment in the gradebook, to report/<assignment>/:
- cells.csv       per grade cell: points, mean score, share of students who lost points;
- scores.png      a histogram of the students' total scores;
- flagged.csv     submissions the grading flagged: not graded, unreadable or repaired, timed out, crashed,
                  re-verification failed (tampering), late, and the pairs make similarity flagged.
and prints the per-cell table and the flagged list. Every CSV is written formula-safe (coursetools/display/safe_text.py):
the flags quote text a submission chose.
"""
import json
import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend is chosen first: no display needed)
from matplotlib.ticker import MaxNLocator  # noqa: E402
from nbgrader.api import Gradebook, MissingEntry  # noqa: E402

from coursetools import assignments, similarity  # noqa: E402
from coursetools.assignments import Assignment  # noqa: E402
from coursetools.display.safe_text import rewrite_csv, write_csv  # noqa: E402 (every CSV here is formula-safe)
from coursetools.gradebook.scores import course_scores  # noqa: E402
from coursetools.grading import workspace  # noqa: E402
from coursetools.grading.commands import gradebook_url, nbgrader  # noqa: E402
from coursetools.grading.sandbox import read_status  # noqa: E402

REPORT = "report"


def class_scores(course_dir: Path, assignment: Assignment) -> tuple[dict, dict, dict]:
    """({student: {grade cell: score}}, {grade cell: max}, {student: seconds late}) for students with a submission."""
    with Gradebook(gradebook_url(course_dir)) as gb:
        maxima = {cell.name: cell.max_score for cell in gb.find_notebook(assignment.notebook, assignment.id).grade_cells}
        cells, late = {}, {}
        for student in gb.students:
            try:
                submission = gb.find_submission(assignment.id, student.id)
                notebook = gb.find_submission_notebook(assignment.notebook, assignment.id, student.id)
            except MissingEntry:
                continue
            cells[student.id] = {grade.name: grade.score for grade in notebook.grades}
            late[student.id] = submission.total_seconds_late
    return cells, maxima, late


def cell_table(cells: dict, maxima: dict) -> list[dict]:
    """One row per grade cell with points: its mean score and the share of students who lost points on it."""
    rows = []
    for name, most in maxima.items():
        if not most or not cells:
            continue
        got = [scores.get(name, 0.0) for scores in cells.values()]
        rows.append({"grade_cell": name, "points": most, "mean": round(sum(got) / len(got), 2),
                     "lost_points": round(sum(g < most for g in got) / len(got), 2)})
    return rows


def flags(course_dir: Path, assignment_id: str, late: dict) -> list[dict]:
    """What the grading recorded about each student that a person should look at, one row per student."""
    intake_file = Path(course_dir) / workspace.intake_report(assignment_id)
    intakes = {i["student"]: i for i in json.loads(intake_file.read_text())} if intake_file.is_file() else {}
    students = sorted(set(intakes) | set(late))
    similar = similarity.flags(course_dir, assignment_id)
    rows = []
    for student in students:
        reasons = []
        taken = intakes.get(student, {})
        if taken.get("status", "ok") != "ok":
            reasons.append(f"{taken['status']}: {taken.get('reason', '')}")
        status = read_status(course_dir, assignment_id, student)
        reasons += status["incidents"]
        if status["sandbox"] == "none":
            reasons.append("graded WITHOUT the sandbox")
        if student not in late:
            reasons.append("NOT GRADED")
        elif late[student] > 0:
            reasons.append(f"late by {late[student] / 3600:.1f} h")
        reasons += similar.get(student, [])
        if reasons:
            rows.append({"student": student, "flags": "; ".join(reasons)})
    return rows


def histogram(title: str, totals: list[float], most: float, path: Path) -> list[int]:
    """Draw the totals' histogram (20 bins from 0 to `most`) into `path`; returns the students per bin."""
    figure, axes = plt.subplots(figsize=(6, 3.5))
    counts, _, _ = axes.hist(totals, bins=[most * i / 20 for i in range(21)], color="tab:blue", edgecolor="white")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set(xlabel=f"total score (of {most:g})", ylabel="students", xlim=(0, most),
             title=f"{title}: {len(totals)} students, mean {sum(totals) / max(len(totals), 1):.1f}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return [int(count) for count in counts]


def write_assignment(course_dir: Path, assignment: Assignment, folder: Path) -> None:
    """cells.csv, flagged.csv and scores.png of one assignment, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    cells, maxima, late = class_scores(course_dir, assignment)
    write_csv(folder / "cells.csv", cell_table(cells, maxima), ["grade_cell", "points", "mean", "lost_points"])
    write_csv(folder / "flagged.csv", flags(course_dir, assignment.id, late), ["student", "flags"])
    histogram(assignment.id, [sum(scores.values()) for scores in cells.values()], sum(maxima.values()),
              folder / "scores.png")


def write(course_dir: Path) -> Path:
    """Write the report folder for every assignment in the gradebook; returns it."""
    course_dir = Path(course_dir)
    folder = course_dir / REPORT
    folder.mkdir(exist_ok=True)
    nbgrader(course_dir, "export")
    shutil.copy(course_dir / "grades.csv", folder / "grades.csv")
    rewrite_csv(folder / "grades.csv")
    course = course_scores(gradebook_url(course_dir), [assignments.get(a) for a in assignments.ALL])
    graded = list(next(iter(course.values()), {}))
    rows = [{"student": student, **{a: f"{got:g}" for a, (got, _) in row.items()},
             "total": f"{sum(got for got, _ in row.values()):g}"} for student, row in course.items()]
    write_csv(folder / "course.csv", rows, ["student", *graded, "total"])
    for assignment_id in graded:
        write_assignment(course_dir, assignments.get(assignment_id), folder / assignment_id)
    return folder


def main(argv=None) -> int:
    folder = write(Path((argv or sys.argv[1:] or ["."])[0]))
    print(f"\n{folder / 'course.csv'}:\n{(folder / 'course.csv').read_text()}")
    for assignment_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
        for name in ("cells.csv", "flagged.csv"):
            print(f"\n{assignment_folder / name}:\n{(assignment_folder / name).read_text()}")
        print(f"histogram: {assignment_folder / 'scores.png'}")
    print(f"grades:    {folder / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
