"""The release's visible tests, run as a student runs them: in a plain kernel, without nbgrader."""
import nbformat
from nbclient import NotebookClient

from coursetools import sample_class
from coursetools.assignment import release_notebook

from conftest import REPO


def run_all(nb):
    """Execute every cell like *Run All* that goes on after errors; returns [(grade_id, error name)]."""
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return [(cell.metadata.get("nbgrader", {}).get("grade_id"), out.ename)
            for cell in nb.cells if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"]


def stderr_text(nb):
    return "".join(out.text for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.outputs if out.output_type == "stream" and out.name == "stderr")


def test_visible_tests_pass_for_the_solution():
    nb = sample_class.submission(sample_class.FULL_SOLUTION, REPO)
    assert run_all(nb) == []
    assert stderr_text(nb) == ""
    passed = [cell for cell in nb.cells if cell.cell_type == "code" and "visible examples pass" in str(cell.outputs)]
    assert len(passed) == 8, "each part's visible test should report that it passed"


def test_untouched_release_stops_only_at_the_stubs():
    errors = run_all(nbformat.read(str(release_notebook(REPO)), as_version=4))
    assert errors, "the stubs should raise NotImplementedError"
    assert {name for _, name in errors} == {"NotImplementedError"}, errors
    assert {gid for gid, _ in errors} >= {"test_conv2d_naive_example", "test_SimpleConvNet"}
