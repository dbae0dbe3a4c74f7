"""From and to the LMS: Canvas's and Moodle's file names and rosters, `make collect` on their downloads (and on a
corrupt one), and, end to end, a download of each LMS collected, graded by make grade and written back as the CSV
its gradebook imports, checked against the gradebook and nbgrader's own export."""
import csv
import dataclasses
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc

import lms_archives
from conftest import REPO
from coursetools.assignments.cnn import ASSIGNMENT as CNN
from coursetools.assignments.cnn_backprop import ASSIGNMENT as BACKPROP
from coursetools.gradebook import scores
from coursetools.grading import commands
from coursetools.lms import collect, grades_csv, naming, roster

each_lms = pytest.mark.parametrize("lms", naming.LMS)


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def course(tmp_path):
    return commands.copy_course(REPO, tmp_path / "course")


@pytest.fixture
def download(course, lms, tmp_path):
    return lms_archives.DOWNLOADS[lms](course, tmp_path)


def run_collect(course: Path, download, lms: str, *more: str) -> int:
    return collect.main([str(course), "--zip", str(download.zip), "--lms", lms, "--roster", str(download.roster),
                         *more])


def test_canvas_names():
    found = naming.parse("canvas", "cnn submissions/kernelflipped_late_102_9003_cnn (2).ipynb")
    assert found == naming.Named("102", "kernelflipped", "cnn (2).ipynb", late=True)
    assert naming.parse("canvas", "solutionfull_101_9002_cnn-1.ipynb") == naming.Named("101", "solutionfull",
                                                                                        "cnn-1.ipynb", late=False)
    assert naming.parse("canvas", "doejane_101_9002_my_cnn_v2.ipynb").file == "my_cnn_v2.ipynb"
    for other in ("README.txt", "cnn.ipynb", "doejane_x1_9002_cnn.ipynb", "doejane_101_cnn.ipynb"):
        assert naming.parse("canvas", other) is None, other


def test_moodle_names():
    assert naming.parse("moodle", "Jane Doe_2001_assignsubmission_file_cnn.ipynb") == naming.Named(
        "2001", "Jane Doe", "cnn.ipynb", late=False)
    assert naming.parse("moodle", "dl/Jane Doe_2001_assignsubmission_file/notebooks/cnn (2).ipynb") == naming.Named(
        "2001", "Jane Doe", "notebooks/cnn (2).ipynb", late=False)
    for other in ("Jane Doe_2001_assignsubmission_onlinetext/onlinetext.html", "cnn.ipynb",
                  "Jane Doe_assignsubmission_file/cnn.ipynb"):
        assert naming.parse("moodle", other) is None, other


def test_copies_of_the_notebook():
    for copy in ("cnn.ipynb", "cnn-1.ipynb", "cnn (2).ipynb", "cnn(3).ipynb", "cnn_1.ipynb", "notebooks/cnn-2.ipynb"):
        assert naming.is_notebook_named(copy, "cnn"), copy
    for other in ("scratch.ipynb", "cnn_backprop.ipynb", "cnn.ipynb.txt", "my cnn.ipynb"):
        assert not naming.is_notebook_named(other, "cnn"), other


@each_lms
def test_rosters(download, lms):
    read = roster.read(lms, download.roster)
    assert {m.user_id: m.student_id for m in read.members} == {
        "canvas": {"101": "full_solution", "102": "flipped_kernel", "103": "untouched_stub", "104": "eve_absent"},
        "moodle": {"2001": "full_solution", "2002": "flipped_kernel", "2003": "untouched_stub", "2004": "eve_absent"},
    }[lms]  # Canvas's Points Possible row and its test student are no students
    assert read.assignment_column("cnn") == {"canvas": "cnn (4001)", "moodle": "cnn"}[lms]
    assert read.assignment_column("cnn_backprop") == {"canvas": "cnn_backprop (4002)", "moodle": "cnn_backprop"}[lms]
    other = {"canvas": "moodle", "moodle": "canvas"}[lms]
    with pytest.raises(roster.RosterError, match=f"not a {other} roster export"):
        roster.read(other, download.roster)


def test_moodle_roster_without_id_numbers(tmp_path):
    path = tmp_path / "worksheet.csv"
    path.write_text("Identifier,Full name,Email address\nParticipant 7,Jane Doe,jdoe@example.edu\n")
    assert roster.read("moodle", path).members == (roster.Member("7", "jdoe", {"Full name": "Jane Doe",
                                                                               "Email address": "jdoe@example.edu"}),)
    path.write_text("Identifier,Full name,Email address,ID number\nParticipant 7,Jane Doe,jdoe@example.edu,../x\n")
    with pytest.raises(roster.RosterError, match="no folder name"):
        roster.read("moodle", path)


