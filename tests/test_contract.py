"""The student-facing API is a contract: names, signatures, grade_ids and points."""
import ast

import pytest

from coursetools.grading import notebook

from conftest import ASSIGNMENTS, REPO

each_assignment = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)

def signature(cell_source: str, name: str) -> str:
    """`name(args)` as the release cell defines it (a class's signature is its __init__ without self)."""
    for node in ast.walk(ast.parse(cell_source)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return f"{name}({ast.unparse(node.args)})"
        if isinstance(node, ast.ClassDef) and node.name == name:
            init = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
            init.args.args = init.args.args[1:]
            return f"{name}({ast.unparse(init.args)})"
    raise AssertionError(f"{name} is not defined in its cell")


@each_assignment
def test_release_keeps_every_signature_in_its_own_solution_cell(assignment):
    release = notebook.read(assignment.release_notebook(REPO))
    solution_cells = [notebook.grade_id(c) for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert [c for c in solution_cells if c in assignment.parts] == list(assignment.parts), \
        f"the release's solution cells miss a part or change the contract's order: {solution_cells}"
    assert assignment.written_answer in solution_cells
    for part, expected in assignment.signatures.items():
        cell = notebook.cell_by_id(release, part)
        assert cell.metadata.nbgrader["solution"], f"{part}'s cell is not a solution cell"
        assert signature(cell.source, part) == expected
        assert "raise NotImplementedError()" in cell.source


@each_assignment
def test_grade_cells_carry_the_documented_points_per_part(assignment):
    source = notebook.read(assignment.source_notebook(REPO))
    points = dict.fromkeys(assignment.graded_parts, 0)
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            part = assignment.part_of(meta["grade_id"])
            assert part or meta["points"] == 0, f"grade cell {meta['grade_id']} belongs to no part"
            if part:
                points[part] += meta["points"]
    assert points == assignment.points
    assert sum(points.values()) == 100


@each_assignment
def test_written_answer_is_a_manually_graded_markdown_cell(assignment):
    cell = notebook.cell_by_id(notebook.read(assignment.source_notebook(REPO)), assignment.written_answer)
    meta = cell.metadata.nbgrader
    assert cell.cell_type == "markdown" and meta["grade"] and meta["solution"] and not meta["locked"]


@each_assignment
def test_no_grade_cell_ends_in_an_expression(assignment):
    """nbgrader reads a grade cell's last value as partial credit: a test cell must end in a statement
    or in a call that returns None (print, or one of the hidden _grader checks)."""
    for cell in notebook.read(assignment.source_notebook(REPO)).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            last = ast.parse(cell.source).body[-1]
            assert not isinstance(last, ast.Expr) or _returns_none(last.value), \
                f"grade cell {meta['grade_id']} ends in an expression whose value nbgrader would read as a score"


def _returns_none(node) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "print") or \
        (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "_grader")
