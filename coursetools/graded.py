"""The mark that a submission's autograde finished, for progress bars, retries and the status table.

nbgrader writes the autograded notebook twice: once sanitized, before anything runs, and again at the end, so
the file's existence says nothing. `MarkGraded` is the last of autograde's steps (nbgrader_config.py): it runs
after SaveAutoGrades has committed the scores and writes `.grading/status/<student>.graded`.
"""
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .sandbox import STATUS_DIR


def mark(course_dir: Path, student: str) -> Path:
    return Path(course_dir) / STATUS_DIR / f"{student}.graded"


def is_graded(course_dir: Path, student: str) -> bool:
    """Whether autograde finished for `student` since `forget` was last called for them."""
    return mark(course_dir, student).is_file()


def forget(course_dir: Path, student: str) -> None:
    mark(course_dir, student).unlink(missing_ok=True)


class MarkGraded(Preprocessor):
    """Autograde's last step: mark the submission graded (nbgrader runs converters in the course root)."""

    enabled = Bool(True)

    def preprocess(self, nb, resources):
        path = mark(Path.cwd(), resources["nbgrader"]["student"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return nb, resources
