"""What the cnn_backprop notebook says about its data and its training is true: digits.npz is scikit-learn's
digits as make_digits.py writes them, and the instructor's solution, as graded in the sandbox, trains to the
accuracy the prose promises in the time it promises."""
import re

import numpy as np

from coursetools import assignments, cycle
from coursetools.assignments.cnn_backprop import make_digits

from conftest import REPO

BP = assignments.get("cnn_backprop")


def test_the_shipped_digits_are_what_the_script_makes_from_scikit_learn(tmp_path):
    make_digits.make(tmp_path / "digits.npz")
    made, shipped = np.load(tmp_path / "digits.npz"), np.load(REPO / "source" / "cnn_backprop" / "digits.npz")
    assert set(made.files) == set(shipped.files)
    for name in made.files:
        assert made[name].dtype == shipped[name].dtype and np.array_equal(made[name], shipped[name]), name
    assert shipped["x_train"].shape == (1437, 1, 8, 8) and shipped["x_test"].shape == (360, 1, 8, 8)
    per_digit = np.bincount(shipped["y_test"], minlength=10)  # stratified: every digit's share, 360 / 10 each
    assert per_digit.sum() == 360 and per_digit.min() >= 35 and per_digit.max() <= 37, per_digit
    assert 0 <= shipped["x_train"].min() and shipped["x_train"].max() <= 1


def test_the_solution_trains_to_95_percent_in_seconds_as_graded(graded_course):
    lines = cycle.headlines(graded_course[0], BP)
    assert lines, "the graded full solution printed no training line"
    found = re.search(r"trained in ([\d.]+) s: training accuracy ([\d.]+)%, test accuracy ([\d.]+)%", lines[0])
    seconds, test_accuracy = float(found.group(1)), float(found.group(3))
    assert test_accuracy >= 95, lines[0]
    assert seconds <= 30, lines[0]
