"""make regrade on a small graded cnn class: an unchanged course changes nothing; a changed test changes exactly
the cells it scores, said so; an override is applied through the gradebook, survives the next regrade and is
reported each time, and is withdrawn when its row goes; submitted/ is never touched."""
import csv
import hashlib

import nbformat
from nbgrader.api import Gradebook

from conftest import CNN
from coursetools import regrade
from coursetools.gradebook import overrides
from coursetools.grading import commands, notebook

CHANGED_CELL = "test_pad2d"  # a part every graded student but the stub solved: its points go up by one


def digest(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def run(course, capsys, *args) -> tuple[list[dict], str]:
    """Run make regrade's command; (the rows of report/regrade.csv, what it printed)."""
    assert regrade.main([str(course), "--assignment", CNN.id, *args]) == 0
    with open(course / regrade.REPORT, newline="") as handle:
        return list(csv.DictReader(handle)), capsys.readouterr().out


def raise_points(course, cell_id: str) -> None:
    path = CNN.source_notebook(course)
    nb = notebook.read(path)
    notebook.cell_by_id(nb, cell_id).metadata.nbgrader.points += 1
    nbformat.write(nb, str(path))


def test_regrade_reports_exactly_what_changed_and_keeps_overrides(graded_for_regrade, capsys):
    course, cells = graded_for_regrade
    submitted = digest(course / "submitted")

    rows, out = run(course, capsys)
    assert rows == []
    assert "3 student(s) regraded, 0 grade cell(s) changed, 0 override(s) kept; tests changed: none" in out

    points = cells["full_solution"][CHANGED_CELL][1]
    lost = min(cell for cell, (got, most) in cells["flipped_kernel"].items() if got < most)
    given = f"{cells['flipped_kernel'][lost][1]:g}"  # the TA gives the lost points back
    raise_points(course, CHANGED_CELL)
    (course / overrides.FILE).write_text("student,grade_cell,score,reason,who\n"
                                            f"flipped_kernel,{lost},{given},kernel flip accepted (appeal),ta-anna\n"
                                            f"full_solution,{CHANGED_CELL},99,more than its points,ta-bob\n")
    rows, out = run(course, capsys)
    why = "override: kernel flip accepted (appeal) (ta-anna)"
    full = {s: f"{points:g}" for s, table in cells.items() if table[CHANGED_CELL][0] == points}
    assert set(full) == {"full_solution", "flipped_kernel"}
    assert rows == sorted([{"student": s, "assignment": CNN.id, "grade_cell": CHANGED_CELL, "before": old,
                            "after": f"{points + 1:g}", "reason": "test changed"} for s, old in full.items()]
                          + [{"student": "flipped_kernel", "assignment": CNN.id, "grade_cell": lost,
                              "before": f"{cells['flipped_kernel'][lost][0]:g}", "after": given, "reason": why}],
                          key=lambda r: (r["student"], r["grade_cell"]))
    assert f"3 student(s) regraded, 3 grade cell(s) changed, 0 override(s) kept; tests changed: {CHANGED_CELL}" in out
    assert f"{overrides.FILE} line 3: not applied" in out

    rows, out = run(course, capsys, "--student", "flipped_kernel", "--student", "nobody")
    assert rows == [{"student": "flipped_kernel", "assignment": CNN.id, "grade_cell": lost, "before": given,
                     "after": given, "reason": why}]
    assert "1 student(s) regraded, 0 grade cell(s) changed, 1 override(s) kept; tests changed: none" in out
    assert "nobody: no submission of cnn in submitted/" in out
    with Gradebook(commands.gradebook_url(course)) as gb:
        assert gb.find_grade(lost, CNN.notebook, CNN.id, "flipped_kernel").score == float(given)
        comment = gb.find_comment(CNN.part_of(lost), CNN.notebook, CNN.id, "flipped_kernel").manual_comment
        assert comment == f"Override of {lost}: {given} points. {why}"

    (course / overrides.FILE).write_text("student,grade_cell,score,reason,who\n")
    rows, out = run(course, capsys, "--student", "flipped_kernel")
    assert rows == [{"student": "flipped_kernel", "assignment": CNN.id, "grade_cell": lost, "before": given,
                     "after": f"{cells['flipped_kernel'][lost][0]:g}", "reason": f"{why} withdrawn"}]
    with Gradebook(commands.gradebook_url(course)) as gb:
        assert gb.find_grade(lost, CNN.notebook, CNN.id, "flipped_kernel").manual_score is None
        assert not gb.find_comment(CNN.part_of(lost), CNN.notebook, CNN.id, "flipped_kernel").manual_comment
    assert digest(course / "submitted") == submitted, "make regrade changed submitted/"
