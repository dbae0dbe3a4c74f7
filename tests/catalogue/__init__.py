"""Catalogues of student implementations that the grading must judge right, one per assignment
(tests/catalogue/<assignment>/).

`wrong` holds realistic mistakes: each must lose points in the grade cells of its own part, and its
feedback must carry the hint that names the mistake. `correct` holds right answers written other ways
than the instructor's: each must get every autograded point. Entries of different parts are handed in together
(`bundles`) by a sample student who solved everything else with the instructor's solution.
"""
import importlib
from dataclasses import dataclass

from coursetools import assignments
from coursetools.assignments import Assignment

from .entry import Bundle, Entry, bundled

ENTRIES_PER_SUBMISSION = 4


@dataclass(frozen=True)
class Catalogue:
    assignment: Assignment
    wrong: tuple[Entry, ...]
    correct: tuple[Entry, ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.wrong + self.correct

    @property
    def bundles(self) -> tuple[Bundle, ...]:
        """The submissions that hand the entries in, ENTRIES_PER_SUBMISSION of different parts in each."""
        return bundled(self.entries, ENTRIES_PER_SUBMISSION, "entries")


def of(assignment_id: str) -> Catalogue:
    entries = importlib.import_module(f"catalogue.{assignment_id}")
    return Catalogue(assignments.get(assignment_id), entries.WRONG, entries.CORRECT)
