"""The graders' hidden reference agrees with SciPy and with cases worked by hand."""
import numpy as np
import pytest
from scipy.signal import correlate

from coursetools.grading import notebook
from coursetools.assignments.cnn import ASSIGNMENT as CNN

from conftest import REPO


@pytest.fixture(scope="module")
def grader():
    """The `_grader` object that the hidden setup cell defines, loaded from the source notebook."""
    namespace = {}
    setup = notebook.cell_by_id(notebook.read(CNN.source_notebook(REPO)), "grader_setup")
    exec(notebook.hidden_code(setup.source), namespace)
    return namespace["_grader"]


def scipy_conv2d(x, weight, bias, stride, padding):
    """conv2d built from scipy.signal.correlate: pad, correlate each (image, filter) pair, subsample."""
    (sh, sw), (ph, pw) = stride, padding
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.array([[correlate(image, filt, mode="valid")[0] for filt in weight] for image in padded])
    return out[:, :, ::sh, ::sw] + (0 if bias is None else bias[None, :, None, None])


def test_conv2d_hand_computed(grader):
    X = np.array([[1, 2, 0, 3], [4, 1, 1, 0], [0, 2, 5, 1], [3, 1, 0, 2]])
    K = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    assert np.array_equal(grader.conv2d_naive(X, K), [[2, 2], [-4, 2]])
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert np.array_equal(grader.conv2d(x, np.ones((1, 1, 2, 2)), np.array([0.5]), stride=2),
                          [[[[10.5, 18.5], [42.5, 50.5]]]])
    padded = grader.conv2d(x, np.ones((1, 1, 2, 2)), padding=1)
    assert padded.shape == (1, 1, 5, 5) and padded[0, 0, 0, 0] == 0 and padded[0, 0, 4, 4] == 15


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_agrees_with_scipy(grader, seed):
    rng = np.random.default_rng(seed)
    N, C, O = rng.integers(1, 4, size=3)
    kh, kw = rng.integers(1, 5, size=2)
    stride, padding = tuple(rng.integers(1, 4, size=2)), tuple(rng.integers(0, 3, size=2))
    x = rng.normal(size=(N, C, kh + rng.integers(0, 7), kw + rng.integers(0, 7)))
    w = rng.normal(size=(O, C, kh, kw))
    b = rng.normal(size=O) if seed % 2 else None
    np.testing.assert_allclose(grader.conv2d(x, w, b, stride, padding), scipy_conv2d(x, w, b, stride, padding),
                               rtol=1e-12, atol=1e-12)
    assert grader.conv_output_size(x.shape[2], kh, stride[0], padding[0]) == \
        scipy_conv2d(x, w, b, stride, padding).shape[2]


def test_pooling_hand_computed(grader):
    x = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 7, 5], [1, 1, 3, 9]], dtype=float)[None, None]
    assert np.array_equal(grader.max_pool2d(x, 2)[0, 0], [[6, 2], [2, 9]])
    assert np.array_equal(grader.avg_pool2d(x, 2)[0, 0], [[3.5, 1], [1, 6]])
    assert np.array_equal(grader.max_pool2d(x, 3, stride=1)[0, 0], [[7, 7], [7, 9]])
    assert grader.max_pool2d(np.ones((2, 3, 5, 7)), 2).shape == (2, 3, 2, 3)  # floor mode
    assert np.array_equal(grader.avg_pool2d(np.arange(6.0).reshape(1, 1, 2, 3), (1, 3)), [[[[1], [4]]]])


def test_pad2d_and_output_size(grader):
    assert np.array_equal(grader.pad2d(np.array([[1, 2], [3, 4]]), (1, 0)), [[0, 0], [1, 2], [3, 4], [0, 0]])
    assert grader.conv_output_size(7, 3, 2, 1) == 4
    for bad in [(3, 4, 1, 0), (7, 3, 0, 0), (7, 3, 1, -1)]:
        with pytest.raises(ValueError):
            grader.conv_output_size(*bad)


def test_every_catalogued_mistake_is_told_apart_from_the_reference(grader):
    """Each known mistake, on inputs like the hidden tests', gives something other than the reference."""
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 7, 8)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    square_filters = rng.normal(size=(3, 3, 3, 2))      # C_out == C_in, so a weight read as (in, out) still runs
    calls = {"conv2d_naive": [(x[0, 0], w[0, 0])], "conv_output_size": [(12, 3, 1, 2), (10, 3, 3, 0)],
             "pad2d": [(x, (1, 2))], "conv2d": [(x, w, b, (2, 1), (1, 0)), (x, square_filters, b[:3], 2, 1)],
             "max_pool2d": [(x, 2), (x, 3)], "avg_pool2d": [(x, 2), (x, (2, 3)), (x, 3)]}
    assert set(calls) == set(grader.mistakes)
    for part, mistakes in grader.mistakes.items():
        for label, mistake in mistakes.items():
            told_apart = []
            for args in calls[part]:
                try:
                    got = np.asarray(mistake(*args), dtype=float)
                except ValueError:
                    continue
                told_apart.append(not grader.close(got, np.asarray(grader.references[part](*args), dtype=float)))
            assert any(told_apart), f"{part}: '{label}' equals the reference on every input"
