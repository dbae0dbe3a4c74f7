"""Scores per student and part, read from the gradebook, and the table the demo prints."""
from nbgrader.api import Gradebook, MissingEntry

from .assignment import ASSIGNMENT, GRADED_PARTS, NOTEBOOK, part_of


def cell_scores(db_url: str, student_ids) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {grade cell: (score, max_score)}}; (0, max) for every cell of a student with no row."""
    with Gradebook(db_url) as gb:
        maxima = {cell.name: cell.max_score for cell in gb.find_notebook(NOTEBOOK, ASSIGNMENT).grade_cells}
        table = {}
        for student in student_ids:
            try:
                grades = {g.name: g.score for g in gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).grades}
            except MissingEntry:
                grades = {}
            table[student] = {cell: (grades.get(cell, 0.0), most) for cell, most in maxima.items()}
    return table


def part_scores(db_url: str, student_ids) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {part: (score, max_score)}} for every graded part, summed over the part's grade cells."""
    table = {}
    for student, cells in cell_scores(db_url, student_ids).items():
        parts = {part: [0.0, 0.0] for part in GRADED_PARTS}
        for cell, (score, most) in cells.items():
            if part := part_of(cell):
                parts[part][0] += score
                parts[part][1] += most
        table[student] = {part: (got, most) for part, (got, most) in parts.items()}
    return table


def lost(scores: dict[str, tuple[float, float]]) -> set[str]:
    """The parts (or grade cells) of a {name: (score, max)} table that lost points."""
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
