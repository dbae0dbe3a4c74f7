"""Submissions from an LMS's "download all submissions" archive into submitted/, with nbgrader's zip_collect.

    python -m coursetools.lms.collect [COURSE_DIR] --zip FILE --lms canvas|moodle [--assignment ID]
                                      [--roster FILE] [--force]

nbgrader's ZipCollectApp unpacks the archive and copies the notebooks with their times into submitted/, asking
`LmsCollector` (its FileNameCollectorPlugin) whose each file is. Around it, what zip_collect does not do:
- the archive is checked first, and zip_collect runs in a scratch course under .grading/<assignment>/; each
  student's folder moves into submitted/ only at the end, so a corrupt archive or a failure writes nothing there;
- the LMS's file names (naming.py) and its roster export (roster.py) say whose each file is; files of students
  not in the roster are listed, not collected;
- an attempt's time is its zip entry's (the LMS's file names carry none), read as UTC; of a student's notebooks,
  whatever their names (`cnn-1.ipynb`, `cnn (2).ipynb`), the latest is collected as `<assignment>.ipynb` and the
  others are listed (zip_collect compares only files of the same name);
- an existing submission is kept (and listed) unless --force.
The exit status is 1 only when the command failed (an unreadable archive or roster, zip_collect failing).
"""
import argparse
import os
import shutil
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.apps import ZipCollectApp
from nbgrader.plugins import FileNameCollectorPlugin
from traitlets import Dict, Unicode
from traitlets.config import Config

from coursetools import assignments
from coursetools.display.safe_text import plain
from coursetools.grading import workspace
from coursetools.lms import cli, naming, roster

ARCHIVE = "download.zip"  # the archive's name in zip_collect's archive/ folder: it extracts to extracted/download/


class CollectError(Exception):
    """The command could not do its job (a message for the TA)."""


@dataclass(frozen=True)
class File:
    """One file of the archive."""
    member: str                 # its path in the archive
    named: naming.Named | None  # what its LMS name says (None: not named by the LMS)
    time: str                   # its zip entry's time, ISO format, UTC
    student_id: str | None      # the course's id of its student (None: not in the roster)


@dataclass
class Plan:
    """What collect takes from the archive, decided from its listing before anything is extracted."""
    taken: dict[str, File] = field(default_factory=dict)   # {student: the notebook that counts}
    skipped: list[File] = field(default_factory=list)      # the student's other (older) notebooks
    unknown: list[File] = field(default_factory=list)      # notebooks of students not in the roster
    ignored: list[File] = field(default_factory=list)      # files that are not a named notebook
    absent: list[str] = field(default_factory=list)        # students of the roster with no notebook
    kept: list[str] = field(default_factory=list)          # students whose existing submission was kept


def entry_times(zip_path: Path) -> dict[str, str]:
    """{member: its time, ISO, UTC} of every file in the archive; CollectError if it is not a sound zip."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            damaged = archive.testzip()
            if damaged is not None:
                raise CollectError(f"{zip_path}: the archive is damaged ({damaged} fails its checksum)")
            return {info.filename: datetime(*info.date_time, tzinfo=timezone.utc).isoformat(" ")
                    for info in archive.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError) as error:
        raise CollectError(f"{zip_path} is not a readable zip archive ({error})") from None


def plan(lms: str, times: dict[str, str], members, notebook: str) -> Plan:
    """Each student's latest notebook (at one time, a copy named like the assignment's before another), and what
    is left out. zip_collect keeps the newest only of files with the same name; here every notebook a student
    handed in is an attempt, whatever its name."""
    students, out, attempts = {m.user_id: m.student_id for m in members}, Plan(), {}
    for member, time in sorted(times.items()):
        named = naming.parse(lms, member)
        file = File(member, named, time, students.get(named.user_id) if named else None)
        if named is None or not member.endswith(".ipynb"):
            out.ignored.append(file)
        elif file.student_id is None:
            out.unknown.append(file)
        else:
            attempts.setdefault(file.student_id, []).append(file)
    for student, files in sorted(attempts.items()):
        *older, out.taken[student] = sorted(
            files, key=lambda f: (f.time, naming.is_notebook_named(f.named.file, notebook)))
        out.skipped += older
    out.absent = sorted({m.student_id for m in members} - set(out.taken))
    return out


class LmsCollector(FileNameCollectorPlugin):
    """zip_collect's collector: the notebook that counts of each student (`chosen`, from `plan`) under the
    notebook's name, with its time; every other file is skipped."""
    extracted = Unicode(help="the folder the archive was extracted to").tag(config=True)
    chosen = Dict(help="{archive member: [student id, file id, ISO time]}").tag(config=True)

    def collect(self, submitted_file: str) -> dict | None:
        member = Path(os.path.relpath(submitted_file, self.extracted)).as_posix()
        if member not in self.chosen:
            return None
        student_id, file_id, timestamp = self.chosen[member]
        return {"student_id": student_id, "file_id": file_id, "timestamp": timestamp}


