"""The roster an LMS exports, mapping its user ids to the course's student ids.

Canvas: the gradebook export (Grades → Export → CSV): `Student, ID, SIS User ID, SIS Login ID, Section`, then
one column per assignment (`cnn (1234)`) and a `Points Possible` row; ID is the Canvas user id of the download's
file names, the SIS Login ID (else the SIS User ID) the course's student id. Canvas's "Student, Test" has neither
and is left out.
Moodle: the assignment's grading worksheet (View all submissions → Download grading worksheet): `Identifier`
(`Participant 2001`: the participant id of the download's file names), `Full name`, `Email address` and, where the
site shows it, `ID number`, which is the course's student id (else the email address before its `@`).
"""
import csv
import re
from dataclasses import dataclass
from pathlib import Path

# The columns that say who a row is, copied into the grades CSV the LMS imports (Moodle's ID number if present).
IDENTITY = {"canvas": ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"),
            "moodle": ("Full name", "Email address", "ID number")}
REQUIRED = {"canvas": IDENTITY["canvas"], "moodle": ("Identifier", "Full name", "Email address")}


class RosterError(ValueError):
    """A roster file that is not the LMS's export (a message for the TA)."""


@dataclass(frozen=True)
class Member:
    user_id: str          # the LMS's id of the student in its download's file names
    student_id: str       # the course's (nbgrader's) id
    identity: dict        # the roster's identity columns for this student


@dataclass(frozen=True)
class Roster:
    lms: str
    members: tuple[Member, ...]
    columns: tuple[str, ...]   # the export's header

    def by_user_id(self) -> dict[str, Member]:
        return {m.user_id: m for m in self.members}

    def identity_columns(self) -> list[str]:
        return [c for c in IDENTITY[self.lms] if c in self.columns]

    def assignment_column(self, assignment_id: str) -> str:
        """The export's column of `assignment_id` (Canvas: `cnn (1234)`, which its import updates in place), or
        the id itself, a new column."""
        same = re.compile(rf"{re.escape(assignment_id)}(?: \(\d+\))?")
        return next((c for c in self.columns if same.fullmatch(c)), assignment_id)


def _member(lms: str, row: dict) -> Member | None:
    identity = {c: (row.get(c) or "").strip() for c in IDENTITY[lms] if c in row}
    if lms == "canvas":
        user_id, student_id = identity["ID"], identity["SIS Login ID"] or identity["SIS User ID"]
    else:
        user_id = re.sub(r"\D", "", row["Identifier"])
        student_id = identity.get("ID number") or identity["Email address"].partition("@")[0]
    if student_id.startswith(".") or "/" in student_id or "\\" in student_id:  # it names a folder of submitted/
        raise RosterError(f"the roster gives {user_id} the student id {student_id!r}, which is no folder name")
    return Member(user_id, student_id, identity) if user_id and student_id else None


def read(lms: str, path: Path) -> Roster:
    """The roster in `path`, as `lms` exports it; RosterError if it is missing or lacks the export's columns."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = tuple(reader.fieldnames or ())
            missing = [c for c in REQUIRED[lms] if c not in columns]
            if missing:
                raise RosterError(f"{path} is not a {lms} roster export: no column {', '.join(missing)}")
            members = tuple(filter(None, (_member(lms, row) for row in reader)))
    except OSError as error:
        raise RosterError(f"cannot read the roster {path}: {error.strerror}") from None
    return Roster(lms, members, columns)
