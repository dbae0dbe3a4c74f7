"""Where a grading run keeps its files: `.grading/<assignment>/` in the course folder, one tree per assignment,
so that grading one assignment never touches another's staged copies, statuses or records.

Paths are relative to the course root (nbgrader runs its converters there)."""
from pathlib import Path

ROOT = Path(".grading")


def folder(assignment_id: str) -> Path:
    return ROOT / assignment_id


def staging(assignment_id: str) -> Path:
    """The intake's copies of submitted/ (nbgrader's layout: <student>/<assignment>/), what autograde reads."""
    return folder(assignment_id) / "submitted"


def chunks(assignment_id: str) -> Path:
    """One submitted folder per running nbgrader process (Dask)."""
    return folder(assignment_id) / "chunks"


def status_dir(assignment_id: str) -> Path:
    """<student>.json: what the sandbox saw; <student>.graded: autograde finished."""
    return folder(assignment_id) / "status"


def intake_report(assignment_id: str) -> Path:
    """What the intake found, one entry per student."""
    return folder(assignment_id) / "intake.json"


def slot_seconds(assignment_id: str) -> Path:
    """{student: seconds their submission held a local grading slot}."""
    return folder(assignment_id) / "slot-seconds.json"


def overrides(assignment_id: str) -> Path:
    """The overrides make regrade applied, to withdraw those overrides.csv no longer holds."""
    return folder(assignment_id) / "overrides.json"
