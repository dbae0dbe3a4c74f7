"""The instructor's report on a graded class: where the class struggles and which submissions need a look.

    python -m coursetools.report [COURSE_DIR]      (make report; after make grade or make demo)

Writes to report/ in the course folder:
- grades.csv      nbgrader's export (one row per student);
- cells.csv       per grade cell: points, mean score, share of students who lost points;
- scores.png      a histogram of the students' total scores;
- flagged.csv     submissions the grading flagged: not graded, unreadable or repaired, timed out, crashed,
                  re-verification failed (tampering), late.
and prints the per-cell table and the flagged list. Every CSV is written formula-safe (coursetools/safe_text.py):
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

from .assignment import ASSIGNMENT, NOTEBOOK  # noqa: E402
from .commands import gradebook_url, nbgrader  # noqa: E402
from .grade import INTAKE_REPORT  # noqa: E402
from .safe_text import rewrite_csv, write_csv  # noqa: E402 (every CSV here is formula-safe)
from .sandbox import read_status  # noqa: E402

REPORT = "report"


def class_scores(course_dir: Path) -> tuple[dict, dict, dict]:
    """({student: {grade cell: score}}, {grade cell: max}, {student: seconds late}) for students with a submission."""
    with Gradebook(gradebook_url(course_dir)) as gb:
        maxima = {cell.name: cell.max_score for cell in gb.find_notebook(NOTEBOOK, ASSIGNMENT).grade_cells}
        cells, late = {}, {}
        for student in gb.students:
            try:
                submission = gb.find_submission(ASSIGNMENT, student.id)
                notebook = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student.id)
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


def flags(course_dir: Path, late: dict) -> list[dict]:
    """What the grading recorded about each student that a person should look at, one row per student."""
    intake_file = Path(course_dir) / INTAKE_REPORT
    intakes = {i["student"]: i for i in json.loads(intake_file.read_text())} if intake_file.is_file() else {}
    students = sorted(set(intakes) | set(late))
    rows = []
    for student in students:
        reasons = []
        taken = intakes.get(student, {})
        if taken.get("status", "ok") != "ok":
            reasons.append(f"{taken['status']}: {taken.get('reason', '')}")
        status = read_status(course_dir, student)
        reasons += status["incidents"]
        if status["sandbox"] == "none":
            reasons.append("graded WITHOUT the sandbox")
        if student not in late:
            reasons.append("NOT GRADED")
        elif late[student] > 0:
            reasons.append(f"late by {late[student] / 3600:.1f} h")
        if reasons:
            rows.append({"student": student, "flags": "; ".join(reasons)})
    return rows


def histogram(totals: list[float], most: float, path: Path) -> list[int]:
    """Draw the totals' histogram (20 bins from 0 to `most`) into `path`; returns the students per bin."""
    figure, axes = plt.subplots(figsize=(6, 3.5))
    counts, _, _ = axes.hist(totals, bins=[most * i / 20 for i in range(21)], color="tab:blue", edgecolor="white")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set(xlabel=f"total score (of {most:g})", ylabel="students", xlim=(0, most),
             title=f"{ASSIGNMENT}: {len(totals)} students, mean {sum(totals) / max(len(totals), 1):.1f}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return [int(count) for count in counts]


def write(course_dir: Path) -> Path:
    """Write the report folder; returns it."""
    course_dir = Path(course_dir)
    folder = course_dir / REPORT
    folder.mkdir(exist_ok=True)
    nbgrader(course_dir, "export")
    shutil.copy(course_dir / "grades.csv", folder / "grades.csv")
    rewrite_csv(folder / "grades.csv")
    cells, maxima, late = class_scores(course_dir)
    write_csv(folder / "cells.csv", cell_table(cells, maxima), ["grade_cell", "points", "mean", "lost_points"])
    write_csv(folder / "flagged.csv", flags(course_dir, late), ["student", "flags"])
    histogram([sum(scores.values()) for scores in cells.values()], sum(maxima.values()), folder / "scores.png")
    return folder


def main(argv=None) -> int:
    folder = write(Path((argv or sys.argv[1:] or ["."])[0]))
    for name in ("cells.csv", "flagged.csv"):
        print(f"\n{folder / name}:\n{(folder / name).read_text()}")
    print(f"histogram: {folder / 'scores.png'}\ngrades:    {folder / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
