"""The course's assignments: what each one's notebook, grader, sample class and tests agree on.

The grading engine (coursetools/grading, verification, display, gradebook) takes an `Assignment` and names
none; each assignment's own package (coursetools/assignments/<id>/) holds its contract and its sample class.
"""
import importlib
from dataclasses import dataclass
from pathlib import Path

ALL = ("cnn", "cnn_backprop")  # in the order the course hands them out
DEFAULT = "cnn"                # what the commands grade when no --assignment is given


@dataclass(frozen=True)
class Assignment:
    """The student-facing contract of one assignment (tests/test_contract.py checks the notebook against it)."""
    id: str                      # nbgrader's assignment id, also the folder under source/ and release/
    signatures: dict[str, str]   # {part: "name(args)"}: solution cells' grade_ids, which are also the names
    #                              students define, in notebook order, with their signatures
    written_answer: str          # the manually graded markdown cell's grade_id
    points: dict[str, float]     # {graded part: points}, the written answer included
    headline: str | None = None  # a regular expression: the lines of the full solution's outputs the demo shows

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.signatures)

    @property
    def notebook(self) -> str:
        """nbgrader's notebook id (the file name without .ipynb): one notebook per assignment, named like it."""
        return self.id

    @property
    def graded_parts(self) -> tuple[str, ...]:
        return self.parts + (self.written_answer,)

    def source_notebook(self, course_dir: Path) -> Path:
        return Path(course_dir) / "source" / self.id / f"{self.notebook}.ipynb"

    def release_notebook(self, course_dir: Path) -> Path:
        return Path(course_dir) / "release" / self.id / f"{self.notebook}.ipynb"

    def part_of(self, grade_id: str) -> str | None:
        """The part a grade cell scores: test cells are named test_<part> or test_<part>_<what>.

        Returns None for cells that belong to no part (the 0-point grader setup)."""
        if grade_id in self.graded_parts:
            return grade_id
        matches = [p for p in self.parts if grade_id == f"test_{p}" or grade_id.startswith(f"test_{p}_")]
        return max(matches, key=len, default=None)

    @property
    def sample_class(self):
        """This assignment's sample class module (coursetools/assignments/<id>/sample_class.py)."""
        return importlib.import_module(f"coursetools.assignments.{self.id}.sample_class")


def get(assignment_id: str = DEFAULT) -> Assignment:
    """The assignment called `assignment_id`; ValueError naming the course's assignments for any other."""
    if assignment_id not in ALL:
        raise ValueError(f"no assignment {assignment_id!r} in this course (its assignments: {', '.join(ALL)})")
    return importlib.import_module(f"coursetools.assignments.{assignment_id}").ASSIGNMENT
