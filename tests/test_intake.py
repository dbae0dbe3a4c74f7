"""The intake survives any file: what is no notebook becomes the release with a one-line reason; the batch goes on."""
import json
from pathlib import Path

import nbformat
import pytest

from coursetools.assignments.cnn import sample_class

from coursetools.grading import intake, notebook
from coursetools.assignments.cnn import ASSIGNMENT as CNN

REPO = Path(__file__).resolve().parents[1]
RELEASE = notebook.read(CNN.release_notebook(REPO))


def hand_in(folder: Path, content: bytes) -> Path:
    folder.mkdir(parents=True)
    (folder / f"{CNN.notebook}.ipynb").write_bytes(content)
    return folder


def with_cells(cells: list) -> bytes:
    nb = json.loads(json.dumps(RELEASE))
    nb["cells"] = cells
    return json.dumps(nb).encode()


@pytest.mark.parametrize("content, reason", [
    (b"[" * 100_000, "nested too deeply"),
    (json.dumps({"nbformat": 4, "metadata": json.loads("[" * 70 + "]" * 70)}).encode(), "nested more than 64 levels"),
    (with_cells([nbformat.v4.new_code_cell("")] * (intake.MAX_CELLS + 1)), f"{intake.MAX_CELLS + 1} cells"),
    (b" " * (intake.MAX_BYTES + 1), "more than a notebook may have (50 MB)"),
], ids=["nested_brackets", "deep_metadata", "too_many_cells", "too_big"])
def test_what_no_notebook_is_is_graded_as_the_release_with_its_reason(tmp_path, content, reason):
    nb, taken = intake.read_submission(hand_in(tmp_path / "student" / CNN.id, content), RELEASE)
    assert taken.status == "unreadable" and reason in taken.reason and "\n" not in taken.reason
    assert len(nb.cells) == len(RELEASE.cells) + 1 and reason in nb.cells[0].source


def test_one_hostile_notebook_does_not_stop_the_others(tmp_path):
    course = tmp_path / "course"
    (course / "release" / CNN.id).mkdir(parents=True)
    nbformat.write(RELEASE, str(CNN.release_notebook(course)))
    hand_in(course / "submitted" / "hostile" / CNN.id, b"[" * 100_000)
    honest = sample_class.submission(sample_class.FULL_SOLUTION, REPO)
    hand_in(course / "submitted" / "honest" / CNN.id, nbformat.writes(honest).encode())
    intakes = {taken.student: taken for taken in intake.stage(course, CNN, tmp_path / "staging")}
    assert intakes["hostile"].status == "unreadable" and intakes["honest"].status == "ok"
    staged = notebook.read(tmp_path / "staging" / "honest" / CNN.id / f"{CNN.notebook}.ipynb")
    assert [c.source for c in staged.cells] == [c.source for c in honest.cells]
