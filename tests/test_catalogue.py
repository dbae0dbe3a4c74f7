"""Each assignment's catalogue through real `nbgrader autograde`: each mistake caught in its own part and named in
the feedback, each right answer at full marks, and no feedback that shows the hidden tests."""
import pytest

import catalogue
from coursetools.grading import notebook

from conftest import ASSIGNMENTS, REPO

CATALOGUES = {a.id: catalogue.of(a.id) for a in ASSIGNMENTS}
WRONG = [pytest.param(a, e, id=f"{a.id}/{e.name}") for a in ASSIGNMENTS for e in CATALOGUES[a.id].wrong]
CORRECT = [pytest.param(a, e, id=f"{a.id}/{e.name}") for a in ASSIGNMENTS for e in CATALOGUES[a.id].correct]
each_assignment = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)


@each_assignment
def test_catalogue_is_large_and_covers_every_part(assignment):
    found = CATALOGUES[assignment.id]
    assert len(found.wrong) >= 30 and len(found.correct) >= 10
    assert len({entry.name for entry in found.entries}) == len(found.entries), "two entries share a name"
    assert {entry.part for entry in found.wrong} == {entry.part for entry in found.correct} == set(assignment.parts)


@pytest.mark.parametrize(("assignment", "entry"), WRONG)
def test_mistake_loses_points_only_in_its_own_part(graded_catalogue, assignment, entry):
    cells = graded_catalogue.lost_cells(entry)
    assert cells, f"{entry.name} ({entry.description}) lost no points"
    assert {assignment.part_of(cell) for cell in cells} == {entry.part}, f"{entry.name} lost points in {sorted(cells)}"


@pytest.mark.parametrize(("assignment", "entry"), WRONG)
def test_feedback_names_the_mistake(graded_catalogue, assignment, entry):
    assert entry.hint in graded_catalogue.messages(entry), f"{entry.name}: no '{entry.hint}' in its feedback's errors"


@pytest.mark.parametrize(("assignment", "entry"), CORRECT)
def test_right_answer_gets_every_autograded_point(graded_catalogue, assignment, entry):
    assert not graded_catalogue.lost_cells(entry), f"{entry.name} ({entry.description}) lost points"


@each_assignment
def test_feedback_shows_test_names_and_messages_but_no_hidden_test_source(graded_catalogue, assignment):
    hidden = notebook.lines_only_in_regions(notebook.read(assignment.source_notebook(REPO)), notebook.HIDDEN_MARKERS)
    assert len(hidden) > 100, "the source notebook should have hidden tests to keep out of the feedback"
    test_cells = [notebook.grade_id(c) for c in notebook.read(assignment.source_notebook(REPO)).cells
                  if c.metadata.get("nbgrader", {}).get("points") and c.cell_type == "code"]
    for entry in CATALOGUES[assignment.id].entries:
        shown = {line.strip() for line in graded_catalogue.feedback(entry).splitlines()}
        leaked = sorted(hidden & shown - graded_catalogue.own_lines(entry))
        assert not leaked, f"{entry.name}'s feedback shows hidden-test source: {leaked[:5]}"
        assert all(f"Grade cell: {cell}" in shown for cell in test_cells), "feedback should name each test cell"
