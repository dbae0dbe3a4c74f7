"""cnn_backprop's hidden speed rule for conv2d_fast: its limit grows with the machine's load and covers the
slowest hand-over of the arrays, so a right answer keeps its points on a loaded machine (a TA grading with many
jobs, or beside other work), where it lost them before (the instructor's solution: 120.7 ms, limit 116 ms)."""
import itertools
import multiprocessing
import os
import time
from contextlib import contextmanager

import pytest

from coursetools import assignments
from coursetools.grading import notebook

from conftest import REPO

BP = assignments.get("cnn_backprop")
SLOW_HANDOVER = 0.25  # seconds: one hand-over of the arrays that waited for a core


def burn():
    """Busy for 3 ms, then asleep for 1 ms, over and over: like a grading kernel, it wakes often."""
    while True:
        until = time.perf_counter() + 0.003
        while time.perf_counter() < until:
            pass
        time.sleep(0.001)


@contextmanager
def busy(processes: int):
    """`processes` processes that keep a core busy each, for as long as the block runs."""
    burners = [multiprocessing.Process(target=burn, daemon=True) for _ in range(processes)]
    for burner in burners:
        burner.start()
    time.sleep(0.5)
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.join()


@pytest.fixture
def grader():
    """The hidden `_grader` over the instructor's conv2d_fast, whose pipe (the echo it times, and the call) is a
    stand-in: each probe's three echoes take 0, SLOW_HANDOVER and 0 s, and each call of conv2d_fast waits
    SLOW_HANDOVER before it computes, as on a machine where a hand-over waited for a core once."""
    nb = notebook.read(BP.source_notebook(REPO))
    namespace = {}
    exec("import numpy as np", namespace)
    exec(notebook.hidden_code(notebook.cell_by_id(nb, "grader_setup").source), namespace)
    exec(notebook.cell_by_id(nb, "figure_helpers").source, namespace)
    exec(notebook.without_markers(notebook.cell_by_id(nb, "conv2d_fast").source), namespace)
    echo_delays, solution = itertools.cycle((0, SLOW_HANDOVER, 0)), namespace["conv2d_fast"]

    def echo(dout, shape, kernel_size):
        time.sleep(next(echo_delays))
        return dout

    def conv2d_fast(*args, **kwargs):
        time.sleep(SLOW_HANDOVER)
        return solution(*args, **kwargs)

    return namespace["_grader"].__class__({**namespace, "conv2d_fast": conv2d_fast, "avg_pool2d_backward": echo})


def test_the_slowest_hand_over_counts_in_the_limit(grader, capsys):
    grader.check_speed("conv2d_fast")
    assert capsys.readouterr().out.count("limit") == 4


def test_the_floor_grows_with_the_load(grader):
    quiet = grader.loop_seconds(100_000)
    with busy(4 * (os.cpu_count() or 1)):
        loaded = grader.loop_seconds(100_000)
    assert loaded > 1.5 * quiet, (quiet, loaded)