def zip_collect(scratch: Path, assignment_id: str, zip_path: Path, chosen: dict) -> None:
    """Run nbgrader's ZipCollectApp on `zip_path` in the course folder `scratch` with LmsCollector taking
    `chosen`. No configuration file is read: the scratch course has none."""
    archive = scratch / "downloaded" / assignment_id / "archive"
    archive.mkdir(parents=True)
    shutil.copy(zip_path, archive / ARCHIVE)
    config = Config()
    config.CourseDirectory.root = str(scratch)
    config.Application.log_level = "ERROR"
    config.ZipCollectApp.collector_plugin = LmsCollector
    config.LmsCollector.chosen = chosen
    config.LmsCollector.extracted = str(scratch / "downloaded" / assignment_id / "extracted" / Path(ARCHIVE).stem)
    app = ZipCollectApp(config=config)
    app.load_cwd_config = False
    try:
        app.initialize([assignment_id])
        app.start()
    except SystemExit as stop:  # nbgrader's fail() exits
        raise CollectError(f"nbgrader zip_collect failed (exit status {stop.code}); see its error above") from None


def move_into_place(scratch: Path, course_dir: Path, assignment_id: str, force: bool, out: Plan) -> None:
    """Move each collected student's folder from the scratch course into submitted/ (same file system: the
    scratch course is inside the course), keeping an existing one unless `force`."""
    for folder in sorted((scratch / "submitted").glob(f"*/{assignment_id}")):
        student, target = folder.parent.name, course_dir / "submitted" / folder.parent.name / assignment_id
        if target.exists():
            if not force:
                out.kept.append(student)
                continue
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, target)


def collect(course_dir: Path, zip_path: Path, lms: str, assignment, roster_path: Path, force: bool) -> Plan:
    """`zip_path`, a download of `assignment` from `lms`, into submitted/ as the module says; what was taken."""
    members = roster.read(lms, roster_path).members
    taken = plan(lms, entry_times(zip_path), members, assignment.notebook)
    parent = course_dir / workspace.folder(assignment.id)
    parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="lms-collect-", dir=parent))
    try:
        zip_collect(scratch, assignment.id, zip_path, {f.member: [student, f"{assignment.notebook}.ipynb", f.time]
                                                        for student, f in taken.taken.items()})
        lost = [f.member for student, f in taken.taken.items()
                if not (scratch / "submitted" / student / assignment.id / f"{assignment.notebook}.ipynb").is_file()]
        if lost:  # zip_collect skips what it will not extract (a path out of the archive's folder)
            raise CollectError(f"nbgrader zip_collect did not extract {', '.join(map(plain, lost))}")
        move_into_place(scratch, course_dir, assignment.id, force, taken)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return taken


def _when(file: File) -> str:
    return file.time.replace("+00:00", " UTC")


def summary(out: Plan, assignment_id: str) -> str:
    """What the TA reads: one line per collected, skipped, unknown or kept submission; every name `plain`."""
    width = max([len("student")] + [len(s) for s in out.taken])
    lines = [f"collected {len(out.taken) - len(out.kept)} submission(s) into submitted/<student>/{assignment_id}/"]
    for student, file in sorted(out.taken.items()):
        late = "  (marked late by the LMS)" if file.named.late else ""
        kept = "  NOT COLLECTED: already in submitted/ (--force replaces it)" if student in out.kept else ""
        lines.append(f"  {plain(student):<{width}}  {_when(file)}  {plain(file.member)}{late}{kept}")
    if out.skipped:
        lines.append("not collected, each student's latest notebook counts:")
        lines += [f"  {plain(f.student_id):<{width}}  {_when(f)}  {plain(f.member)}" for f in out.skipped]
    if out.unknown:
        lines.append("not in the roster, not collected (add them to the roster and collect again):")
        lines += [f"  {plain(f.named.name)} (LMS id {plain(f.named.user_id)}): {plain(f.member)}" for f in out.unknown]
    if out.ignored:
        lines.append(f"ignored, not a student's notebook: {', '.join(plain(f.member) for f in out.ignored)}")
    if out.absent:
        lines.append(f"in the roster without a notebook in the archive: {', '.join(map(plain, out.absent))}")
    return "\n".join(lines)


def arguments(argv=None) -> argparse.Namespace:
    parser = cli.parser("python -m coursetools.lms.collect", __doc__.split("\n")[0],
                        "the assignment the download is of")
    parser.add_argument("--zip", required=True, type=Path, help="the LMS's download of all submissions")
    parser.add_argument("--force", action="store_true", help="replace submissions already in submitted/")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    try:
        out = collect(args.course_dir, args.zip, args.lms, assignments.get(args.assignment), cli.roster_path(args),
                      args.force)
    except (CollectError, roster.RosterError) as error:
        print(f"collect: error: {plain(error, 1000)}; nothing was written to submitted/", file=sys.stderr)
        return 1
    print(summary(out, args.assignment))
    return 0


if __name__ == "__main__":
    sys.exit(main())
