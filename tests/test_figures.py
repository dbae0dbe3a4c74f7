"""Every picture that teaches is drawn when a source notebook runs, from data that ships with the packages or
the release, and is written to test-output/figures/<assignment>/<tag>.png (`figure:edges` -> cnn/edges.png) for
a person to look at. The numbers the `cnn` prose states are checked here on what the cells print."""
import ast
import base64
import functools
import re

import numpy as np
import pytest
from nbclient import NotebookClient

from coursetools import assignments
from coursetools.grading import notebook

from conftest import ASSIGNMENTS, REPO

# Each notebook's figures: none may go missing.
FIGURES = {
    "cnn": {"figure:sliding-window", "figure:stride-padding", "figure:padding-coverage", "figure:channels",
            "figure:pooling", "figure:edges", "figure:feature-maps", "figure:translation", "figure:receptive-field",
            "figure:learn-kernel", "figure:timing"},
    "cnn_backprop": {"figure:graph", "figure:full-convolution", "figure:maxpool-routing", "figure:im2col",
                     "figure:timing", "figure:digits", "figure:training", "figure:filters", "figure:feature-maps",
                     "figure:confusion", "figure:misclassified"},
}
OUTPUT = REPO / "test-output" / "figures"
each_assignment = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)


@functools.cache
def executed(assignment_id: str):
    """The assignment's source notebook, run from top to bottom as an instructor runs it (once per session)."""
    nb = notebook.read(assignments.get(assignment_id).source_notebook(REPO))
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(
        assignments.get(assignment_id).source_notebook(REPO).parent)}}).execute()
    return nb


def figure_tags(nb) -> set[str]:
    return {tag for cell in nb.cells for tag in cell.metadata.get("tags", []) if tag.startswith("figure:")}


@pytest.fixture(scope="module")
def executed_source():
    return executed("cnn")


def figure_cell(nb, tag):
    return next(c for c in nb.cells if tag in c.metadata.get("tags", []))


def printed(nb, tag) -> str:
    return "".join(out.get("text", "") for out in figure_cell(nb, tag).outputs)


@each_assignment
def test_each_figure_cell_draws_one_image_and_writes_it(assignment):
    nb, drawn = executed(assignment.id), {}
    folder = OUTPUT / assignment.id
    folder.mkdir(parents=True, exist_ok=True)
    for cell in nb.cells:
        for tag in set(cell.metadata.get("tags", [])) & figure_tags(nb):
            images = [out.data["image/png"] for out in cell.outputs if "image/png" in out.get("data", {})]
            drawn[tag] = len(images)
            if images:
                (folder / f"{tag.removeprefix('figure:')}.png").write_bytes(base64.b64decode(images[0]))
    assert len(drawn) >= 5, f"{assignment.id} should teach with pictures: {sorted(drawn)}"
    assert all(count == 1 for count in drawn.values()), f"each figure cell should draw one image: {drawn}"


@each_assignment
def test_each_notebook_keeps_every_figure(assignment):
    assert figure_tags(executed(assignment.id)) == FIGURES[assignment.id]


@each_assignment
def test_no_figure_cell_warns(assignment):
    nb = executed(assignment.id)
    warned = {tag: out.text for tag in figure_tags(nb) for out in figure_cell(nb, tag).outputs
              if out.output_type == "stream" and out.name == "stderr"}
    assert not warned, warned


def test_timing_plot_compares_loops_with_the_vectorised_version(executed_source):
    text = printed(executed_source, "figure:timing")
    assert "the vectorised version is" in text and "faster" in text


def test_the_padding_ring_is_as_strong_as_the_prose_says(executed_source):
    ring, inside = map(float, re.search(r"ring .*up to ([\d.]+); inside: up to ([\d.]+)",
                                        printed(executed_source, "figure:edges")).groups())
    assert 0.8 * inside < ring < inside, "the prose says the ring is nearly as strong as the strongest real edge"


def test_diagonal_kernels_answer_to_the_edges_they_are_named_after(executed_source):
    text = printed(executed_source, "figure:feature-maps")
    assert "diagonal edge /: 4 and 0" in text and "diagonal edge \\: 0 and 4" in text


def test_convolution_is_equivariant_and_pooling_only_nearly_invariant(executed_source):
    text = printed(executed_source, "figure:translation")
    assert "shifted back and the original map: 0\n" in text
    raw, pooled = map(int, re.search(r"ReLU map changes by (\d+)%, the max-pooled map by (\d+)%", text).groups())
    assert 0 < pooled < raw


def test_the_learned_kernel_is_the_hidden_sobel_kernel(executed_source):
    text = printed(executed_source, "figure:learn-kernel")
    formula, difference = re.search(r"formula (-?[\d.]+), from a finite difference (-?[\d.]+)", text).groups()
    assert abs(float(formula) - float(difference)) < 1e-4
    assert float(re.search(r"largest error of the learned kernel: ([\d.e-]+)", text).group(1)) < 0.01


def test_padding_counts_are_the_prose_numbers(executed_source):
    helpers = notebook.cell_by_id(executed_source, "figure_helpers").source
    function = next(node for node in ast.parse(helpers).body if getattr(node, "name", "") == "window_counts")
    namespace = {"np": np}
    exec(ast.get_source_segment(helpers, function), namespace)
    counts = namespace["window_counts"](6, 3, 1)
    assert (counts[0, 0], counts[0, 2], counts[2, 2]) == (4, 6, 9), "corner 4, edge 6, interior 9 with p = 1"
    assert namespace["window_counts"](6, 3, 0)[0, 0] == 1 and namespace["window_counts"](6, 3, 0)[2, 2] == 9
