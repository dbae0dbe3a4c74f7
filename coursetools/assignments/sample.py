"""Sample submissions built from the release, the way students would hand them in (any assignment).

Each sample student starts from the release notebook, solves some parts with the instructor's solution and
may carry mistakes, written as text edits of that solution. An edit that no longer matches the solution
raises, so a sample class cannot silently drift away from the notebook it describes.
"""
from dataclasses import dataclass
from pathlib import Path

import nbformat

from coursetools.assignments import Assignment
from coursetools.grading import notebook

TIMESTAMP = "2026-11-20 12:00:00.000000 UTC\n"


@dataclass(frozen=True)
class Student:
    student_id: str
    description: str
    solves: tuple[str, ...] = ()            # parts filled in with the instructor's solution
    edits: tuple[tuple[str, str, str], ...] = ()   # (part, text in the solution, replacement)
    rewrites: tuple[tuple[str, str], ...] = ()      # (part, the whole cell as this student wrote it)
    written_answer: str | None = None       # None: the instructor's answer if the written answer is solved
    written_score: float = 0.0              # what the demo's TA gives the written answer
    loses: tuple[str, ...] = ()             # the parts this submission is meant to lose points in
    whole_source: bool = False              # submit the instructor's source notebook itself


# Every assignment's hardest case for the grading: the instructor's notebook itself, hidden tests included.
INSTRUCTOR_SOURCE = Student("instructor_source", "the instructor's source notebook, hidden tests included",
                            whole_source=True, written_score=10)


def solved_source(source_cell, part, edits) -> str:
    code = notebook.without_markers(source_cell.source)
    for edited_part, old, new in edits:
        if edited_part == part:
            if code.count(old) != 1:
                raise ValueError(f"edit for {part} expects {old!r} exactly once in the solution")
            code = code.replace(old, new)
    return code


def submission(assignment: Assignment, student: Student, course_dir: Path) -> nbformat.NotebookNode:
    """The notebook `student` hands in for `assignment`."""
    source = notebook.read(assignment.source_notebook(course_dir))
    if student.whole_source:
        return source
    nb = notebook.read(assignment.release_notebook(course_dir))
    rewrites = dict(student.rewrites)
    for part in student.solves:
        cell = notebook.cell_by_id(nb, part)
        cell.source = rewrites.get(part) or solved_source(notebook.cell_by_id(source, part), part, student.edits)
        if part == assignment.written_answer and student.written_answer is not None:
            cell.source = student.written_answer
    return nb


def build(assignment: Assignment, course_dir: Path, students) -> None:
    """Write each student's submission to submitted/<id>/<assignment>/, as nbgrader's collect step would."""
    for student in students:
        folder = Path(course_dir) / "submitted" / student.student_id / assignment.id
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission(assignment, student, course_dir), str(folder / f"{assignment.notebook}.ipynb"))
        (folder / "timestamp.txt").write_text(TIMESTAMP)
