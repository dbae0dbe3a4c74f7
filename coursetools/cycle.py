"""The whole course cycle with real nbgrader commands: instructor → students → TA, for each assignment.

    python -m coursetools.cycle [COURSE_DIR] [--assignment ID ...]

for each assignment (default: all of the course's): generates the release, hands in its sample class,
registers the students, autogrades, enters the TA's scores for the written answer, generates feedback; then
exports grades.csv and prints each assignment's score table and the course table (one column per assignment).
"""
import argparse
import csv
import os
import re
import sys
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook

from coursetools import assignments, grade
from coursetools.assignments import Assignment
from coursetools.gradebook.scores import course_scores, format_table, part_scores
from coursetools.grading import notebook
from coursetools.grading.commands import gradebook_url, nbgrader


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


def grade_written_answers(course_dir: Path, assignment: Assignment, students) -> None:
    """The TA's manual step, scripted for the sample class: a score for each written answer."""
    with Gradebook(gradebook_url(course_dir)) as gb:
        for student in students:
            found = gb.find_grade(assignment.written_answer, assignment.notebook, assignment.id, student.student_id)
            found.manual_score = student.written_score
            found.needs_manual_grade = False
        gb.db.commit()


def run(course_dir: Path, assignment: Assignment | None = None, students=None, jobs: int | None = None) -> dict:
    """Run the cycle of `assignment` (default: the course's first) in `course_dir` for `students` (default: its
    sample class), autograding `jobs` submissions at once (default: one per core); returns
    {student: {part: (score, max)}}."""
    course_dir, assignment = Path(course_dir), assignment or assignments.get()
    students = assignment.sample_class.SAMPLE_CLASS if students is None else students
    nbgrader(course_dir, "generate_assignment", assignment.id, "--force")
    assignment.sample_class.build(course_dir, students)
    print(f"{assignment.id}: handed in {len(students)} sample submissions to submitted/")
    register(course_dir, [s.student_id for s in students])
    intakes = grade.autograde(course_dir, assignment, jobs)
    grade_written_answers(course_dir, assignment, students)
    print(f"{assignment.id}: entered the TA's scores for the written answer")
    if not grade.finish(course_dir, assignment):
        raise RuntimeError("nbgrader generate_feedback or export failed")
    print(grade.format_statuses(grade.statuses(course_dir, assignment, intakes)))
    return part_scores(gradebook_url(course_dir), assignment, [s.student_id for s in students])


def headlines(course_dir: Path, assignment: Assignment) -> list[str]:
    """The lines of the full solution's autograded outputs that the assignment wants the demo to show
    (`Assignment.headline`: cnn_backprop's training accuracy), as the sandbox printed them."""
    path = Path(course_dir) / "autograded" / "full_solution" / assignment.id / f"{assignment.notebook}.ipynb"
    if not assignment.headline or not path.is_file():
        return []
    wanted = re.compile(assignment.headline)
    return [line for cell in notebook.read(path).cells for line in notebook.printed_lines(cell) if wanted.search(line)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.cycle", description=__doc__.split("\n")[0])
    parser.add_argument("course_dir", nargs="?", default=".", type=Path)
    parser.add_argument("--assignment", action="append", choices=assignments.ALL,
                        help="an assignment to run (repeatable; default: every assignment of the course)")
    args = parser.parse_args(argv)
    course_dir, tables = args.course_dir, []
    for assignment in map(assignments.get, args.assignment or assignments.ALL):
        table = run(course_dir, assignment)
        descriptions = {s.student_id: s.description for s in assignment.sample_class.SAMPLE_CLASS}
        shown = "".join(f"\nthe full solution, as graded: {line}" for line in headlines(course_dir, assignment))
        tables.append(f"{assignment.id}:\n{format_table(table, descriptions)}{shown}")
        print(f"{assignment.id}: feedback in {course_dir / 'feedback'}/<student>/{assignment.id}/"
              f"{assignment.notebook}.html")
    print("\n\n".join(["", *tables]))
    course = course_scores(gradebook_url(course_dir), list(map(assignments.get, assignments.ALL)))
    print(f"\nthe course (every student in the gradebook, one column per assignment):\n{format_table(course)}")
    print(f"\ngrades:   {course_dir / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
