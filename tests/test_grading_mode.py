"""Autograde leaves out the provided figure cells (c.SandboxedExecute.skip_tags in nbgrader_config.py): that
may only ever skip drawing, never a test, a solution or anything a later cell needs."""
import ast

import nbformat
from nbgrader.utils import is_grade, is_solution
from traitlets.config.loader import PyFileConfigLoader

import pytest

from coursetools.grading.sandbox import SKIPPED_NOTE, SandboxedExecute

from conftest import ASSIGNMENTS, REPO

each_assignment = pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)


def skipping() -> SandboxedExecute:
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    return SandboxedExecute(config=config)


def bound_names(tree) -> set[str]:
    """The names a cell binds at its top level: assignments, loops, imports, functions and classes."""
    names = set()
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in statement.names}
        else:
            names |= {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names


def global_reads(tree) -> set[str]:
    """The names a cell reads from the notebook's globals: at its top level, or in its functions' bodies
    where they are neither parameters nor local assignments; less what the cell binds itself."""
    reads = set()

    def visit(node, local: set[str]):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            args = node.args
            names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} | \
                {a.arg for a in (args.vararg, args.kwarg) if a}
            body = node.body if isinstance(node.body, list) else [node.body]
            names |= {n.id for b in body for n in ast.walk(b) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            for child in body:
                visit(child, local | names)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
            reads.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child, local)

    visit(tree, set())
    return reads - bound_names(tree)


@each_assignment
def test_the_course_skips_its_figure_cells_and_only_those(assignment):
    nb = nbformat.read(assignment.source_notebook(REPO), as_version=4)
    skipped = skipping().skipped(nb)
    tagged = {i for i, c in enumerate(nb.cells) if any(t.startswith("figure:") for t in c.metadata.get("tags", []))}
    assert skipped == tagged and skipped, (skipped, tagged)
    assert not any(is_grade(nb.cells[i]) or is_solution(nb.cells[i]) for i in skipped)


@each_assignment
def test_figure_cells_define_nothing_that_a_later_cell_reads(assignment):
    """Else the kernel would raise NameError in that cell when grading (the feedback would show it)."""
    nb = nbformat.read(assignment.source_notebook(REPO), as_version=4)
    skipped, from_figures, needed = skipping().skipped(nb), {}, []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        if index in skipped:
            from_figures.update(dict.fromkeys(bound_names(tree), index))
            continue
        needed += [f"cell {index} reads {name}, which only figure cell {from_figures[name]} defines"
                   for name in sorted(global_reads(tree) & from_figures.keys())]
        for name in bound_names(tree):
            from_figures.pop(name, None)
    assert needed == []


def test_a_skipped_cell_is_not_run_and_says_why(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the status file goes to .grading/ here
    cells = [nbformat.v4.new_code_cell("print('drawn')", metadata={"tags": ["figure:x"]}),
             nbformat.v4.new_code_cell("print('after')")]
    executor = SandboxedExecute(skip_tags=["figure:"], bubblewrap=False)  # only which cells run matters here
    nb, _ = executor.preprocess(nbformat.v4.new_notebook(cells=cells), {"nbgrader": {"student": "s", "assignment": "a"}})
    assert [o.text for o in nb.cells[0].outputs] == [SKIPPED_NOTE]
    assert [o.text for o in nb.cells[1].outputs] == ["after\n"]
