"""The assignment's contract: names that the notebook, the grader and the tests must agree on."""
from pathlib import Path

ASSIGNMENT = "cnn"
NOTEBOOK = "cnn"  # nbgrader's notebook id: the file name without .ipynb

# Solution cells' grade_ids, which are also the names students define, in notebook order.
PARTS = ("conv2d_naive", "conv_output_size", "pad2d", "conv2d", "Conv2D",
         "max_pool2d", "avg_pool2d", "SimpleConvNet")
WRITTEN_ANSWER = "weight_sharing_answer"
GRADED_PARTS = PARTS + (WRITTEN_ANSWER,)


def source_notebook(course_dir: Path) -> Path:
    return Path(course_dir) / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"


def release_notebook(course_dir: Path) -> Path:
    return Path(course_dir) / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"


def part_of(grade_id: str) -> str | None:
    """The part a grade cell scores: test cells are named test_<part> or test_<part>_<what>.

    Returns None for cells that belong to no part (the 0-point grader setup).
    """
    if grade_id in GRADED_PARTS:
        return grade_id
    matches = [p for p in PARTS if grade_id == f"test_{p}" or grade_id.startswith(f"test_{p}_")]
    return max(matches, key=len, default=None)
