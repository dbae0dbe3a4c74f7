"""nbgrader's command line, started a second sooner: `python -m coursetools.grading.nbgrader_cli ARGS` is `nbgrader ARGS`.

jsonschema, which nbgrader imports through nbformat, checks IRIs with rfc3987_syntax whenever that package is
installed (Jupyter's event schemas pull it in), and importing it builds a grammar for 0.7 s. nbgrader never
checks IRIs; `make grade` starts an nbgrader process per chunk of the class (per submission on Dask).
"""
import sys

sys.modules.setdefault("rfc3987_syntax", None)  # import fails, jsonschema goes on without the IRI check
from nbgrader.apps.nbgraderapp import main  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "nbgrader"
    sys.exit(main())
