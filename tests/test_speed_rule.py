"""cnn_backprop's hidden speed rule for conv2d_fast holds for a right answer on a machine with more busy processes
than cores (a TA grading with many jobs, or beside other work): its limit grows with the load it measures."""
import multiprocessing
import os
import time
from contextlib import contextmanager

import pytest

from coursetools import assignments
from coursetools.grading import notebook

from conftest import REPO

BP = assignments.get("cnn_backprop")


def burn():
    """Busy for 3 ms, then asleep for 1 ms, over and over: like a grading kernel, it wakes often and competes for
    the core with every other process that just woke (a pure busy loop yields to them)."""
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


def serve(connection, namespace):
    """Run the functions asked for on `connection` and send back what they return, as the re-verification's
    sandboxed worker does for the student's code."""
    while (request := connection.recv()) is not None:
        name, args = request
        connection.send(namespace[name](*args))


@pytest.fixture(scope="module")
def grader():
    """The hidden `_grader` whose conv2d_fast is the instructor's, run in another process through a pipe, and
    whose avg_pool2d_backward is an echo through that pipe (the speed rule times one to learn what moving the
    arrays costs)."""
    nb = notebook.read(BP.source_notebook(REPO))
    namespace = {}
    exec("import numpy as np", namespace)
    exec(notebook.hidden_code(notebook.cell_by_id(nb, "grader_setup").source), namespace)
    exec(notebook.cell_by_id(nb, "figure_helpers").source, namespace)
    exec(notebook.without_markers(notebook.cell_by_id(nb, "conv2d_fast").source), namespace)
    namespace["avg_pool2d_backward"] = lambda dout, shape, kernel_size: dout
    ours, theirs = multiprocessing.Pipe()
    worker = multiprocessing.Process(target=serve, args=(theirs, namespace), daemon=True)
    worker.start()

    def remote(name):
        def call(*args):
            ours.send((name, args))
            return ours.recv()
        return call

    yield namespace["_grader"].__class__({**namespace, "conv2d_fast": remote("conv2d_fast"),
                                          "avg_pool2d_backward": remote("avg_pool2d_backward")})
    ours.send(None)
    worker.join()


def test_a_vectorised_conv2d_fast_passes_the_speed_rule_with_three_busy_processes_per_core(grader, capsys):
    with busy(3 * (os.cpu_count() or 1)):
        grader.check_speed("conv2d_fast")
    limits = capsys.readouterr().out
    assert limits.count("limit") == 4, limits
