"""Feedback that shows students the verdicts but not the hidden tests.

Stock `nbgrader generate_feedback` renders the autograded notebook, whose grade cells hold the hidden
tests again (autograde restores them) and whose error tracebacks quote the grader's code line by line
(nbgrader issue #917). `HideHiddenTests` runs before the HTML is made: it cuts the hidden regions out of
every cell, shortens each grade cell's error to its type and message, which is where our hints are, and
removes any output that quotes the hidden code (student code can print the grader's source while it runs).
"""
import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .notebook import HIDDEN_MARKERS, lines_only_in_regions, without_hidden_tests

HIDDEN_NOTE = "# (hidden tests ran here: a failing one shows its message below the cell)"
REMOVED = "[an output was removed from this feedback: it quoted the hidden tests' code]\n"


def output_text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join([output.evalue, *output.traceback])
    return "\n".join(v if isinstance(v, str) else "\n".join(v) for v in output.get("data", {}).values()
                     if isinstance(v, (str, list)))


def short_error(output) -> None:
    """An error output reduced to `Type: message`, the lines a student can act on."""
    output.traceback = [f"{output.ename}: {output.evalue}"]


class HideHiddenTests(Preprocessor):
    """Remove hidden-test source and grader tracebacks from grade cells before feedback is rendered."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        self.hidden_lines = lines_only_in_regions(nb, HIDDEN_MARKERS)
        return super().preprocess(nb, resources)

    def quotes_hidden_code(self, output) -> bool:
        return any(line.strip() in self.hidden_lines for line in output_text(output).splitlines())

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=REMOVED)
                        if self.quotes_hidden_code(output) else output for output in cell.outputs]
        if HIDDEN_MARKERS[0] in cell.source:
            cell.source = without_hidden_tests(cell.source, HIDDEN_NOTE)
        if cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.outputs:
                if output.output_type == "error":
                    short_error(output)
        return cell, resources
