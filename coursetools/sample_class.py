"""The sample class: submissions built from the release, the way students would hand them in.

Each sample student starts from the release notebook, solves some parts with the instructor's solution and
may carry mistakes, written as text edits of that solution. An edit that no longer matches the solution
raises, so the sample class cannot silently drift away from the notebook it describes.
"""
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import notebook
from .assignment import ASSIGNMENT, GRADED_PARTS, NOTEBOOK, WRITTEN_ANSWER, release_notebook, source_notebook

WEAK_ANSWER = "A convolution has fewer parameters because it is smaller."


@dataclass(frozen=True)
class Student:
    student_id: str
    description: str
    solves: tuple[str, ...] = ()            # parts filled in with the instructor's solution
    edits: tuple[tuple[str, str, str], ...] = ()   # (part, text in the solution, replacement)
    rewrites: tuple[tuple[str, str], ...] = ()      # (part, the whole cell as this student wrote it)
    written_answer: str | None = None       # None: the instructor's answer if WRITTEN_ANSWER is solved
    written_score: float = 0.0              # what the demo's TA gives the written answer
    loses: tuple[str, ...] = ()             # the parts this submission is meant to lose points in
    whole_source: bool = False              # submit the instructor's source notebook itself


ALL = GRADED_PARTS


def _everything_but(*parts):
    return tuple(p for p in ALL if p not in parts)


FULL_SOLUTION = Student("full_solution", "every part solved", ALL, written_score=10)

SAMPLE_CLASS = (
    FULL_SOLUTION,
    Student("untouched_stub", "the release as handed out", loses=ALL),
    Student("first_half", "Parts A and B only, a weak written answer",
            ("conv2d_naive", "conv_output_size", "pad2d", WRITTEN_ANSWER), written_answer=WEAK_ANSWER,
            written_score=3, loses=_everything_but("conv2d_naive", "conv_output_size", "pad2d")),
    Student("layers_only", "Parts D to F on top of unsolved A to C: graded on their own, they still score",
            ("Conv2D", "max_pool2d", "avg_pool2d", "SimpleConvNet"),
            loses=("conv2d_naive", "conv_output_size", "pad2d", "conv2d", WRITTEN_ANSWER)),
    Student("flipped_kernel", "true convolution (kernel flipped) in conv2d_naive and conv2d", ALL,
            edits=(("conv2d_naive", "kernel[a, b]", "kernel[kH - 1 - a, kW - 1 - b]"),
                   ("conv2d", "window * weight[o]", "window * weight[o, :, ::-1, ::-1]")),
            written_score=10, loses=("conv2d_naive", "conv2d")),
    Student("off_by_one", "output-size formula without the +1", ALL,
            edits=(("conv_output_size", "2 * padding - kernel_size) // stride + 1", "2 * padding - kernel_size) // stride"),),
            written_score=10, loses=("conv_output_size",)),
    Student("ignores_stride", "conv2d slides the window one step at a time whatever the stride", ALL,
            edits=(("conv2d", "padded[n, :, i * sh:i * sh + kH, j * sw:j * sw + kW]", "padded[n, :, i:i + kH, j:j + kW]"),),
            written_score=10, loses=("conv2d",)),
    Student("avg_pool_sums", "avg_pool2d returns window sums (forgets to divide)", ALL,
            edits=(("avg_pool2d", "return total / (kH * kW)", "return total"),),
            written_score=10, loses=("avg_pool2d",)),
    Student("no_relu", "SimpleConvNet without its ReLU", ALL,
            edits=(("SimpleConvNet", "            ReLU(),\n", ""),),
            written_score=10, loses=("SimpleConvNet",)),
    Student("syntax_error", "a typo that stops the pad2d cell from running", ALL,
            edits=(("pad2d", "= x\n", "= x)\n"),), written_score=10, loses=("pad2d",)),
    Student("crashes", "conv2d calls itself forever (RecursionError)", ALL,
            edits=(("conv2d", "    x, weight = np.asarray(x), np.asarray(weight)\n",
                    "    return conv2d(x, weight, bias, stride, padding)\n"),),
            written_score=10, loses=("conv2d",)),
)

INSTRUCTOR_SOURCE = Student("instructor_source", "the instructor's source notebook, hidden tests included",
                            whole_source=True, written_score=10)


def _solved_source(source_cell, part, edits) -> str:
    code = notebook.without_markers(source_cell.source)
    for edited_part, old, new in edits:
        if edited_part == part:
            if code.count(old) != 1:
                raise ValueError(f"edit for {part} expects {old!r} exactly once in the solution")
            code = code.replace(old, new)
    return code


def submission(student: Student, course_dir: Path) -> nbformat.NotebookNode:
    """The notebook `student` hands in."""
    source = notebook.read(source_notebook(course_dir))
    if student.whole_source:
        return source
    nb = notebook.read(release_notebook(course_dir))
    rewrites = dict(student.rewrites)
    for part in student.solves:
        cell = notebook.cell_by_id(nb, part)
        cell.source = rewrites.get(part) or _solved_source(notebook.cell_by_id(source, part), part, student.edits)
        if part == WRITTEN_ANSWER and student.written_answer is not None:
            cell.source = student.written_answer
    return nb


def build(course_dir: Path, students=SAMPLE_CLASS) -> None:
    """Write each student's submission to submitted/<id>/cnn/, as nbgrader's collect step would."""
    for student in students:
        folder = Path(course_dir) / "submitted" / student.student_id / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission(student, course_dir), str(folder / f"{NOTEBOOK}.ipynb"))
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
