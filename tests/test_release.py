"""release/ is what students get: up to date with source/, and free of solutions and hidden tests."""
import json
import shutil

from coursetools import cycle, notebook
from coursetools.assignment import ASSIGNMENT, source_notebook

from conftest import REPO

MARKERS = notebook.SOLUTION_MARKERS + notebook.HIDDEN_MARKERS


def files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_release_matches_what_generate_assignment_makes(tmp_path):
    shutil.copytree(REPO / "source", tmp_path / "source")
    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    cycle.nbgrader(tmp_path, "generate_assignment", ASSIGNMENT)
    committed, generated = REPO / "release", tmp_path / "release"
    assert files(committed) == files(generated), "release/ has other files than generate_assignment makes"
    assert not list(generated.rglob("*.py")), "the source notebook's .py twin (with solutions) reached the release"
    for name in files(committed):
        if name.suffix == ".ipynb":
            same = json.loads((committed / name).read_text()) == json.loads((generated / name).read_text())
        else:
            same = (committed / name).read_bytes() == (generated / name).read_bytes()
        assert same, f"release/{name} is out of date: run `make release` and commit it"


def secret_lines():
    """Lines of solution and hidden-test regions that appear nowhere else in the source notebook."""
    inside, outside = set(), set()
    for cell in notebook.read(source_notebook(REPO)).cells:
        solution, rest = notebook.split_regions(cell.source, notebook.SOLUTION_MARKERS)
        hidden, public = notebook.split_regions("\n".join(rest), notebook.HIDDEN_MARKERS)
        inside.update(line.strip() for line in solution + hidden)
        outside.update(line.strip() for line in public)
    return {line for line in inside - outside if len(line) > 3}


def release_lines(path):
    if path.suffix == ".ipynb":
        return [line for cell in notebook.read(path).cells for line in cell.source.splitlines()]
    return path.read_text(errors="replace").splitlines()


def test_release_holds_no_solution_or_hidden_test_text():
    secrets = secret_lines()
    assert len(secrets) > 200, "the source notebook should have solution and hidden-test code to protect"
    for name in files(REPO / "release"):
        path = REPO / "release" / name
        text = path.read_text(errors="replace")
        assert not any(marker in text for marker in MARKERS), f"release/{name} contains a solution or hidden-test marker"
        leaked = secrets & {line.strip() for line in release_lines(path)}
        assert not leaked, f"release/{name} contains solution or hidden-test lines: {sorted(leaked)[:5]}"
