"""The TA's one command: intake, sandboxed autograde, feedback, grades.csv and a status table.

    python -m coursetools.grade [COURSE_DIR] [--assignment ID] [--jobs N] [--scheduler ADDRESS]

Every submission in submitted/ gets a gradebook row, feedback and a line in the table, whatever it holds:
unreadable notebooks are graded as handed out (zero) with a note, crashes and timeouts cost only their
own cells. The exit status is 1 only when the grading itself failed (a student left without a grade).
"""
import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from coursetools import assignments
from coursetools.assignments import Assignment
from coursetools.display.safe_text import plain, rewrite_csv
from coursetools.grading import graded, intake, parallel, workspace
from coursetools.grading.commands import gradebook_url, nbgrader
from coursetools.grading.sandbox import read_status


@dataclass(frozen=True)
class Status:
    student: str
    score: float | None   # None: no grade (a failure of the grading, not of the student)
    max_score: float
    intake: str
    reason: str
    sandbox: str
    incidents: tuple[str, ...]

    @property
    def graded(self) -> bool:
        return self.score is not None


def autograde(course_dir: Path, assignment: Assignment, jobs: int | None = None,
              scheduler: str | None = None, only: set[str] | None = None) -> list[intake.Intake]:
    """Stage the submissions of `assignment` and autograde the staged copies (submitted/ is only read), `jobs` at a time or on
    the Dask cluster at `scheduler` (see coursetools/grading/parallel.py); with `only`, just those students
    (the others keep their grades and statuses).

    A submission left ungraded is graded again on its own (a lost worker, a locked gradebook); if nbgrader fails
    on it again, it is graded as the release notebook with a note, so that it still gets a gradebook row (zero)
    and feedback; if even that fails, the grading is broken."""
    course_dir, name = Path(course_dir), assignment.id
    if only is None:
        shutil.rmtree(course_dir / workspace.status_dir(name), ignore_errors=True)
    for student in only or ():
        (course_dir / workspace.status_dir(name) / f"{student}.json").unlink(missing_ok=True)
    staging = course_dir / workspace.staging(name)
    intakes = intake.stage(course_dir, assignment, staging)
    chosen = [taken.student for taken in intakes if only is None or taken.student in only]
    parallel.autograde(course_dir, name, chosen, jobs, scheduler)
    for index, taken in enumerate(intakes):
        if taken.student not in chosen:
            continue
        if not graded.is_graded(course_dir, name, taken.student):
            print(f"{taken.student}: not graded in the batch, grading it again on its own", flush=True)
            print(parallel.autograde_students(str(course_dir), name, [taken.student]), flush=True)
        if not graded.is_graded(course_dir, name, taken.student):
            intakes[index] = intake.stage_as_release(course_dir, assignment, staging, taken.student,
                                                     "nbgrader could not grade this notebook")
            print(parallel.autograde_students(str(course_dir), name, [taken.student]), flush=True)
    (course_dir / workspace.intake_report(name)).write_text(json.dumps([vars(taken) for taken in intakes], indent=1))
    return intakes


def finish(course_dir: Path, assignment: Assignment) -> bool:
    """Feedback for everyone who handed in `assignment` and grades.csv (every assignment), after autograde and any manual grading; False if either failed.

    grades.csv is rewritten formula-safe (coursetools/display/safe_text.py): it is opened in spreadsheets."""
    feedback = nbgrader(course_dir, "generate_feedback", assignment.id, "--force", check=False)
    export = nbgrader(course_dir, "export", check=False)
    if export.returncode == 0:
        rewrite_csv(Path(course_dir) / "grades.csv")
    return feedback.returncode == export.returncode == 0


def statuses(course_dir: Path, assignment: Assignment, intakes) -> list[Status]:
    course_dir = Path(course_dir)
    rows = []
    with Gradebook(gradebook_url(course_dir)) as gb:
        for taken in intakes:
            try:
                submission = gb.find_submission_notebook(assignment.notebook, assignment.id, taken.student)
                score, most = submission.score, submission.max_score
            except MissingEntry:
                score, most = None, 0.0
            if not graded.is_graded(course_dir, assignment.id, taken.student):
                score = None
            run = read_status(course_dir, assignment.id, taken.student)
            rows.append(Status(taken.student, score, most, taken.status, taken.reason, run["sandbox"],
                               tuple(run["incidents"])))
    return rows


def format_statuses(rows) -> str:
    """The status table; every name and note goes through `plain`, since a submission chooses some of their
    text (error messages, file names) and a terminal obeys escape sequences in it."""
    width = max([len("student")] + [len(r.student) for r in rows])
    lines = [f"{'student':<{width}} {'score':>9}  {'intake':<10} {'sandbox':<10} what happened"]
    for r in rows:
        score = f"{r.score:g}/{r.max_score:g}" if r.graded else "NOT GRADED"
        notes = "; ".join(plain(note) for note in filter(None, [r.reason, *r.incidents])) or "-"
        lines.append(f"{plain(r.student):<{width}} {score:>9}  {r.intake:<10} {r.sandbox:<10} {notes}")
    unsandboxed = [r.student for r in rows if r.sandbox == "none"]
    if unsandboxed:
        lines.append(f"!!! {len(unsandboxed)} submission(s) ran WITHOUT the bubblewrap sandbox (see the log above)")
    return "\n".join(lines)


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m coursetools.grade", description=__doc__.split("\n")[0])
    parser.add_argument("course_dir", nargs="?", default=".", type=Path, help="the course folder (default: here)")
    parser.add_argument("--assignment", default=assignments.DEFAULT, choices=assignments.ALL,
                        help=f"the assignment to grade (default: {assignments.DEFAULT})")
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: one per core)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="grade on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786), one task "
                             "per submission; 'local' starts a cluster of --jobs workers on this machine")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    assignment = assignments.get(args.assignment)
    intakes = autograde(args.course_dir, assignment, args.jobs, args.scheduler)
    finished = finish(args.course_dir, assignment)
    rows = statuses(args.course_dir, assignment, intakes)
    print(format_statuses(rows))
    failed = [r.student for r in rows if not r.graded]
    if failed:
        print(f"grading failed for: {', '.join(failed)}", file=sys.stderr)
    if not finished:
        print("generate_feedback or export failed (see above)", file=sys.stderr)
    return 1 if failed or not finished else 0


if __name__ == "__main__":
    sys.exit(main())
