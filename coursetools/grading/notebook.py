"""Reading nbgrader notebooks: cells by grade_id and the code inside solution and hidden-test regions."""
from pathlib import Path

import nbformat

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def printed_lines(cell) -> list[str]:
    """The lines a code cell printed: its stream outputs joined first, since one print can reach the notebook as
    several stream messages ("LIMITS", then " 3221225472 256 -")."""
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream").splitlines()


def cell_by_id(nb, wanted: str):
    """The cell whose nbgrader grade_id is `wanted` (KeyError if there is none)."""
    for cell in nb.cells:
        if grade_id(cell) == wanted:
            return cell
    raise KeyError(f"no cell with grade_id {wanted!r}")


def split_regions(source: str, markers: tuple[str, str]) -> tuple[list[str], list[str]]:
    """Lines inside the marked regions and lines outside them (marker lines themselves in neither)."""
    begin, end = markers
    inside, outside, in_region = [], [], False
    for line in source.splitlines():
        if begin in line:
            in_region = True
        elif end in line:
            in_region = False
        else:
            (inside if in_region else outside).append(line)
    return inside, outside


def without_markers(source: str) -> str:
    """A solution cell as a student who solved it would have written it: the markers gone, the code kept."""
    return "\n".join(line for line in source.splitlines() if not any(m in line for m in SOLUTION_MARKERS))


def without_hidden_tests(source: str, note: str) -> str:
    """The cell's source with each hidden region replaced by the one line `note` (indented like the marker)."""
    begin, end = HIDDEN_MARKERS
    lines, in_region = [], False
    for line in source.splitlines():
        if begin in line:
            in_region = True
            lines.append(line[:line.index(begin)] + note)
        elif end in line:
            in_region = False
        elif not in_region:
            lines.append(line)
    return "\n".join(lines)


def hidden_code(source: str) -> str:
    """The code of a cell's hidden-test regions, in order."""
    return "\n".join(split_regions(source, HIDDEN_MARKERS)[0])


def lines_only_in_regions(nb, *marker_pairs) -> set[str]:
    """Stripped lines inside the marked regions that appear nowhere outside them (ignoring very short ones)."""
    inside, outside = set(), set()
    for cell in nb.cells:
        rest = cell.source
        for markers in marker_pairs:
            region, public = split_regions(rest, markers)
            inside.update(line.strip() for line in region)
            rest = "\n".join(public)
        outside.update(line.strip() for line in rest.splitlines())
    return {line for line in inside - outside if len(line) > 3}
