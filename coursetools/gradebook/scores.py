"""Scores per student and part, and per student and assignment, read from the gradebook; the tables the demo
prints."""
from nbgrader.api import Gradebook, MissingEntry

from coursetools.assignments import Assignment


def cell_scores(db_url: str, assignment: Assignment, student_ids) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {grade cell: (score, max_score)}}; (0, max) for every cell of a student with no row."""
    with Gradebook(db_url) as gb:
        maxima = {cell.name: cell.max_score
                  for cell in gb.find_notebook(assignment.notebook, assignment.id).grade_cells}
        table = {}
        for student in student_ids:
            try:
                grades = {g.name: g.score
                          for g in gb.find_submission_notebook(assignment.notebook, assignment.id, student).grades}
            except MissingEntry:
                grades = {}
            table[student] = {cell: (grades.get(cell, 0.0), most) for cell, most in maxima.items()}
    return table


def part_scores(db_url: str, assignment: Assignment, student_ids) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {part: (score, max_score)}} for every graded part, summed over the part's grade cells."""
    table = {}
    for student, cells in cell_scores(db_url, assignment, student_ids).items():
        parts = {part: [0.0, 0.0] for part in assignment.graded_parts}
        for cell, (score, most) in cells.items():
            if part := assignment.part_of(cell):
                parts[part][0] += score
                parts[part][1] += most
        table[student] = {part: (got, most) for part, (got, most) in parts.items()}
    return table


def course_scores(db_url: str, assignments) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {assignment id: (score, max_score)}} for every student in the gradebook; (0, max) where a
    student has no submission of an assignment (only assignments in the gradebook count)."""
    with Gradebook(db_url) as gb:
        known = {a.name for a in gb.assignments}
        maxima = {a.id: gb.find_assignment(a.id).max_score for a in assignments if a.id in known}
        table = {}
        for student in sorted(s.id for s in gb.students):
            row = {}
            for assignment_id, most in maxima.items():
                try:
                    row[assignment_id] = (gb.find_submission(assignment_id, student).score, most)
                except MissingEntry:
                    row[assignment_id] = (0.0, most)
            table[student] = row
    return table


def lost(scores: dict[str, tuple[float, float]]) -> set[str]:
    """The parts (or grade cells) of a {name: (score, max)} table that lost points."""
    return {part for part, (got, most) in scores.items() if got < most}


def format_table(table, descriptions=None) -> str:
    """A fixed-width table: one row per student, one column per key of the rows (parts or assignments), the
    total and what the row shows."""
    descriptions = descriptions or {}
    name_width = max(len("student"), *(len(s) for s in table))
    first = next(iter(table.values()))
    columns = [(key, max(len(key), 5)) for key in first]

    def row(name, cells, total, note=""):
        padded = [cell.rjust(width) for cell, (_, width) in zip(cells, columns, strict=True)]
        return " ".join([name.ljust(name_width), *padded, total.rjust(7)]) + (f"  {note}" if note else "")

    maxima = [most for _, most in first.values()]
    lines = [row("student", [key for key, _ in columns], "total"),
             row("max", [f"{m:g}" for m in maxima], f"{sum(maxima):g}")]
    for student, scores in table.items():
        got = [score for score, _ in scores.values()]
        lines.append(row(student, [f"{g:g}" for g in got], f"{sum(got):g}", descriptions.get(student, "")))
    return "\n".join(lines)