@each_lms
def test_collect_takes_the_latest_notebook_of_each_student(course, download, lms, capsys):
    assert run_collect(course, download, lms) == 0
    printed = capsys.readouterr().out
    with zipfile.ZipFile(download.zip) as archive:
        for student, member in download.latest.items():
            folder = course / "submitted" / student / "cnn"
            assert sorted(p.name for p in folder.iterdir()) == ["cnn.ipynb", "timestamp.txt"]
            assert (folder / "cnn.ipynb").read_bytes() == archive.read(member), student
            when = datetime(*archive.getinfo(member).date_time)
            assert parse_utc((folder / "timestamp.txt").read_text()) == when, student
            assert f"{when} UTC  {member}" in printed
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(download.latest)
    skipped = printed.split("each student's latest notebook counts:")[1]
    assert all(member in skipped for member in download.skipped)
    not_in_roster = printed.split("not in the roster")[1]
    assert all(member in not_in_roster for member in download.unknown)
    assert all(member in printed.split("ignored, not a student's notebook:")[1] for member in download.ignored)
    assert "in the roster without a notebook in the archive: eve_absent" in printed
    assert list((course / ".grading" / "cnn").iterdir()) == []  # the scratch course is gone


@pytest.mark.parametrize("lms", ["canvas"])
def test_collect_replaces_a_submission_only_with_force(course, download, lms, capsys):
    assert run_collect(course, download, lms) == 0
    mine = course / "submitted" / "full_solution" / "cnn" / "cnn.ipynb"
    mine.write_text("the TA's repaired copy")
    assert run_collect(course, download, lms) == 0
    assert mine.read_text() == "the TA's repaired copy"
    printed = capsys.readouterr().out
    assert "collected 0 submission(s)" in printed and "NOT COLLECTED: already in submitted/" in printed
    assert run_collect(course, download, lms, "--force") == 0
    with zipfile.ZipFile(download.zip) as archive:
        assert mine.read_bytes() == archive.read(download.latest["full_solution"])


@pytest.mark.parametrize("lms", ["moodle"])
@pytest.mark.parametrize("spoil", [lms_archives.corrupt, lms_archives.damaged], ids=["cut off", "checksum"])
def test_a_corrupt_download_writes_nothing(course, download, lms, spoil, tmp_path, capsys):
    bad = spoil(download, tmp_path)
    assert run_collect(course, dataclasses.replace(download, zip=bad), lms) == 1
    error = capsys.readouterr().err
    assert str(bad) in error and "nothing was written to submitted/" in error
    assert not (course / "submitted").exists() and not (course / ".grading").exists()


def test_a_member_outside_the_archive_writes_nothing(course, tmp_path, capsys):
    download = lms_archives.canvas(course, tmp_path)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("stubuntouched_103_9004_cnn.ipynb", b"{}")
        archive.writestr("../solutionfull_101_9002_cnn.ipynb", b"{}")  # zip_collect will not write outside
    assert collect.main([str(course), "--zip", str(evil), "--lms", "canvas", "--roster", str(download.roster)]) == 1
    assert "did not extract ../solutionfull_101_9002_cnn.ipynb" in capsys.readouterr().err
    assert not (course / "submitted").exists() and list((course / ".grading" / "cnn").iterdir()) == []


def test_collect_another_assignment(course, tmp_path, capsys):
    nb = BACKPROP.release_notebook(course).read_bytes()
    zip_path = tmp_path / "backprop.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("solutionfull_101_9010_cnn_backprop-1.ipynb", nb)
        archive.writestr("solutionfull_101_9011_cnn.ipynb", b"{}")  # the first assignment's, handed in late
    download = lms_archives.canvas(course, tmp_path)
    assert collect.main([str(course), "--zip", str(zip_path), "--lms", "canvas", "--roster", str(download.roster),
                         "--assignment", "cnn_backprop"]) == 0
    landed = course / "submitted" / "full_solution" / "cnn_backprop" / "cnn_backprop.ipynb"
    assert landed.read_bytes() == nb
    assert "solutionfull_101_9011_cnn.ipynb" in capsys.readouterr().out.split("latest notebook counts:")[1]


