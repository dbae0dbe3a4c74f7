"""One assignment's scores from the gradebook as a CSV the LMS's gradebook import takes.

    python -m coursetools.lms.grades_csv [COURSE_DIR] --lms canvas|moodle [--assignment ID] [--roster FILE]
                                         [--parts] [--out FILE]

One row per student of the roster, in its order: its identity columns (Canvas: Student, ID, SIS User ID, SIS Login
ID, Section, after the Points Possible row Canvas's own export has; Moodle: Full name, Email address, ID number),
then the assignment's score after nbgrader's late penalty, as `nbgrader export` computes it (max(0, score -
penalty)), in the roster's column of the assignment if it has one (Canvas then updates that assignment); empty
for a student with no submission, so that the import leaves their grade alone. --parts adds a column per part
(points before any penalty). Students graded but not in the roster are listed, not written. Every text cell is
spreadsheet-safe (coursetools/display/safe_text.py): the names come from the LMS, which students can edit.
"""
import argparse
import sys
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from coursetools import assignments
from coursetools.display.safe_text import plain, write_csv
from coursetools.gradebook.scores import part_scores
from coursetools.grading.commands import gradebook_url
from coursetools.lms import cli, roster

POINTS_POSSIBLE = "    Points Possible"  # the first cell of the second row of Canvas's gradebook export


class NotGraded(Exception):
    """The gradebook has no such assignment (a message for the TA)."""


def final_scores(db_url: str, assignment_id: str) -> tuple[dict[str, tuple[float, float]], float]:
    """{student: (score after the late penalty, penalty)} of everyone with a submission, and the maximum."""
    with Gradebook(db_url) as gb:
        try:
            found = gb.find_assignment(assignment_id)
        except MissingEntry:
            raise NotGraded(f"the gradebook has no assignment {assignment_id!r}: run make grade first") from None
        scores = {s.student.id: (max(0.0, s.score - s.late_submission_penalty), s.late_submission_penalty)
                  for s in found.submissions}
        return scores, found.max_score


def rows(course_dir: Path, lms: str, assignment, members: roster.Roster, parts: bool):
    """The CSV's columns and rows, and the scores they were made from."""
    db_url = gradebook_url(course_dir)
    scores, most = final_scores(db_url, assignment.id)
    column = members.assignment_column(assignment.id)
    part_columns = {part: f"{assignment.id}: {part}" for part in assignment.graded_parts} if parts else {}
    columns = members.identity_columns() + [column, *part_columns.values()]
    by_part = part_scores(db_url, assignment, [m.student_id for m in members.members]) if parts else {}
    table = []
    if lms == "canvas":  # the parts' points are the assignment's contract, which tests/test_contract.py checks
        table.append({"Student": POINTS_POSSIBLE, column: most,
                      **{name: assignment.points[part] for part, name in part_columns.items()}})
    for member in members.members:
        row = {**{c: member.identity.get(c, "") for c in members.identity_columns()}, column: ""}
        if member.student_id in scores:
            row[column] = round(scores[member.student_id][0], 2)
            row.update({name: round(by_part[member.student_id][part][0], 2) for part, name in part_columns.items()})
        table.append(row)
    return columns, table, scores


def summary(out: Path, members: roster.Roster, scores: dict) -> str:
    ids = [m.student_id for m in members.members]
    lines = [f"wrote {out}: {len(ids)} students of the roster, {sum(s in scores for s in ids)} with a score"]
    if missing := [s for s in ids if s not in scores]:
        lines.append(f"no submission in the gradebook (left empty): {', '.join(map(plain, missing))}")
    if penalised := [f"{plain(s)} (-{scores[s][1]:g})" for s in ids if s in scores and scores[s][1]]:
        lines.append(f"late penalties taken off: {', '.join(penalised)}")
    if outside := sorted(set(scores) - set(ids)):
        lines.append(f"graded but not in the roster (not written): {', '.join(map(plain, outside))}")
    return "\n".join(lines)


def arguments(argv=None) -> argparse.Namespace:
    parser = cli.parser("python -m coursetools.lms.grades_csv", __doc__.split("\n")[0],
                        "the assignment whose scores to write")
    parser.add_argument("--parts", action="store_true", help="a column for each part as well")
    parser.add_argument("--out", type=Path, default=None,
                        help="the CSV to write (default: lms/<lms>-<assignment>-grades.csv in the course)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    out = args.out or cli.lms_folder(args) / f"{args.lms}-{args.assignment}-grades.csv"
    try:
        members = roster.read(args.lms, cli.roster_path(args))
        columns, table, scores = rows(args.course_dir, args.lms, assignments.get(args.assignment), members, args.parts)
    except (roster.RosterError, NotGraded) as error:
        print(f"lms-grades: error: {plain(error, 1000)}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(out, table, columns)
    print(summary(out, members, scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
