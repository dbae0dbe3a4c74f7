"""The catalogues through real `nbgrader autograde`: each mistake caught in its own part and named in the
feedback, each right answer at full marks, and no feedback that shows the hidden tests."""
import pytest

from catalogue import CORRECT, ENTRIES, WRONG
from coursetools import notebook
from coursetools.assignment import PARTS, part_of, source_notebook

from conftest import REPO


def by_name(entry):
    return entry.name


def test_catalogue_is_large_and_covers_every_part():
    assert len(WRONG) >= 30 and len(CORRECT) >= 10
    assert len({entry.name for entry in ENTRIES}) == len(ENTRIES), "two entries share a name"
    assert {entry.part for entry in WRONG} == {entry.part for entry in CORRECT} == set(PARTS)


@pytest.mark.parametrize("entry", WRONG, ids=by_name)
def test_mistake_loses_points_only_in_its_own_part(graded_catalogue, entry):
    cells = graded_catalogue.lost_cells(entry)
    assert cells, f"{entry.name} ({entry.description}) lost no points"
    assert {part_of(cell) for cell in cells} == {entry.part}, f"{entry.name} lost points in {sorted(cells)}"


@pytest.mark.parametrize("entry", WRONG, ids=by_name)
def test_feedback_names_the_mistake(graded_catalogue, entry):
    assert entry.hint in graded_catalogue.messages(entry), f"{entry.name}: no '{entry.hint}' in its feedback's errors"


@pytest.mark.parametrize("entry", CORRECT, ids=by_name)
def test_right_answer_gets_every_autograded_point(graded_catalogue, entry):
    assert not graded_catalogue.lost_cells(entry), f"{entry.name} ({entry.description}) lost points"


def test_feedback_shows_test_names_and_messages_but_no_hidden_test_source(graded_catalogue):
    hidden = notebook.lines_only_in_regions(notebook.read(source_notebook(REPO)), notebook.HIDDEN_MARKERS)
    assert len(hidden) > 100, "the source notebook should have hidden tests to keep out of the feedback"
    for entry in ENTRIES:
        shown = {line.strip() for line in graded_catalogue.feedback(entry).splitlines()}
        leaked = sorted(hidden & shown - graded_catalogue.own_lines(entry))
        assert not leaked, f"{entry.name}'s feedback shows hidden-test source: {leaked[:5]}"
        assert "Grade cell: test_conv2d_reference" in shown, "feedback should name each test cell"
