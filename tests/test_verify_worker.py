"""The verifier's worker and references on small programs, without grading: bounds, real types, the program as
submitted, cells that stop the worker while it loads, builtins put back."""
import time
from pathlib import Path

import numpy as np
import pytest
from nbgrader.utils import is_grade

from coursetools.grading import notebook

from coursetools.verification import verify
from coursetools.verification.references import References
from coursetools.assignments.cnn import ASSIGNMENT as CNN
from coursetools.grading.sandbox import bubblewrap_works

REPO = Path(__file__).resolve().parents[1]
SOURCE = notebook.read(CNN.source_notebook(REPO))
SETUP = "\n".join(notebook.hidden_code(c.source) for c in SOURCE.cells
                  if is_grade(c) and not c.metadata.nbgrader.get("points"))
LIMITS = {"cell_timeout": 3, "notebook_seconds": 60, "memory_mb": 1024, "cpu_seconds": 60, "processes": 64,
          "file_mb": 16, "output_chars": 10_000}


def verdict(program: list, code: str):
    """What `code` gives when run as a grade cell against a worker that loaded `program` [(source, definitions only?)],
    and the session's load faults."""
    session = verify.Session(SETUP, program, LIMITS, bubblewrap_works(), verify.instructor_context(SOURCE))
    try:
        return session.run(code), session.load_faults
    finally:
        session.stop()


def test_a_reference_runs_under_the_limits_and_the_deadline():
    references = References(verify.Session(SETUP, [], LIMITS, False).grader.references, LIMITS)
    try:
        began = time.monotonic()
        slow = {"kind": "call", "name": "max_pool2d", "args": [np.zeros((1, 1, 1600, 1600)), 800, 1], "kwargs": {}}
        answer = references.answer(slow, time.monotonic() + 2)
        assert "ran longer than" in answer["error"]["message"] and time.monotonic() - began < 4
        big = {"kind": "call", "name": "pad2d", "args": [np.zeros((1, 1)), 12_000], "kwargs": {}}
        assert "needed more than 1024 MiB" in references.answer(big, time.monotonic() + 10)["error"]["message"]
        small = {"kind": "call", "name": "pad2d", "args": [np.ones((1, 1)), 1], "kwargs": {}}
        assert references.answer(small, time.monotonic() + 10)["ok"].shape == (3, 3)
    finally:
        references.stop()


def test_isinstance_asks_the_real_type_and_builtins_come_back():
    program = [("import builtins\nclass A:\n    pass\n\n\nclass B:\n    __class__ = property(lambda self: A)\n\n\n"
                "made = [A(), B()]\nbuiltins.len = lambda obj: 0\n\n\ndef length_of(x):\n    return len(x)\n", False)]
    result, _ = verdict(program, "a, b = made[0], made[1]\nassert isinstance(a, A) and not isinstance(b, A)\n"
                                 "assert length_of([1, 2]) == 2")
    assert result.error is None, result


SPINS = ("import numpy as np\n\n\ndef pad2d(x, p):\n    while True:\n        pass\n\n\n"
         "def conv_output_size(n, k, s=1, p=0):\n    return (pad2d(np.zeros((1, n)), p).shape[1] - k) // s + 1\n\n\n"
         "while True:\n    pass\n")
KERNEL_STOPS = [{"cell": 7, "line": 13, "function": None}, {"cell": 9, "line": 1, "function": "pad2d"}]


def test_what_timed_out_in_the_kernel_is_not_waited_for_again():
    """The program's top-level loop is not run again, pad2d fails at once, and conv_output_size, graded alone, is
    not held up in its run as submitted (which calls the student's own pad2d) either."""
    session = verify.Session(SETUP, [(SPINS, False)], LIMITS, bubblewrap_works(), verify.instructor_context(SOURCE))
    session.after_the_kernel(KERNEL_STOPS, [7])
    try:
        pad = session.run("pad2d(np.ones((2, 2)), 1)")
        assert pad.error == "VerificationFailed", pad
        assert "pad2d did not return when your notebook ran (it was stopped in cell 9" in pad.message, pad
        began = time.monotonic()
        size = session.run('_grader.grade_alone("conv_output_size")\nassert conv_output_size(5, 3) == 3')
        waited = time.monotonic() - began
        assert size.error is None, size
        assert session.worker.loaded["timed_out"] == [], "the top-level loop ran again"
        # Waiting for pad2d again, the run as submitted takes half of what the request has left: about 1.25 s here.
        assert waited < 0.6, f"the run as submitted waited {waited:.1f} s for pad2d again"
    finally:
        session.stop()


def test_parts_built_on_each_other_fail_in_the_program_as_submitted():
    program = [("import numpy as np\n\n\ndef conv_output_size(n, k, s=1, p=0):\n"
                "    return (pad2d(np.zeros((1, n)), p).shape[1] - k) // s + 1\n\n\n"
                "def pad2d(x, p):\n    return np.zeros((x.shape[0] + 2 * p, conv_output_size(x.shape[1], 1, 1, p)))\n",
                False)]
    result, _ = verdict(program, '_grader.grade_alone("pad2d")\npad2d(np.ones((2, 2)), 1)')
    assert result.error == "NeverReturns" and "pad2d and conv_output_size call each other" in result.message


@pytest.mark.parametrize("fatal, what", [("import os\nos._exit(1)", "stopped"),
                                         ("while True:\n    try:\n        while True:\n            pass\n"
                                          "    except BaseException:\n        pass", "hung")])
def test_a_cell_that_stops_the_worker_while_it_loads_is_left_out(fatal, what):
    program = [("def f():\n    return 1\n", False), ("def lost():\n    return 0\n\n\n" + fatal, False),
               ("def g():\n    return 2\n", False)]
    result, faults = verdict(program, "assert f() + g() == 3")
    assert result.error is None, result
    assert faults == (f"a cell (defining lost) {what} the re-verification worker while loading "
                      f"({'os._exit?' if what == 'stopped' else 'a loop that outlasts the time limit?'}): "
                      "graded without that cell",)
