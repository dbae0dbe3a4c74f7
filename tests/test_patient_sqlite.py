"""Concurrent nbgrader processes on the SQLite gradebook: a process finding it locked waits instead of failing."""
import sqlite3
import threading
from pathlib import Path

from nbgrader.api import Gradebook

from coursetools.grading import commands

REPO = Path(__file__).resolve().parents[1]
LOCKED_SECONDS = 8  # longer than the 5 s Python's sqlite3 waits by default


def test_nbgrader_waits_for_a_gradebook_another_process_holds_locked(tmp_path):
    course = commands.copy_course(REPO, tmp_path / "course", with_release=False)
    commands.nbgrader(course, "db", "student", "add", "first")
    other_process = sqlite3.connect(course / "gradebook.db", check_same_thread=False, isolation_level=None)
    other_process.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(LOCKED_SECONDS, other_process.execute, ["ROLLBACK"])
    release.start()
    try:
        added = commands.nbgrader(course, "db", "student", "add", "second", check=False, capture=True)
    finally:
        release.join()
        other_process.close()
    assert added.returncode == 0, added.stdout
    with Gradebook(commands.gradebook_url(course)) as gb:
        assert {student.id for student in gb.students} == {"first", "second"}
