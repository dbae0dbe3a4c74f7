"""The mark that a submission's autograde finished, for progress bars, retries and the status table.

nbgrader writes the autograded notebook twice: once sanitized, before anything runs, and again at the end, so
the file's existence says nothing. `MarkGraded` is the last of autograde's steps (nbgrader_config.py): it runs
after SaveAutoGrades has committed the scores and writes `.grading/<assignment>/status/<student>.graded`.
"""
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from coursetools.grading import workspace


def mark(course_dir: Path, assignment_id: str, student: str) -> Path:
    return Path(course_dir) / workspace.status_dir(assignment_id) / f"{student}.graded"


def is_graded(course_dir: Path, assignment_id: str, student: str) -> bool:
    """Whether autograde finished for `student` since `forget` was last called for them."""
    return mark(course_dir, assignment_id, student).is_file()


def forget(course_dir: Path, assignment_id: str, student: str) -> None:
    mark(course_dir, assignment_id, student).unlink(missing_ok=True)


class MarkGraded(Preprocessor):
    """Autograde's last step: mark the submission graded (nbgrader runs converters in the course root)."""

    enabled = Bool(True)

    def preprocess(self, nb, resources):
        names = resources["nbgrader"]
        path = mark(Path.cwd(), names["assignment"], names["student"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return nb, resources
