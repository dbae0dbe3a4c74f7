"""Each source notebook and its percent-format .py twin say the same thing, and the .py stays private."""
import jupytext
import pytest

from conftest import ASSIGNMENTS, REPO

each_assignment = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)


@each_assignment
def test_py_twin_is_in_sync_with_the_notebook(assignment):
    source = assignment.source_notebook(REPO)
    expected = jupytext.writes(jupytext.read(source), fmt="py:percent")
    assert source.with_suffix(".py").read_text() == expected, f"{source.stem}.py and .ipynb differ: run `make sync`"


@each_assignment
def test_py_twin_keeps_every_cell_and_its_nbgrader_metadata(assignment):
    source = assignment.source_notebook(REPO)
    from_py, from_ipynb = jupytext.read(source.with_suffix(".py")), jupytext.read(source)
    assert [(c.cell_type, c.source, c.metadata) for c in from_py.cells] == \
           [(c.cell_type, c.source, c.metadata) for c in from_ipynb.cells]
