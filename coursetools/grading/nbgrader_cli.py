"""nbgrader's command line, started sooner: `python -m coursetools.grading.nbgrader_cli ARGS` is `nbgrader ARGS`.

jsonschema, which nbgrader imports through nbformat, checks IRIs with rfc3987_syntax whenever that package is
installed (Jupyter's event schemas pull it in), and importing it builds a grammar for 0.7 s. nbgrader never
checks IRIs; `make grade` starts an nbgrader process per chunk of the class (per submission on Dask).

A new gradebook is stamped with the newest revision of nbgrader's schema, which nbgrader learns by running
`alembic heads`: a process that imports every migration, 2.5 s of CPU per new course (the test suite makes 20).
`schema_head` reads the same revision from the migration files' text.
"""
import ast
import sys
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)  # import fails, jsonschema goes on without the IRI check
import nbgrader.api  # noqa: E402
from nbgrader.apps.nbgraderapp import main  # noqa: E402
from nbgrader.dbutil import ALEMBIC_DIR  # noqa: E402


def schema_head(versions: Path = Path(ALEMBIC_DIR) / "versions") -> str:
    """The revision of nbgrader's migrations that no other one follows (what `alembic heads` prints)."""
    links = {}
    for script in versions.glob("*.py"):
        names = {target.id: node.value for node in ast.parse(script.read_text()).body
                 if isinstance(node, ast.Assign) for target in node.targets if isinstance(target, ast.Name)}
        if "revision" in names:
            links[ast.literal_eval(names["revision"])] = ast.literal_eval(names.get("down_revision", ast.Constant(None)))
    heads = set(links) - set(links.values())
    if len(heads) != 1:
        raise RuntimeError(f"nbgrader's migrations in {versions} have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


if __name__ == "__main__":
    nbgrader.api.get_alembic_version = schema_head
    sys.argv[0] = "nbgrader"
    sys.exit(main())
