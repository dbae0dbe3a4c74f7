"""LMS downloads of the cnn sample class, built the way Canvas and Moodle name their files (coursetools/lms/naming.py),
with the roster each LMS exports; and a corrupt download. Built by the tests, never committed.

Both downloads hold the same class: full_solution handed in twice (the release first, the solution a day later under
a renamed copy), flipped_kernel once and late, untouched_stub with a README.txt and a screenshot beside the notebook,
and a student missing from the roster. The rosters add a student with no submission whose name is a formula.
"""
import csv
import io
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from coursetools import cycle, grade
from coursetools.assignments import sample
from coursetools.assignments.cnn import ASSIGNMENT, sample_class
from coursetools.grading import commands

DUE = "2026-11-20 12:00:00 UTC"   # the due date the end-to-end runs give the assignment
BY_ID = {s.student_id: s for s in sample_class.SAMPLE_CLASS}
STUDENTS = tuple(BY_ID[s] for s in ("full_solution", "flipped_kernel", "untouched_stub"))  # what gets graded
RELEASE = BY_ID["untouched_stub"]        # full_solution's first attempt: the notebook as handed out
STRANGER = BY_ID["off_by_one"]           # the notebook of the student missing from the roster
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
FORMULA_NAME = "=1+1"                    # an LMS-controlled name no spreadsheet may read as a formula


@dataclass(frozen=True)
class Download:
    zip: Path
    roster: Path
    latest: dict        # {student id: the archive member that must be collected}
    skipped: tuple      # members of older attempts
    unknown: tuple      # members of the student missing from the roster
    ignored: tuple      # members that are not notebooks


def _write_zip(path: Path, entries) -> Path:
    """`entries`: (member, bytes, (y, m, d, H, M)) as the LMS zips them, each with its time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data, when in entries:
            archive.writestr(zipfile.ZipInfo(member, date_time=(*when, 0)), data)
    return path


def _write_csv(path: Path, header, rows) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def notebook(course_dir: Path, student) -> bytes:
    return nbformat.writes(sample.submission(ASSIGNMENT, student, course_dir)).encode()


# What both downloads hold: (name, the sample student whose notebook it is or the file's bytes, its zip entry's time).
CONTENTS = (("first", RELEASE, (2026, 11, 19, 9, 0)), ("latest", BY_ID["full_solution"], (2026, 11, 20, 10, 0)),
            ("late", BY_ID["flipped_kernel"], (2026, 11, 21, 8, 30)), ("stub", RELEASE, (2026, 11, 20, 11, 0)),
            ("readme", b"how I ran it\n", (2026, 11, 20, 11, 0)), ("png", PNG, (2026, 11, 20, 11, 0)),
            ("stranger", STRANGER, (2026, 11, 20, 9, 0)), ("text", b"<p>see the notebook</p>", (2026, 11, 20, 10, 0)))
NOT_NOTEBOOKS = ("readme", "png", "text")


def _download(course_dir: Path, folder: Path, lms: str, names: dict, header: list, rows: list) -> Download:
    entries = [(names[key], what if isinstance(what, bytes) else notebook(course_dir, what), when)
               for key, what, when in CONTENTS if key in names]
    archive, roster = _write_zip(folder / f"{lms}-download.zip", entries), _write_csv(folder / f"{lms}-roster.csv", header, rows)
    return Download(archive, roster,
                    {"full_solution": names["latest"], "flipped_kernel": names["late"], "untouched_stub": names["stub"]},
                    (names["first"],), (names["stranger"],), tuple(names[k] for k in NOT_NOTEBOOKS if k in names))


def canvas(course_dir: Path, folder: Path) -> Download:
    """Canvas's Download Submissions, unzipped and zipped again by the TA into a folder `cnn submissions/`, and
    its gradebook export (with the Points Possible row and Canvas's test student)."""
    names = {key: f"cnn submissions/{name}" for key, name in [
        ("first", "solutionfull_101_9001_cnn.ipynb"), ("latest", "solutionfull_101_9002_cnn-1.ipynb"),
        ("late", "kernelflipped_late_102_9003_cnn (2).ipynb"), ("stub", "stubuntouched_103_9004_cnn.ipynb"),
        ("readme", "stubuntouched_103_9005_README.txt"), ("png", "stubuntouched_103_9006_screenshot.png"),
        ("stranger", "samstranger_150_9007_cnn.ipynb")]}
    return _download(course_dir, folder, "canvas", names,
                     ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "cnn (4001)", "cnn_backprop (4002)"], [
                         ["    Points Possible", "", "", "", "", "100", "100"],
                         ["Solution, Full", "101", "S0101", "full_solution", "CNN 2026", "", ""],
                         ["Kernel, Flipped", "102", "S0102", "flipped_kernel", "CNN 2026", "", ""],
                         ["Stub, Untouched", "103", "S0103", "untouched_stub", "CNN 2026", "", ""],
                         [f"{FORMULA_NAME}, Eve", "104", "S0104", "eve_absent", "CNN 2026", "", ""],
                         ["Student, Test", "199", "", "", "CNN 2026", "", ""]])


