"""The whole course cycle with real nbgrader commands: instructor → students → TA.

    python -m coursetools.cycle [COURSE_DIR]

generates the release, hands in the sample class, registers the students, autogrades, enters the TA's
scores for the written answer, generates feedback, exports grades.csv and prints a score table.
"""
import csv
import os
import sys
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook

from . import grade, sample_class
from .assignment import ASSIGNMENT, NOTEBOOK, WRITTEN_ANSWER
from .commands import gradebook_url, nbgrader
from .scores import format_table, part_scores

def register(course_dir: Path, student_ids) -> None:
    """Add the students to the gradebook the way a TA does: one CSV, one `nbgrader db student import`."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "first_name", "last_name"])
        writer.writerows([sid, "Sample", sid.replace("_", " ").title()] for sid in student_ids)
    try:
        nbgrader(course_dir, "db", "student", "import", handle.name)
    finally:
        os.unlink(handle.name)


def grade_written_answers(course_dir: Path, students) -> None:
    """The TA's manual step, scripted for the sample class: a score for each written answer."""
    with Gradebook(gradebook_url(course_dir)) as gb:
        for student in students:
            grade = gb.find_grade(WRITTEN_ANSWER, NOTEBOOK, ASSIGNMENT, student.student_id)
            grade.manual_score = student.written_score
            grade.needs_manual_grade = False
        gb.db.commit()


def run(course_dir: Path, students=sample_class.SAMPLE_CLASS, jobs: int | None = None) -> dict:
    """Run the cycle in `course_dir`, autograding `jobs` submissions at once (default: one per core); returns
    {student: {part: (score, max)}}."""
    course_dir = Path(course_dir)
    nbgrader(course_dir, "generate_assignment", ASSIGNMENT, "--force")
    sample_class.build(course_dir, students)
    print(f"handed in {len(students)} sample submissions to submitted/")
    register(course_dir, [s.student_id for s in students])
    intakes = grade.autograde(course_dir, jobs)
    grade_written_answers(course_dir, students)
    print("entered the TA's scores for the written answer")
    if not grade.finish(course_dir):
        raise RuntimeError("nbgrader generate_feedback or export failed")
    print(grade.format_statuses(grade.statuses(course_dir, intakes)))
    return part_scores(gradebook_url(course_dir), [s.student_id for s in students])


def main(argv=None) -> int:
    course_dir = Path((argv or sys.argv[1:] or ["."])[0])
    table = run(course_dir)
    print()
    print(format_table(table, {s.student_id: s.description for s in sample_class.SAMPLE_CLASS}))
    print(f"\nfeedback: {course_dir / 'feedback'}/<student>/{ASSIGNMENT}/{NOTEBOOK}.html"
          f"\ngrades:   {course_dir / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
