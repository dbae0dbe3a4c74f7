"""Catalogues of student implementations that the grading must judge right.

`WRONG` holds realistic mistakes: each must lose points in the grade cells of its own part, and its
feedback must carry the hint that names the mistake. `CORRECT` holds right answers written other ways
than the instructor's: each must get every autograded point. Each entry becomes a sample student who
solved everything with the instructor's solution except the entry's part.
"""
from .correct_entries import CORRECT
from .wrong_entries import WRONG

ENTRIES = WRONG + CORRECT
