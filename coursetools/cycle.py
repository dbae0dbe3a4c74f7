"""The whole course cycle with real nbgrader commands: instructor → students → TA.

    python -m coursetools.cycle [COURSE_DIR]

generates the release, hands in the sample class, registers the students, autogrades, enters the TA's
scores for the written answer, generates feedback, exports grades.csv and prints a score table.
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook

from . import sample_class
from .assignment import ASSIGNMENT, NOTEBOOK, WRITTEN_ANSWER
from .scores import format_table, part_scores

BIN = Path(sys.executable).parent  # nbgrader runs alembic as a subprocess: its bin/ must be on PATH


def copy_course(repo: Path, root: Path, with_release: bool = True) -> Path:
    """The course as committed in `repo` (source, release, configuration and the code it loads), in `root`."""
    for folder in ("source", "coursetools") + (("release",) if with_release else ()):
        shutil.copytree(Path(repo) / folder, Path(root) / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(Path(repo) / "nbgrader_config.py", root)
    return Path(root)


def gradebook_url(course_dir: Path) -> str:
    return f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"


def nbgrader(course_dir: Path, *args: str) -> None:
    """Run one nbgrader command in the course directory, as a person at a terminal would."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    print(f"$ nbgrader {' '.join(args)}", flush=True)
    subprocess.run([str(BIN / "nbgrader"), *args, "--log-level=ERROR"], cwd=course_dir, env=env, check=True)


def register(course_dir: Path, students) -> None:
    """Add the students to the gradebook the way a TA does: one CSV, one `nbgrader db student import`."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "first_name", "last_name"])
        writer.writerows([s.student_id, "Sample", s.student_id.replace("_", " ").title()] for s in students)
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


def run(course_dir: Path, students=sample_class.SAMPLE_CLASS) -> dict:
    """Run the cycle in `course_dir`; returns {student: {part: (score, max)}}."""
    course_dir = Path(course_dir)
    nbgrader(course_dir, "generate_assignment", ASSIGNMENT, "--force")
    sample_class.build(course_dir, students)
    print(f"handed in {len(students)} sample submissions to submitted/")
    register(course_dir, students)
    nbgrader(course_dir, "autograde", ASSIGNMENT, "--force")
    grade_written_answers(course_dir, students)
    print("entered the TA's scores for the written answer")
    nbgrader(course_dir, "generate_feedback", ASSIGNMENT, "--force")
    nbgrader(course_dir, "export")
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
