"""Scores per student and part, read from the gradebook, and the table the demo prints."""
from collections import defaultdict

from nbgrader.api import Gradebook, MissingEntry

from .assignment import ASSIGNMENT, GRADED_PARTS, NOTEBOOK, part_of


def part_scores(db_url: str, student_ids) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {part: (score, max_score)}} for every graded part; (0, max) for a student with no row."""
    with Gradebook(db_url) as gb:
        maxima = defaultdict(float)
        for cell in gb.find_notebook(NOTEBOOK, ASSIGNMENT).grade_cells:
            if part_of(cell.name):
                maxima[part_of(cell.name)] += cell.max_score
        table = {}
        for student in student_ids:
            scores = dict.fromkeys(maxima, 0.0)
            try:
                grades = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).grades
            except MissingEntry:
                grades = []
            for grade in grades:
                if part_of(grade.name):
                    scores[part_of(grade.name)] += grade.score
            table[student] = {p: (scores[p], maxima[p]) for p in GRADED_PARTS}
    return table


def lost_parts(scores: dict[str, tuple[float, float]]) -> set[str]:
    return {part for part, (got, most) in scores.items() if got < most}


def format_table(table, descriptions=None) -> str:
    """A fixed-width table: one row per student, one column per part, the total and what the row shows."""
    descriptions = descriptions or {}
    name_width = max(len("student"), *(len(s) for s in table))
    widths = [max(len(p), 5) for p in GRADED_PARTS]
    header = ["student".ljust(name_width)] + [p.rjust(w) for p, w in zip(GRADED_PARTS, widths)] + ["  total"]
    maxima = next(iter(table.values())) if table else {}
    lines = [" ".join(header),
             " ".join(["max".ljust(name_width)] + [f"{maxima[p][1]:g}".rjust(w) for p, w in zip(GRADED_PARTS, widths)]
                      + [f"{sum(m for _, m in maxima.values()):7g}"])]
    for student, scores in table.items():
        cells = [f"{scores[p][0]:g}".rjust(w) for p, w in zip(GRADED_PARTS, widths)]
        total = sum(got for got, _ in scores.values())
        note = descriptions.get(student, "")
        lines.append(" ".join([student.ljust(name_width)] + cells + [f"{total:7g}"]) + (f"  {note}" if note else ""))
    return "\n".join(lines)
