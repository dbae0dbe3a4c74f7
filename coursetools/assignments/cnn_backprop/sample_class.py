"""The sample class of assignment `cnn_backprop`: one student per kind of submission a TA meets (see sample.py)."""
from functools import partial

from coursetools.assignments import sample
from coursetools.assignments.cnn_backprop import ASSIGNMENT
from coursetools.assignments.sample import Student

WRITTEN_ANSWER = ASSIGNMENT.written_answer
WEAK_ANSWER = "The gradient flows backwards through the network."
ALL = ASSIGNMENT.graded_parts


def _everything_but(*parts):
    return tuple(p for p in ALL if p not in parts)


FULL_SOLUTION = Student("full_solution", "every part solved", ALL, written_score=8)

SAMPLE_CLASS = (
    FULL_SOLUTION,
    Student("untouched_stub", "the release as handed out", loses=ALL),
    Student("gradients_only", "Parts A and B only, a weak written answer",
            ("numerical_gradient", "conv2d_backward", WRITTEN_ANSWER), written_answer=WEAK_ANSWER, written_score=2,
            loses=_everything_but("numerical_gradient", "conv2d_backward")),
    Student("overwrites_windows", "conv2d_backward assigns each window's dx instead of adding: overlaps are lost", ALL,
            edits=(("conv2d_backward", 'dpadded[:, :, rows, cols] += np.einsum', 'dpadded[:, :, rows, cols] = np.einsum'),),
            written_score=8, loses=("conv2d_backward",)),
    Student("every_tied_maximum", "max_pool2d_backward sends dout to every element equal to the maximum", ALL,
            edits=(("max_pool2d_backward",
                    "            a, b = np.divmod(window.argmax(axis=2), kW)          # the first maximum, in row-major order\n"
                    "            dx[n, c, i * sH + a, j * sW + b] += dout[:, :, i, j]\n",
                    "            block = x[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW]\n"
                    "            hit = block == block.max(axis=(2, 3), keepdims=True)\n"
                    "            dx[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW] += hit * dout[:, :, i, j, None, None]\n"),),
            written_score=8, loses=("max_pool2d_backward",)),
    Student("avg_pool_no_divide", "avg_pool2d_backward forgets to divide by the window size", ALL,
            edits=(("avg_pool2d_backward", "dout[:, :, i, j, None, None] / (kH * kW)", "dout[:, :, i, j, None, None]"),),
            written_score=8, loses=("avg_pool2d_backward",)),
    Student("not_divided_by_n", "softmax_cross_entropy's dlogits is not divided by the batch size", ALL,
            edits=(("softmax_cross_entropy", "return float(loss), dlogits / N", "return float(loss), dlogits"),),
            written_score=8, loses=("softmax_cross_entropy",)),
    Student("rebinds_parameters", "train writes p = p - lr * g: the network's arrays never change", ALL,
            edits=(("train", "                p -= lr * g\n", "                p = p - lr * g\n"),),
            written_score=8, loses=("train",)),
    Student("syntax_error", "a typo that stops the conv2d_fast cell from running", ALL,
            edits=(("conv2d_fast", "    out = np.zeros((N, F, H_out, W_out))\n", "    out = np.zeros((N, F, H_out, W_out)\n"),), written_score=8, loses=("conv2d_fast",)),
    Student("crashes", "numerical_gradient calls itself forever (RecursionError)", ALL,
            edits=(("numerical_gradient", "    x = np.asarray(x)\n", "    return numerical_gradient(f, x, h)\n"),),
            written_score=8, loses=("numerical_gradient",)),
)

submission = partial(sample.submission, ASSIGNMENT)


def build(course_dir, students=SAMPLE_CLASS) -> None:
    sample.build(ASSIGNMENT, course_dir, students)
