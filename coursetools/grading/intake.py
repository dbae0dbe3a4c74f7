"""Before grading: read every submission, repair what can be repaired, and stage what nbgrader grades.

`submitted/` is never written. Each student's notebook is copied into a staging folder, after these
repairs: a single notebook under another name is graded as <assignment>.ipynb; nbformat 3 is converted to 4;
nbgrader metadata that nbgrader's own validator rejects is replaced by the release's for that cell (or
removed from cells the release does not know; autograde restores test cells anyway). A submission that
cannot be read at all (missing, empty, not JSON, not a notebook, larger than MAX_BYTES, more than MAX_CELLS
cells, nested deeper than MAX_DEPTH) is replaced by the release notebook with a note at the top, so it still
gets a gradebook row (zero) and feedback that says what happened. Nothing a submission holds can stop the
intake of the others.
"""
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.nbgraderformat import MetadataValidator

from coursetools.assignments import Assignment
from coursetools.grading import notebook

MAX_BYTES = 50 * 2**20  # the release is 65 KB; a notebook with all its figures drawn is a few MB
MAX_CELLS = 5_000       # the release has about 90
MAX_DEPTH = 64          # levels of JSON lists and objects (a notebook needs about 8; widget state a few more)
# What nbgrader's exchange puts beside the notebook and grading carries on: the submission time (late work) and
# the secret release_feedback names the student's feedback file by (it stops at a submission without one).
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")


@dataclass(frozen=True)
class Intake:
    student: str
    status: str   # "ok", "repaired", "unreadable" or "failed" (nbgrader could not grade it)
    reason: str   # one line for the TA's table and the student's feedback ("" when ok)


class Unreadable(Exception):
    """The submission cannot be graded as a notebook; the message says why, in one line."""


def grading_note(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(f"**Grading note:** {text}")


def find_notebook(folder: Path) -> tuple[Path, list[str]]:
    """The notebook to grade in a student's folder (submitted/<student>/<assignment>: the notebook is named
    like the assignment), and what was done to find it."""
    expected = folder / f"{folder.name}.ipynb"
    if expected.is_symlink():  # it could point at the instructor's notebook or the gradebook
        raise Unreadable(f"{expected.name} is a symbolic link, not a file")
    if expected.is_file():
        return expected, []
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink()) if folder.is_dir() else []
    if len(others) == 1:
        return others[0], [f"graded {others[0].name} as {expected.name}"]
    found = f" (found {', '.join(p.name for p in others)})" if others else ""
    raise Unreadable(f"no {expected.name} in the submission{found}")


def json_depth(value) -> int:
    """How deeply lists and objects nest in `value`, walked without recursion (and only to past MAX_DEPTH)."""
    deepest, todo = 0, [(value, 1)]
    while todo and deepest <= MAX_DEPTH:
        item, level = todo.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            todo += [(child, level + 1) for child in (item.values() if isinstance(item, dict) else item)]
    return deepest


def cell_count(data: dict) -> int:
    """The cells of an nbformat 4 notebook, or of all the worksheets of an nbformat 3 one."""
    worksheets = data.get("worksheets")
    sheets = [w for w in worksheets if isinstance(w, dict)] if isinstance(worksheets, list) else []
    lists = [data.get("cells")] + [w.get("cells") for w in sheets]
    return sum(len(cells) for cells in lists if isinstance(cells, list))


def parse(path: Path) -> tuple[nbformat.NotebookNode, list[str]]:
    """The notebook in `path` as nbformat 4, and the repairs that took."""
    if path.stat().st_size > MAX_BYTES:
        raise Unreadable(f"{path.name} has {path.stat().st_size / 2**20:.0f} MB, more than a notebook may have "
                         f"({MAX_BYTES // 2**20} MB)")
    text = path.read_bytes().decode("utf-8", errors="replace")
    if not text.strip():
        raise Unreadable(f"{path.name} is an empty file")
    try:
        data = json.loads(text)
    except ValueError as problem:
        raise Unreadable(f"{path.name} is not valid JSON ({problem})") from None
    except RecursionError:
        raise Unreadable(f"{path.name} is JSON nested too deeply to be a notebook") from None
    if json_depth(data) > MAX_DEPTH:
        raise Unreadable(f"{path.name} is JSON nested more than {MAX_DEPTH} levels deep: not a notebook")
    if not isinstance(data, dict) or not isinstance(data.get("nbformat"), int):
        raise Unreadable(f"{path.name} is JSON but not a notebook")
    if cell_count(data) > MAX_CELLS:
        raise Unreadable(f"{path.name} has {cell_count(data)} cells, more than a notebook may have ({MAX_CELLS})")
    try:
        nb = nbformat.reads(text, as_version=4)
        reshaped = reshape_cells(nb)
        nb = nbformat.from_dict(nbformat.validator.normalize(nb)[1])  # cell ids for notebooks made before 4.5
        nbformat.validate(nb)
    except Exception as problem:  # nbformat raises several kinds for damaged notebooks
        raise Unreadable(f"{path.name} is not a valid notebook ({type(problem).__name__})") from None
    notes = [f"converted from nbformat {data['nbformat']} to 4"] if data["nbformat"] < 4 else []
    return nb, notes + ([f"fixed the fields of {reshaped} cell(s) whose type was changed"] if reshaped else [])


