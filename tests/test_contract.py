"""The student-facing API is a contract: names, signatures, grade_ids and points."""
import ast

from coursetools import notebook
from coursetools.assignment import GRADED_PARTS, PARTS, WRITTEN_ANSWER, part_of, release_notebook, source_notebook

from conftest import REPO

SIGNATURES = {
    "conv2d_naive": "conv2d_naive(image, kernel)",
    "conv_output_size": "conv_output_size(input_size, kernel_size, stride=1, padding=0)",
    "pad2d": "pad2d(x, padding)",
    "conv2d": "conv2d(x, weight, bias=None, stride=1, padding=0)",
    "Conv2D": "Conv2D(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, seed=None)",
    "max_pool2d": "max_pool2d(x, kernel_size, stride=None)",
    "avg_pool2d": "avg_pool2d(x, kernel_size, stride=None)",
    "SimpleConvNet": "SimpleConvNet(in_channels=1, image_size=(28, 28), num_classes=10, seed=None)",
}
POINTS = {"conv2d_naive": 15, "conv_output_size": 5, "pad2d": 8, "conv2d": 25, "Conv2D": 10,
          WRITTEN_ANSWER: 10, "max_pool2d": 8, "avg_pool2d": 7, "SimpleConvNet": 12}


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


def test_release_keeps_every_signature_in_its_own_solution_cell():
    release = notebook.read(release_notebook(REPO))
    assert tuple(SIGNATURES) == PARTS
    for part, expected in SIGNATURES.items():
        cell = notebook.cell_by_id(release, part)
        assert cell.metadata.nbgrader["solution"], f"{part}'s cell is not a solution cell"
        assert signature(cell.source, part) == expected
        assert "raise NotImplementedError()" in cell.source


def test_grade_cells_carry_the_documented_points_per_part():
    source = notebook.read(source_notebook(REPO))
    points = dict.fromkeys(GRADED_PARTS, 0)
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            part = part_of(meta["grade_id"])
            assert part or meta["points"] == 0, f"grade cell {meta['grade_id']} belongs to no part"
            if part:
                points[part] += meta["points"]
    assert points == POINTS
    assert sum(points.values()) == 100


def test_written_answer_is_a_manually_graded_markdown_cell():
    cell = notebook.cell_by_id(notebook.read(source_notebook(REPO)), WRITTEN_ANSWER)
    meta = cell.metadata.nbgrader
    assert cell.cell_type == "markdown" and meta["grade"] and meta["solution"] and not meta["locked"]


def test_no_grade_cell_ends_in_an_expression():
    """nbgrader reads a grade cell's last value as partial credit: a test cell must end in a statement
    or in a call that returns None (print, or one of the hidden _grader checks)."""
    for cell in notebook.read(source_notebook(REPO)).cells:
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
