"""Our nbgrader command line stamps a new gradebook with the schema revision nbgrader itself would."""
import os
import sqlite3
import subprocess
import sys

from nbgrader.dbutil import _temp_alembic_ini

from coursetools.grading import commands
from coursetools.grading.nbgrader_cli import schema_head

from conftest import REPO


def test_the_schema_head_read_from_the_migrations_is_what_alembic_says():
    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:
        heads = subprocess.run(["alembic", "-c", ini, "heads"], env=commands.with_bin_on_path(), capture_output=True,
                               text=True, check=True).stdout
    assert heads.split()[0] == schema_head()


def test_a_gradebook_made_by_our_command_line_carries_that_revision_without_running_alembic(tmp_path):
    course = commands.copy_course(REPO, tmp_path / "course", with_release=False)
    subprocess.run([sys.executable, "-m", "coursetools.grading.nbgrader_cli", "db", "student", "add", "someone"],
                   cwd=course, env=dict(os.environ, PATH="/usr/bin:/bin"), check=True)  # no alembic on PATH
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(schema_head(),)]
