"""Grading again after the instructor fixed a test or the rubric, with an audit trail: no score changes silently.

    python -m coursetools.regrade [COURSE_DIR] [--assignment ID] [--student ID ...] [--jobs N]      (make regrade)

Reads every grade cell's score from the gradebook, brings the gradebook's copy of the source up to date
(`nbgrader generate_assignment --force`), grades the submissions again with make grade's engine, applies the
overrides of overrides.csv through the gradebook (coursetools/gradebook/overrides.py), writes feedback and
grades.csv, and reads the scores again. report/regrade.csv then holds every (student, grade cell) whose score
changed, or that an override sets or withdrew, with the score before and after and why: "test changed" (the
cell's source, checksum or points differ in the gradebook), "override: <reason> (<who>)", "... withdrawn",
"not graded before" or "score changed". submitted/ is only read; the exit status is 1 only when the tool
itself failed (a student left without a grade, nbgrader failing).
"""
import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from coursetools import assignments, grade
from coursetools.assignments import Assignment
from coursetools.display.safe_text import plain, write_csv
from coursetools.gradebook import overrides
from coursetools.grading.commands import gradebook_url, nbgrader

REPORT = Path("report") / "regrade.csv"
COLUMNS = ["student", "assignment", "grade_cell", "before", "after", "reason"]


@dataclass(frozen=True)
class Snapshot:
    tests: dict[str, tuple]                   # {grade cell: (source, checksum, points)}
    scores: dict[tuple[str, str], float]      # {(student, grade cell): score}


def snapshot(course_dir: Path, assignment: Assignment) -> Snapshot:
    """What the gradebook holds for `assignment`: its grade cells' tests and every student's score per cell."""
    with Gradebook(gradebook_url(course_dir)) as gb:
        try:
            cells = gb.find_notebook(assignment.notebook, assignment.id).grade_cells
        except MissingEntry:  # never generated: nothing to compare with
            return Snapshot({}, {})
        tests = {}
        for cell in cells:
            source = gb.find_source_cell(cell.name, assignment.notebook, assignment.id)
            tests[cell.name] = (source.source, source.checksum, cell.max_score)
        scores = {(submission.student.id, g.name): g.score
                  for submission in gb.find_assignment(assignment.id).submissions
                  for nb in submission.notebooks for g in nb.grades}
    return Snapshot(tests, scores)


def changes(before: Snapshot, after: Snapshot, why: dict[tuple[str, str], str], assignment_id: str,
            students: set[str]) -> list[dict]:
    """One row per regraded (student, grade cell) whose score changed or that an override sets or withdrew
    (`why`: {(student, grade cell): the override's reason})."""
    rows = []
    for (student, cell), score in sorted(after.scores.items()):
        old = before.scores.get((student, cell))
        if student not in students or (old == score and (student, cell) not in why):
            continue
        if (student, cell) in why:
            reason = why[student, cell]
        elif old is None:
            reason = "not graded before"
        else:
            reason = "test changed" if before.tests.get(cell) != after.tests.get(cell) else "score changed"
        rows.append({"student": student, "assignment": assignment_id, "grade_cell": cell,
                     "before": "" if old is None else f"{old:g}", "after": f"{score:g}", "reason": reason})
    return rows


@dataclass(frozen=True)
class Result:
    rows: list[dict]                # report/regrade.csv
    statuses: list[grade.Status]    # the regraded students' lines of make grade's table
    tests_changed: list[str]        # grade cells whose test changed in the gradebook
    problems: list[str]             # students and overrides.csv rows that could not be regraded or applied
    finished: bool                  # feedback and grades.csv written


def regrade(course_dir: Path, assignment: Assignment, only: set[str] | None = None,
            jobs: int | None = None) -> Result:
    """Grade `assignment` again (only some students, or all) and write report/regrade.csv."""
    course_dir = Path(course_dir)
    before = snapshot(course_dir, assignment)
    nbgrader(course_dir, "generate_assignment", assignment.id, "--force")
    intakes = grade.autograde(course_dir, assignment, jobs, only=only)
    regraded = {taken.student for taken in intakes if only is None or taken.student in only}
    problems = [f"{plain(s)}: no submission of {assignment.id} in submitted/" for s in sorted((only or set()) - regraded)]
    tests = snapshot(course_dir, assignment).tests
    wanted, bad_rows = overrides.read(course_dir, assignment, {cell: most for cell, (_, _, most) in tests.items()})
    withdrawn, missing = overrides.apply(course_dir, assignment, wanted, regraded)
    why = {(o.student, o.grade_cell): f"{o.why} withdrawn" for o in withdrawn}
    why |= {(o.student, o.grade_cell): o.why for o in wanted}
    problems += bad_rows + missing
    finished = grade.finish(course_dir, assignment)
    rows = changes(before, snapshot(course_dir, assignment), why, assignment.id, regraded)
    (course_dir / REPORT).parent.mkdir(exist_ok=True)
    write_csv(course_dir / REPORT, rows, COLUMNS)
    statuses = grade.statuses(course_dir, assignment, [t for t in intakes if t.student in regraded])
    return Result(rows, statuses, sorted(c for c in tests if before.tests.get(c) != tests[c]), problems, finished)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.regrade", description=__doc__.split("\n")[0])
    parser.add_argument("course_dir", nargs="?", default=".", type=Path)
    parser.add_argument("--assignment", default=assignments.DEFAULT, choices=assignments.ALL)
    parser.add_argument("--student", action="append", help="regrade only this student (repeatable)")
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: one per core)")
    args = parser.parse_args(argv)
    result = regrade(args.course_dir, assignments.get(args.assignment), set(args.student or ()) or None, args.jobs)
    print(grade.format_statuses(result.statuses))
    for row in result.rows:
        print(f"{plain(row['student'])} {row['grade_cell']}: {row['before'] or '-'} -> {row['after']} "
              f"({plain(row['reason'])})")
    for problem in result.problems:
        print(problem)
    changed = sum(row["before"] != row["after"] for row in result.rows)
    print(f"{args.assignment}: {len(result.statuses)} student(s) regraded, {changed} grade cell(s) changed, "
          f"{len(result.rows) - changed} override(s) kept; tests changed: {', '.join(result.tests_changed) or 'none'}; "
          f"{args.course_dir / REPORT}")
    failed = [s.student for s in result.statuses if not s.graded]
    if failed:
        print(f"grading failed for: {', '.join(map(plain, failed))}", file=sys.stderr)
    return 1 if failed or not result.finished else 0


if __name__ == "__main__":
    sys.exit(main())
