"""Each release's visible tests, run as a student runs them: in a plain kernel, without nbgrader."""
import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ASSIGNMENTS, REPO

each_assignment = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)


def run_all(nb, folder):
    """Execute every cell like *Run All* that goes on after errors, in `folder` (where the release's data files
    are); returns [(grade_id, error name)]."""
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return [(cell.metadata.get("nbgrader", {}).get("grade_id"), out.ename)
            for cell in nb.cells if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"]


def stderr_text(nb):
    return "".join(out.text for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.outputs if out.output_type == "stream" and out.name == "stderr")


@each_assignment
def test_visible_tests_pass_for_the_solution(assignment):
    sample_class = assignment.sample_class
    nb = sample_class.submission(sample_class.FULL_SOLUTION, REPO)
    assert run_all(nb, assignment.release_notebook(REPO).parent) == []
    assert stderr_text(nb) == ""
    passed = [cell for cell in nb.cells if cell.cell_type == "code" and "visible examples pass" in str(cell.outputs)]
    assert len(passed) >= len(assignment.parts), "each part's visible test should report that it passed"


@each_assignment
def test_untouched_release_stops_only_at_the_stubs(assignment):
    release = assignment.release_notebook(REPO)
    errors = run_all(nbformat.read(str(release), as_version=4), release.parent)
    assert errors, "the stubs should raise NotImplementedError"
    assert {name for _, name in errors} == {"NotImplementedError"}, errors
    assert {assignment.part_of(gid) for gid, _ in errors if gid} >= set(assignment.parts), \
        "every part's visible tests should stop at its stub"