def moodle(course_dir: Path, folder: Path) -> Download:
    """Moodle's Download all submissions (a folder per student and submission plugin, the student's own folders
    inside) and the assignment's grading worksheet."""
    def file(name, participant, path):
        return f"{name}_{participant}_assignsubmission_file/{path}"
    names = {"first": file("Full Solution", 2001, "cnn.ipynb"), "latest": file("Full Solution", 2001, "cnn (2).ipynb"),
             "late": file("Flipped Kernel", 2002, "notebooks/cnn-1.ipynb"),
             "stub": file("Untouched Stub", 2003, "cnn.ipynb"), "readme": file("Untouched Stub", 2003, "README.txt"),
             "png": file("Untouched Stub", 2003, "screenshot.png"), "stranger": file("Sam Stranger", 2050, "cnn.ipynb"),
             "text": "Full Solution_2001_assignsubmission_onlinetext/onlinetext.html"}
    header = ["Identifier", "Full name", "Email address", "ID number", "Status", "Grade", "Maximum Grade",
              "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
    people = [(2001, "Full Solution", "full_solution"), (2002, "Flipped Kernel", "flipped_kernel"),
              (2003, "Untouched Stub", "untouched_stub"), (2004, f"{FORMULA_NAME} Eve", "eve_absent")]
    rows = [[f"Participant {pid}", name, f"{sid}@example.edu", sid, "Submitted for grading", "", "100.00", "Yes",
             "", "", ""] for pid, name, sid in people]
    return _download(course_dir, folder, "moodle", names, header, rows)


DOWNLOADS = {"canvas": canvas, "moodle": moodle}


def corrupt(download: Download, folder: Path) -> Path:
    """The download cut off halfway, as an interrupted browser leaves it."""
    data = download.zip.read_bytes()
    path = folder / "cut-off.zip"
    path.write_bytes(data[: len(data) // 2])
    return path


def damaged(download: Download, folder: Path) -> Path:
    """The download with its central directory whole but a byte of a file changed (its checksum fails)."""
    data = bytearray(download.zip.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.infolist()[1]
    data[info.header_offset + 30 + len(info.filename.encode()) + 5] ^= 0xFF
    path = folder / "damaged.zip"
    path.write_bytes(bytes(data))
    return path


def run_lms(course: Path, lms: str) -> tuple[Path, Download, subprocess.CompletedProcess]:
    """An assignment from `lms` end to end in `course`: its download (in lms/, where the commands look for the
    roster) collected by the TA's command, graded by make grade's with late work scoring zero, the written answers
    scored (nbgrader's late penalty stays the one autograde assigned); returns the course, the download and what collect printed."""
    with open(course / "nbgrader_config.py", "a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    commands.nbgrader(course, "db", "assignment", "add", ASSIGNMENT.id, f"--duedate={DUE}")
    commands.nbgrader(course, "generate_assignment", ASSIGNMENT.id, "--force")
    cycle.register(course, [s.student_id for s in STUDENTS])
    (course / "lms").mkdir()
    download = DOWNLOADS[lms](course, course / "lms")
    collected = subprocess.run([sys.executable, "-m", "coursetools.lms.collect", ".", "--zip", str(download.zip),
                                "--lms", lms], cwd=course, env=commands.with_bin_on_path(), capture_output=True, text=True)
    if collected.returncode == 0:
        grade.main([str(course), "--assignment", ASSIGNMENT.id])
        cycle.grade_written_answers(course, ASSIGNMENT, STUDENTS)
        grade.finish(course, ASSIGNMENT)  # grades.csv again, with the written answers
    return course, download, collected
