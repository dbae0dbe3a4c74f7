"""The source notebook and its percent-format .py twin say the same thing, and the .py stays private."""
import jupytext

from coursetools.assignment import source_notebook

from conftest import REPO

PAIRED = source_notebook(REPO).with_suffix(".py")


def test_py_twin_is_in_sync_with_the_notebook():
    expected = jupytext.writes(jupytext.read(source_notebook(REPO)), fmt="py:percent")
    assert PAIRED.read_text() == expected, "source/cnn/cnn.py and cnn.ipynb differ: run `make sync`"


def test_py_twin_keeps_every_cell_and_its_nbgrader_metadata():
    from_py, from_ipynb = jupytext.read(PAIRED), jupytext.read(source_notebook(REPO))
    assert [(c.cell_type, c.source, c.metadata) for c in from_py.cells] == \
           [(c.cell_type, c.source, c.metadata) for c in from_ipynb.cells]