@each_lms
def test_collect_then_grade(lms_graded, lms):
    course, download, collected = lms_graded[lms]
    assert collected.returncode == 0, collected.stderr
    assert "collected 3 submission(s)" in collected.stdout and download.skipped[0] in collected.stdout
    with Gradebook(commands.gradebook_url(course)) as gb:
        got = {s.student.id: (s.score, s.late_submission_penalty) for s in gb.find_assignment("cnn").submissions}
    # the second attempt was graded (the first is the release: 0), late work scored zero when autograded
    assert got == {"full_solution": (100.0, 0.0), "flipped_kernel": (77.0, 67.0), "untouched_stub": (0.0, 0.0)}


@each_lms
def test_grades_csv_has_the_gradebook_scores(lms_graded, lms, tmp_path, capsys):
    course, download, _ = lms_graded[lms]
    out = tmp_path / "import.csv"
    assert grades_csv.main([str(course), "--lms", lms, "--roster", str(download.roster), "--parts",
                            "--out", str(out)]) == 0
    rows, members = read_rows(out), roster.read(lms, download.roster).members
    column = {"canvas": "cnn (4001)", "moodle": "cnn"}[lms]
    identity = list(roster.IDENTITY[lms])
    assert list(rows[0]) == identity + [column] + [f"cnn: {part}" for part in CNN.graded_parts]
    exported = {r["student_id"]: r for r in read_rows(course / "grades.csv") if r["assignment"] == "cnn"}
    parts = scores.part_scores(commands.gradebook_url(course), CNN, list(exported))
    if lms == "canvas":
        points = rows.pop(0)
        assert points["Student"] == "    Points Possible" and float(points[column]) == 100
        assert {p: float(points[f"cnn: {p}"]) for p in CNN.graded_parts} == {
            p: most for p, (_, most) in parts["full_solution"].items()}
    key = {"canvas": "ID", "moodle": "Email address"}[lms]
    assert [r[key] for r in rows] == [m.identity[key] for m in members]  # the roster's order
    for row, member in zip(rows, members, strict=True):
        expected = {c: member.identity[c] for c in identity}
        if member.student_id == "eve_absent":  # no submission: left empty; the name is no formula
            assert row[column] == "" and row[identity[0]].startswith("'" + lms_archives.FORMULA_NAME)
            continue
        assert {c: row[c] for c in identity} == expected
        assert float(row[column]) == float(exported[member.student_id]["score"])  # nbgrader's, after the penalty
        assert {p: float(row[f"cnn: {p}"]) for p in CNN.graded_parts} == {
            p: got for p, (got, _) in parts[member.student_id].items()}
    flipped = next(r for r, m in zip(rows, members) if m.student_id == "flipped_kernel")
    assert float(flipped[column]) == 10  # 77 points, less the 67 that autograde took off for lateness
    assert "late penalties taken off: flipped_kernel (-67)" in capsys.readouterr().out


def test_grades_csv_writes_only_the_roster(lms_graded, tmp_path, capsys):
    course, download, _ = lms_graded["canvas"]
    smaller = tmp_path / "roster.csv"
    lines = download.roster.read_text().splitlines(keepends=True)
    smaller.write_text("".join(line for line in lines if "flipped_kernel" not in line))
    out = tmp_path / "import.csv"
    assert grades_csv.main([str(course), "--lms", "canvas", "--roster", str(smaller), "--out", str(out)]) == 0
    assert [r["SIS Login ID"] for r in read_rows(out)][1:] == ["full_solution", "untouched_stub", "eve_absent"]
    assert list(read_rows(out)[0]) == list(roster.IDENTITY["canvas"]) + ["cnn (4001)"]
    assert "graded but not in the roster (not written): flipped_kernel" in capsys.readouterr().out


def test_lms_grades_defaults(lms_graded, capsys):
    """make lms-grades LMS=moodle: the roster from lms/, the CSV into lms/, no part columns."""
    course, download, _ = lms_graded["moodle"]
    assert download.roster == course / "lms" / "moodle-roster.csv"
    assert grades_csv.main([str(course), "--lms", "moodle"]) == 0
    rows = read_rows(course / "lms" / "moodle-cnn-grades.csv")
    assert list(rows[0]) == ["Full name", "Email address", "ID number", "cnn"] and len(rows) == 4
    assert "moodle-cnn-grades.csv: 4 students of the roster, 3 with a score" in capsys.readouterr().out


def test_grades_csv_before_grading(course, tmp_path, capsys):
    download = lms_archives.canvas(course, tmp_path)
    assert grades_csv.main([str(course), "--lms", "canvas", "--roster", str(download.roster)]) == 1
    assert "run make grade first" in capsys.readouterr().err
