"""The TA's one command: intake, sandboxed autograde, feedback, grades.csv and a status table.

    python -m coursetools.grade [COURSE_DIR] [--jobs N] [--scheduler ADDRESS]

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

from . import graded, intake, parallel
from .assignment import ASSIGNMENT, NOTEBOOK
from .commands import gradebook_url, nbgrader
from .safe_text import plain, rewrite_csv
from .sandbox import STATUS_DIR, read_status

INTAKE_REPORT = Path(".grading") / "intake.json"  # what the intake found, one entry per student


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


def autograde(course_dir: Path, jobs: int | None = None, scheduler: str | None = None) -> list[intake.Intake]:
    """Stage the submissions and autograde the staged copies (submitted/ is only read), `jobs` at a time or on
    the Dask cluster at `scheduler` (see coursetools/parallel.py).

    A submission left ungraded is graded again on its own (a lost worker, a locked gradebook); if nbgrader fails
    on it again, it is graded as the release notebook with a note, so that it still gets a gradebook row (zero)
    and feedback; if even that fails, the grading is broken."""
    course_dir = Path(course_dir)
    shutil.rmtree(course_dir / STATUS_DIR, ignore_errors=True)
    intakes = intake.stage(course_dir, course_dir / parallel.STAGING)
    parallel.autograde(course_dir, [taken.student for taken in intakes], jobs, scheduler)
    for index, taken in enumerate(intakes):
        if not graded.is_graded(course_dir, taken.student):
            print(f"{taken.student}: not graded in the batch, grading it again on its own", flush=True)
            print(parallel.autograde_students(str(course_dir), [taken.student]), flush=True)
        if not graded.is_graded(course_dir, taken.student):
            intakes[index] = intake.stage_as_release(course_dir, course_dir / parallel.STAGING, taken.student,
                                                     "nbgrader could not grade this notebook")
            print(parallel.autograde_students(str(course_dir), [taken.student]), flush=True)
    (course_dir / INTAKE_REPORT).write_text(json.dumps([vars(taken) for taken in intakes], indent=1))
    return intakes


def finish(course_dir: Path) -> bool:
    """Feedback for everyone and grades.csv, after autograde and any manual grading; False if either failed.

    grades.csv is rewritten formula-safe (coursetools/safe_text.py): it is opened in spreadsheets."""
    feedback = nbgrader(course_dir, "generate_feedback", ASSIGNMENT, "--force", check=False)
    export = nbgrader(course_dir, "export", check=False)
    if export.returncode == 0:
        rewrite_csv(Path(course_dir) / "grades.csv")
    return feedback.returncode == export.returncode == 0


def statuses(course_dir: Path, intakes) -> list[Status]:
    course_dir = Path(course_dir)
    rows = []
    with Gradebook(gradebook_url(course_dir)) as gb:
        for taken in intakes:
            try:
                submission = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, taken.student)
                score, most = submission.score, submission.max_score
            except MissingEntry:
                score, most = None, 0.0
            if not graded.is_graded(course_dir, taken.student):
                score = None
            run = read_status(course_dir, taken.student)
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
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: one per core)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="grade on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786), one task "
                             "per submission; 'local' starts a cluster of --jobs workers on this machine")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    intakes = autograde(args.course_dir, args.jobs, args.scheduler)
    finished = finish(args.course_dir)
    rows = statuses(args.course_dir, intakes)
    print(format_statuses(rows))
    failed = [r.student for r in rows if not r.graded]
    if failed:
        print(f"grading failed for: {', '.join(failed)}", file=sys.stderr)
    if not finished:
        print("generate_feedback or export failed (see above)", file=sys.stderr)
    return 1 if failed or not finished else 0


if __name__ == "__main__":
    sys.exit(main())
