"""release/ is what students get: up to date with source/, and free of solutions and hidden tests."""
import json

import pytest

from coursetools.grading import commands, notebook

from conftest import ASSIGNMENTS, REPO

MARKER_PAIRS = (notebook.SOLUTION_MARKERS, notebook.HIDDEN_MARKERS)
MARKERS = notebook.SOLUTION_MARKERS + notebook.HIDDEN_MARKERS


def files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_release_matches_what_generate_assignment_makes(tmp_path):
    commands.copy_course(REPO, tmp_path, with_release=False)
    for assignment in ASSIGNMENTS:
        commands.nbgrader(tmp_path, "generate_assignment", assignment.id)
    committed, generated = REPO / "release", tmp_path / "release"
    assert files(committed) == files(generated), "release/ has other files than generate_assignment makes"
    assert not list(generated.rglob("*.py")), "the source notebook's .py twin (with solutions) reached the release"
    for name in files(committed):
        if name.suffix == ".ipynb":
            same = json.loads((committed / name).read_text()) == json.loads((generated / name).read_text())
        else:
            same = (committed / name).read_bytes() == (generated / name).read_bytes()
        assert same, f"release/{name} is out of date: run `make release` and commit it"


def release_lines(path):
    if path.suffix == ".ipynb":
        return [line for cell in notebook.read(path).cells for line in cell.source.splitlines()]
    return path.read_text(errors="replace").splitlines()


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)
def test_release_holds_no_solution_or_hidden_test_text(assignment):
    secrets = notebook.lines_only_in_regions(notebook.read(assignment.source_notebook(REPO)), *MARKER_PAIRS)
    assert len(secrets) > 200, "the source notebook should have solution and hidden-test code to protect"
    for name in files(REPO / "release" / assignment.id):
        path = REPO / "release" / assignment.id / name
        text = path.read_text(errors="replace")
        assert not any(marker in text for marker in MARKERS), f"release/{assignment.id}/{name} contains a solution or hidden-test marker"
        leaked = secrets & {line.strip() for line in release_lines(path)}
        assert not leaked, f"release/{assignment.id}/{name} contains solution or hidden-test lines: {sorted(leaked)[:5]}"
