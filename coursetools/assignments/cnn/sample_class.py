"""The sample class of assignment `cnn`: one student per kind of submission a TA meets (see sample.py)."""
from functools import partial

from coursetools.assignments import sample
from coursetools.assignments.cnn import ASSIGNMENT
from coursetools.assignments.sample import Student

WRITTEN_ANSWER = ASSIGNMENT.written_answer
WEAK_ANSWER = "A convolution has fewer parameters because it is smaller."


ALL = ASSIGNMENT.graded_parts


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


submission = partial(sample.submission, ASSIGNMENT)


def build(course_dir, students=SAMPLE_CLASS) -> None:
    sample.build(ASSIGNMENT, course_dir, students)
