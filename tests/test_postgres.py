"""The gradebook on PostgreSQL: the sample class's whole cycle (make demo's code) against a real server."""
from coursetools.grading import commands


def test_the_class_graded_on_postgresql_gets_the_scores_it_gets_on_sqlite(graded_on_postgres, class_cells):
    course, on_postgres = graded_on_postgres
    on_sqlite = {student: class_cells[student] for student in on_postgres}
    assert commands.gradebook_url(course).startswith("postgresql://")
    assert not (course / "gradebook.db").exists(), "nbgrader should not have made a SQLite gradebook"
    assert on_postgres == on_sqlite
    assert (course / "grades.csv").read_text().count("\n") == len(on_sqlite) + 1, "grades.csv: a row per student"
