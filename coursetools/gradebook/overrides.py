"""The TAs' manual overrides (overrides.csv: student, grade_cell, score, reason, who), kept in the gradebook.

An override is the grade's manual score, which nbgrader keeps through autograde and uses over the autograder's,
with a comment on the part's solution cell that says why and who (the student's feedback shows it). What was
applied is recorded in .grading/<assignment>/overrides.json, so that a row removed from overrides.csv is
withdrawn at the next regrade (the autograder's score comes back, and the report says so) instead of lingering.
"""
import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from coursetools import assignments
from coursetools.assignments import Assignment
from coursetools.display.safe_text import plain
from coursetools.grading import notebook, workspace
from coursetools.grading.commands import gradebook_url

FILE = "overrides.csv"   # in the course folder; an optional assignment column, else the assignment with the cell


@dataclass(frozen=True)
class Override:
    student: str
    grade_cell: str
    score: float
    reason: str
    who: str

    @property
    def why(self) -> str:
        return f"override: {self.reason} ({self.who})"

    @property
    def note(self) -> str:
        """The line of the part's comment that carries it."""
        return f"Override of {self.grade_cell}: {self.score:g} points. {self.why}"


def read(course_dir: Path, assignment: Assignment, maxima: dict[str, float]) -> tuple[list[Override], list[str]]:
    """(the rows of overrides.csv for `assignment`, a problem line for each row that cannot apply: a grade cell of
    no assignment of the course, a score outside 0 to the cell's points)."""
    path = Path(course_dir) / FILE
    if not path.is_file():
        return [], []
    elsewhere = {notebook.grade_id(cell) for other in assignments.ALL if other != assignment.id
                 for cell in notebook.read(assignments.get(other).source_notebook(course_dir)).cells}
    found, problems = [], []
    with open(path, newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if row.get("assignment") not in (None, "", assignment.id):
                continue
            cell = row.get("grade_cell", "")
            try:
                score = float(row.get("score", ""))
            except ValueError:
                score = None
            if cell not in maxima or score is None or not 0 <= score <= maxima[cell]:
                if row.get("assignment") or cell not in elsewhere:
                    problems.append(f"{FILE} line {line}: not applied: needs a grade cell of {assignment.id} "
                                    f"and a score from 0 to its points ({plain(cell)!r}, {plain(row.get('score'))!r})")
                continue
            found.append(Override(row.get("student", ""), cell, score, row.get("reason", ""), row.get("who", "")))
    return found, problems


def comment_of(gb, assignment: Assignment, override: Override):
    """The comment of the override's part (None for a cell of no part: the score alone carries it)."""
    cell = assignment.part_of(override.grade_cell) or override.grade_cell
    try:
        return gb.find_comment(cell, assignment.notebook, assignment.id, override.student)
    except MissingEntry:
        return None


def apply(course_dir: Path, assignment: Assignment, overrides: list[Override],
          students: set[str]) -> tuple[list[Override], list[str]]:
    """Apply `students`' overrides and withdraw their recorded ones that overrides.csv no longer holds; returns
    (the withdrawn overrides, a problem line for each override of a student without a graded submission)."""
    path = Path(course_dir) / workspace.overrides(assignment.id)
    recorded = [Override(**o) for o in json.loads(path.read_text())] if path.is_file() else []
    wanted = [o for o in overrides if o.student in students]
    withdrawn = [o for o in recorded if o.student in students and o not in wanted]
    applied, problems = [], []
    with Gradebook(gradebook_url(course_dir)) as gb:
        for override in withdrawn:
            try:
                grade = gb.find_grade(override.grade_cell, assignment.notebook, assignment.id, override.student)
            except MissingEntry:  # the submission is gone from the gradebook, and its grades with it
                continue
            if grade.manual_score == override.score:  # not graded by hand since
                grade.manual_score, grade.needs_manual_grade = None, grade.auto_score is None
            if comment := comment_of(gb, assignment, override):
                lines = (comment.manual_comment or "").splitlines()
                comment.manual_comment = "\n".join(line for line in lines if line != override.note) or None
        for override in wanted:
            try:
                grade = gb.find_grade(override.grade_cell, assignment.notebook, assignment.id, override.student)
            except MissingEntry:
                problems.append(f"{FILE}: not applied: {plain(override.student)} has no graded submission")
                continue
            grade.manual_score, grade.needs_manual_grade = override.score, False
            comment = comment_of(gb, assignment, override)
            if comment and override.note not in (comment.manual_comment or "").splitlines():
                comment.manual_comment = "\n".join(filter(None, [comment.manual_comment, override.note]))
            applied.append(override)
        gb.db.commit()
    kept = [o for o in recorded if o.student not in students]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(o) for o in kept + applied], indent=1))
    return withdrawn, problems
