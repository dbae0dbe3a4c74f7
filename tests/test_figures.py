"""Every picture that teaches is drawn when the source notebook runs, from data that ships with the packages."""
import pytest
from nbclient import NotebookClient

from coursetools import notebook
from coursetools.assignment import source_notebook

from conftest import REPO

FIGURES = {"figure:sliding-window", "figure:stride-padding", "figure:channels", "figure:pooling",
           "figure:edges", "figure:feature-maps", "figure:timing"}


@pytest.fixture(scope="module")
def executed_source():
    nb = notebook.read(source_notebook(REPO))
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return nb


def test_each_figure_cell_draws_an_image(executed_source):
    drawn = {}
    for cell in executed_source.cells:
        for tag in set(cell.metadata.get("tags", [])) & FIGURES:
            drawn[tag] = sum("image/png" in out.get("data", {}) for out in cell.outputs)
    assert set(drawn) == FIGURES, f"figure cells missing: {FIGURES - set(drawn)}"
    assert all(count >= 1 for count in drawn.values()), drawn


def test_timing_plot_compares_loops_with_the_vectorised_version(executed_source):
    cell = next(c for c in executed_source.cells if "figure:timing" in c.metadata.get("tags", []))
    text = "".join(out.get("text", "") for out in cell.outputs)
    assert "the vectorised version is" in text and "faster" in text
