"""Feedback that shows students the verdicts but not the hidden tests.

Stock `nbgrader generate_feedback` renders the autograded notebook, whose grade cells hold the hidden
tests again (autograde restores them) and whose error tracebacks quote the grader's code line by line
(nbgrader issue #917). `HideHiddenTests` runs before the HTML is made: it cuts the hidden regions out of
every cell and shortens each grade cell's error to its type and message, which is where our hints are.
No output can quote the hidden tests: they never ran where student code runs (coursetools/grading/sandbox.py).
"""
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from coursetools.grading.notebook import HIDDEN_MARKERS, without_hidden_tests

HIDDEN_NOTE = "# (hidden tests ran here: a failing one shows its message below the cell)"


def short_error(output) -> None:
    """An error output reduced to `Type: message`, the lines a student can act on."""
    output.traceback = [f"{output.ename}: {output.evalue}"]


class HideHiddenTests(Preprocessor):
    """Remove hidden-test source and grader tracebacks from grade cells before feedback is rendered."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if HIDDEN_MARKERS[0] in cell.source:
            cell.source = without_hidden_tests(cell.source, HIDDEN_NOTE)
        if cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.outputs:
                if output.output_type == "error":
                    short_error(output)
        return cell, resources
