"""One grading slot: a long-lived nbgrader that autogrades one staged submission at a time.

    python -m coursetools.grading.grading_worker ASSIGNMENT      (in the course folder)

reads a student id per line on stdin, autogrades that student's copy in .grading/ASSIGNMENT/submitted/ with the course's
nbgrader_config.py (sandbox, re-verification, ...) through nbgrader's own API, and answers each with one line
of JSON, {"student", "success", "log"}, on the stdout it was started with.

Why: starting nbgrader costs about three seconds, and a process per chunk of the class makes every student in
the chunk wait behind a slow one. `make grade` keeps one of these per slot and hands each the next submission
when it is free (coursetools/grading/parallel.py), so nbgrader starts once per slot and nobody queues behind a hang.
Anything else written to stdout (a library's print) goes to stderr, so the answers stay one line each.
"""
import json
import logging
import os
import sys
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)  # see coursetools/grading/nbgrader_cli.py
from nbgrader.apps.api import NbGraderAPI  # noqa: E402
from nbgrader.auth import Authenticator  # noqa: E402
from nbgrader.coursedir import CourseDirectory  # noqa: E402
from traitlets.config.loader import PyFileConfigLoader  # noqa: E402

from coursetools.grading import workspace  # noqa: E402


def course_api(course_dir: Path, assignment: str) -> NbGraderAPI:
    """nbgrader's API on the course as the course's nbgrader_config.py sets it up, reading the staged copies."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    config.CourseDirectory.submitted_directory = str(workspace.staging(assignment))
    api = NbGraderAPI(CourseDirectory(config=config), Authenticator(config=config), config=config)
    api.log.setLevel(logging.ERROR)  # what `nbgrader ... --log-level=ERROR` prints
    return api


def serve(assignment: str, requests, answers) -> None:
    api = course_api(Path.cwd(), assignment)
    for line in requests:
        student = line.strip()
        if not student:
            continue
        result = api.autograde(assignment, student, force=True, create=True)
        log = result.get("log", "") + result.get("error", "")
        answers.write(json.dumps({"student": student, "success": bool(result.get("success")), "log": log}) + "\n")
        answers.flush()


def main(argv=None) -> int:
    assignment = (argv or sys.argv[1:])[0]
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(assignment, sys.stdin, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