def reshape_cells(nb) -> int:
    """Give each cell the fields of its type (a code cell turned into markdown keeps outputs nbformat rejects)."""
    reshaped = 0
    for cell in nb.cells:
        extra = {"outputs", "execution_count"} & set(cell) if cell.cell_type != "code" else set()
        missing = {"outputs", "execution_count"} - set(cell) if cell.cell_type == "code" else set()
        for key in extra:
            del cell[key]
        if missing:
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
        reshaped += bool(extra or missing)
    return reshaped


def repair_metadata(nb, release) -> list[str]:
    """Replace nbgrader metadata that nbgrader would reject, and drop it from cells the assignment does not
    have (a renamed test cell would crash nbgrader's restore step); returns what was repaired."""
    validator, known = MetadataValidator(), {notebook.grade_id(c) for c in release.cells} - {None}
    repaired = dropped = 0
    for cell in nb.cells:
        if "nbgrader" not in cell.metadata:
            continue
        meta = cell.metadata.nbgrader
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id not in known:
            del cell.metadata["nbgrader"]
            dropped += 1
            continue
        try:
            validator.validate_cell(validator.upgrade_cell_metadata(cell))
        except Exception:  # the validator fails in many ways on damaged metadata
            cell.metadata["nbgrader"] = notebook.cell_by_id(release, grade_id).metadata["nbgrader"]
            repaired += 1
    return ([f"repaired the nbgrader metadata of {repaired} cell(s)"] if repaired else []) + \
        ([f"removed nbgrader metadata from {dropped} cell(s) the assignment does not have"] if dropped else [])


def as_release(release, student: str, status: str, problem: str) -> tuple[nbformat.NotebookNode, Intake]:
    """The release notebook with a note on top: what a submission that cannot be graded is graded as."""
    substitute = nbformat.from_dict(json.loads(json.dumps(release)))
    reason = f"{problem}: graded as the notebook handed out, so every part scores 0"
    substitute.cells.insert(0, grading_note(f"your submission could not be graded: {reason}. "
                                            "Ask your instructor if you think this is wrong."))
    return substitute, Intake(student, status, reason)


def read_submission(folder: Path, release) -> tuple[nbformat.NotebookNode, Intake]:
    """What nbgrader should grade for the submission in `folder` (submitted/<student>/<assignment>)."""
    student = folder.parent.name
    try:
        path, found = find_notebook(folder)
        nb, converted = parse(path)
        repairs = found + converted + repair_metadata(nb, release)
    except Unreadable as problem:
        return as_release(release, student, "unreadable", str(problem))
    except Exception as problem:  # noqa: BLE001 (MemoryError, an unreadable file, ...: never the whole batch)
        return as_release(release, student, "unreadable",
                          f"{folder.name}.ipynb could not be read ({type(problem).__name__})")
    if repairs:
        nb.cells.insert(0, grading_note("; ".join(repairs) + "."))
    return nb, Intake(student, "repaired" if repairs else "ok", "; ".join(repairs))


def stage_as_release(course_dir: Path, assignment: Assignment, staging: Path, student: str, problem: str) -> Intake:
    """Replace a staged notebook that could not be graded by the release with a note; returns its Intake."""
    nb, taken = as_release(notebook.read(assignment.release_notebook(course_dir)), student, "failed", problem)
    nbformat.write(nb, str(staging / student / assignment.id / f"{assignment.notebook}.ipynb"))
    return taken


def stage(course_dir: Path, assignment: Assignment, staging: Path) -> list[Intake]:
    """Copy every submission of `assignment` into `staging` (nbgrader's layout), repaired; returns one Intake
    per student. Students without a submitted/<student>/<assignment> folder have not handed it in: nbgrader's
    collect makes that folder for every submission, whatever it holds."""
    course_dir = Path(course_dir)
    release = notebook.read(assignment.release_notebook(course_dir))
    shutil.rmtree(staging, ignore_errors=True)
    intakes = []
    for student_folder in sorted(p for p in (course_dir / "submitted").iterdir() if p.is_dir()):
        folder = student_folder / assignment.id
        if not folder.exists() and not folder.is_symlink():
            continue
        nb, intake = read_submission(folder, release)
        target = staging / student_folder.name / assignment.id
        target.mkdir(parents=True)
        nbformat.write(nb, str(target / f"{assignment.notebook}.ipynb"))
        for name in NBGRADER_FILES:
            if (folder / name).is_file():
                shutil.copy(folder / name, target / name)
        intakes.append(intake)
    return intakes
