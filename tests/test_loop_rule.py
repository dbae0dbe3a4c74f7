"""The for-loop rule read from the notebook's text: right answers pass, and what hides a library call is refused."""
from pathlib import Path

import pytest
import nbformat
from nbgrader.utils import is_grade

from catalogue.cnn import CORRECT
from coursetools.assignments.cnn import sample_class
from coursetools.grading import notebook
from coursetools.verification import loop_rule, verify
from coursetools.assignments.cnn import ASSIGNMENT as CNN
from coursetools.assignments.cnn.sample_class import ALL, Student

REPO = Path(__file__).resolve().parents[1]
LOOP_PARTS = ("conv2d_naive", "conv2d", "max_pool2d", "avg_pool2d")
SETUP = {}
exec("\n".join(notebook.hidden_code(c.source) for c in notebook.read(CNN.source_notebook(REPO)).cells  # noqa: S102
               if is_grade(c) and not c.metadata.nbgrader.get("points")), SETUP)
GRADER = SETUP["_grader"]
FIRST = "    image, kernel = np.asarray(image), np.asarray(kernel)\n"


def failures(nb) -> dict[str, str]:
    """{part: why} for the loop parts whose rule fails, as the verifier checks it (on the program with its flags)."""
    found = {}
    for part in LOOP_PARTS:
        try:
            loop_rule.check(verify.student_program(nb), part, GRADER.LIBRARY_NAMES, GRADER.LIBRARY_MODULES,
                            set(GRADER.references) - {part})
        except AssertionError as error:
            found[part] = str(error)
    return found


def conv2d_naive_returning(expression: str, before: str = "", top: str = ""):
    """The solution, with conv2d_naive returning `expression` (after a loop that does nothing) and `top` code first
    in its cell."""
    body = before + "    for _ in range(1):\n        pass\n    return " + expression + "(image, kernel.shape)\n"
    nb = sample_class.submission(Student("x", "", ALL, edits=(("conv2d_naive", FIRST, body + FIRST),)), REPO)
    cell = notebook.cell_by_id(nb, "conv2d_naive")
    cell.source = top + cell.source
    return nb


def test_the_solution_and_every_right_implementation_pass():
    assert failures(sample_class.submission(sample_class.FULL_SOLUTION, REPO)) == {}
    for entry in CORRECT:
        student = entry.student(CNN)
        assert failures(sample_class.submission(student, REPO)) == {}, entry.name


@pytest.mark.parametrize("expression, before, top, why", [
    ('getattr(getattr(np.lib, "stride_" + "tricks"), "sliding_" + "window_view")', "", "", "uses `getattr`"),
    ('getattr(np.lib.stride_tricks, "x")', "", "", "uses `stride_tricks`"),
    ('getattr(np.lib, "stride_tricks").x', "", "", "uses `stride_tricks`"),
    ('__import__("numpy.lib.stride_" + "tricks", fromlist=["x"]).x', "", "", "uses `__import__`"),
    ('importlib.import_module("numpy.lib").x', "    import importlib\n", "", "`import importlib`"),
    ('np.lib.__dict__["stride_" + "tricks"].x', "", "", "uses `__dict__`"),
    ('vars(np.lib)["stride_" + "tricks"].x', "", "", "uses `vars`"),
    ('eval("np.lib.stride_" + "tricks").x', "", "", "uses `eval`"),
    ('sys.modules["numpy.lib.stride_" + "tricks"].x', "    import sys\n", "", "uses `modules`"),
    ('functools.reduce(getattr, ["lib", "x"], np)', "    import functools\n", "", "uses `getattr`"),
    ("_w", "", 'exec("_w = 1")\n', "while your notebook loads uses `exec`"),
    ("_w", "", '_w = None\n\ndef _inject():\n    globals()["_w"] = 1\n\n_inject()\n', "loads uses `globals`"),
    ("_w", "", "", "uses `_w` (in conv2d_naive), which nothing in your notebook defines"),
    ("H.w", "", "class H:\n    def w(x, k):\n        return np.lib.stride_tricks.x(x, k)\n",
     "uses `stride_tricks` (in H)"),
    ("w", "", "from zz_not_installed import w\n", "from the module zz_not_installed"),
], ids=["getattr_built", "getattr_constant", "getattr_constant_chain", "import_built", "importlib", "dict", "vars",
        "eval", "sys_modules", "getattr_as_value", "exec_at_load", "function_called_at_load", "unbound_name",
        "class_helper", "module_not_installed"])
def test_what_hides_the_call_is_refused_with_its_reason(expression, before, top, why):
    found = failures(conv2d_naive_returning(expression, before, top))
    assert why in found.get("conv2d_naive", ""), found


def test_constant_names_and_cells_that_only_contribute_definitions_are_fine():
    assert failures(conv2d_naive_returning('getattr(np, "zeros")', top='_sum = getattr(np, "sum")\n')) == {}
    nb = sample_class.submission(sample_class.FULL_SOLUTION, REPO)
    nb.cells.append(nbformat.v4.new_code_cell("print(globals().keys(), vars(np))"))  # does not run in the worker
    assert failures(nb) == {}


def test_a_part_whose_cell_does_not_parse_does_not_cost_the_parts_that_call_it():
    syntax_error = next(s for s in sample_class.SAMPLE_CLASS if s.student_id == "syntax_error")
    assert failures(sample_class.submission(syntax_error, REPO)) == {}
