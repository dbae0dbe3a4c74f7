"""Scores per student and part, read from the gradebook, and the table the demo prints."""
from collections import defaultdict

from nbgrader.api import Gradebook, MissingEntry

from .assignment import ASSIGNMENT, GRADED_PARTS, NOTEBOOK, part_of


def part_scores(db_url: str, student_ids) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {part: (score, max_score)}} for every graded part; (0, max) for a student with no row."""
    with Gradebook(db_url) as gb:
        maxima = defaultdict(float)
        for cell in gb.find_notebook(NOTEBOOK, ASSIGNMENT).grade_cells:
            if part := part_of(cell.name):
                maxima[part] += cell.max_score
        table = {}
        for student in student_ids:
            scores = dict.fromkeys(maxima, 0.0)
            try:
                grades = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).grades
            except MissingEntry:
                grades = []
            for grade in grades:
                if part := part_of(grade.name):
                    scores[part] += grade.score
            table[student] = {p: (scores[p], maxima[p]) for p in GRADED_PARTS}
    return table


def lost_parts(scores: dict[str, tuple[float, float]]) -> set[str]:
    return {part for part, (got, most) in scores.items() if got < most}


def format_table(table, descriptions=None) -> str:
    """A fixed-width table: one row per student, one column per part, the total and what the row shows."""
    descriptions = descriptions or {}
    name_width = max(len("student"), *(len(s) for s in table))
    columns = [(part, max(len(part), 5)) for part in GRADED_PARTS]

    def row(name, cells, total, note=""):
        padded = [cell.rjust(width) for cell, (_, width) in zip(cells, columns, strict=True)]
        return " ".join([name.ljust(name_width), *padded, total.rjust(7)]) + (f"  {note}" if note else "")

    maxima = [most for _, most in next(iter(table.values())).values()]
    lines = [row("student", [part for part, _ in columns], "total"),
             row("max", [f"{m:g}" for m in maxima], f"{sum(maxima):g}")]
    for student, scores in table.items():
        got = [score for score, _ in scores.values()]
        lines.append(row(student, [f"{g:g}" for g in got], f"{sum(got):g}", descriptions.get(student, "")))
    return "\n".join(lines)
