# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Backpropagation through a CNN, from scratch
#
# In the first assignment you built the forward pass of a small convolutional network. Here you make it learn.
# You compute the gradients of a convolution and of pooling by hand, check them against finite differences,
# make the convolution fast, and then train the network with stochastic gradient descent on real handwritten
# digits until it recognises more than 95% of digits it has never seen.
#
# **What you will be able to do afterwards**
# - apply the chain rule on a computational graph, one node at a time;
# - explain why the gradient of a convolution with respect to its input is a "full" convolution of the upstream
#   gradient with the flipped kernel, and derive it on a 1-D example;
# - check any gradient with a centred finite difference and read the relative error (1e-8 is right, 1e-3 is a bug);
# - vectorise a convolution by looping over the kernel instead of the image ("im2col"), and measure the speed-up;
# - write a training loop: mini-batches, a seeded shuffle, softmax cross-entropy, in-place SGD updates.
#
# | Part | What you write | Points | Time (estimate) |
# |---|---|---|---|
# | 1 | Reading: the chain rule on a graph | | 15 min |
# | A | `numerical_gradient`: centred differences | 12 | 25 min |
# | B | `conv2d_backward`: the gradients of a convolution | 25 | 60 min |
# | C | `max_pool2d_backward` and `avg_pool2d_backward` | 18 | 35 min |
# | D | `conv2d_fast`: a convolution without loops over positions | 13 | 35 min |
# | E | `softmax_cross_entropy`: a stable loss and its gradient | 12 | 25 min |
# | F | `train`: mini-batch SGD, and a written answer | 12 + 8 | 40 min |
# | 9–10 | Running and reading: train on digits, look inside the network | | 20 min |
# | | **Total** | **100** | **about 4 hours** |
#
# **How this notebook works** (as in the first assignment)
# - Write your code where it says `# YOUR CODE HERE` and delete the `raise NotImplementedError()` line. Keep the
#   function signatures as they are: the grader calls them.
# - Each part is followed by test cells. The visible tests are small examples you can check by hand, and between
#   them they try every rule that the hidden tests grade. When you submit, hidden tests also compare your code with a
#   reference and with numerical gradients on random inputs. Passing the visible tests is a good sign, not a guarantee.
# - Grading runs your notebook in a sandbox, then checks every test you passed a second time, calling your functions
#   from outside your notebook's kernel. A test counts only if it passes both times.
# - Each part is graded on its own: if your `conv2d_backward` has a bug, your `train` is still graded as if it were right.
# - `conv2d_backward` and the two pooling gradients must use explicit Python `for`-loops over the output positions
#   (the work of one position may be vectorised with NumPy), and no library convolution or windowing function;
#   `conv2d_fast` must not loop over the output positions at all. The `*_loops` test cells check that these parts
#   loop and use no library function; `test_conv2d_fast_speed` that `conv2d_fast` does not loop over the positions,
#   the images, the channels or the filters.
# - Make your functions run without warnings (a NumPy `RuntimeWarning`, say): the stability test of Part E fails a
#   `softmax_cross_entropy` that warns, and plain nbgrader scores any test cell that prints a warning 0.
# - Run the cells in order (*Kernel → Restart & Run All* is a good final check), and do not delete or copy the test cells.

# %%
import ast
import inspect
import textwrap
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

np.set_printoptions(precision=4, suppress=True)

# %% nbgrader={"grade": true, "grade_id": "grader_setup", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": false}
# Grader setup (0 points). When your notebook is graded, this cell loads the reference implementations
# that the hidden tests compare your code with. There is nothing for you to do here.
### BEGIN HIDDEN TESTS
import ast as _ast
import inspect as _inspect
import textwrap as _textwrap
import time as _time
import traceback as _traceback
import types as _types
import warnings as _warnings

import numpy as _np
from numpy.lib.stride_tricks import sliding_window_view as _windows


class _Grader:
    # The hidden tests' toolbox: an independent vectorised reference for every part (none of them loops over output
    # positions), the swap that grades each part on its own, failure messages that name the likely mistake, the
    # for-loop rule and conv2d_fast's speed rule.
    #
    # Known mistakes and the words of the hint each one gets (the tests compute what each mistake returns on the same
    # input and name the one that matches; a catalogue of wrong solutions relies on this wording: keep it stable).
    #   numerical_gradient
    #     one-sided difference ............ "a forward difference (f(x + h e_i) - f(x)) / h"
    #     divided by h .................... "the centred difference divided by h instead of 2h"
    #     whole array perturbed ........... "every entry perturbed at once"
    #     fixed step ...................... "it ignores h"
    #     +h, -2h, +h ..................... "x[i] + h - 2h + h is not always x[i], bit for bit"
    #     integer x kept .................. "convert x to a float64 copy first" (f got int64, or zeros returned)
    #     float32 x kept .................. "called f with a float32 array"
    #     result not float64 .............. "return a float64 array shaped like x"
    #   conv2d_backward (dx, then dweight, then dbias)
    #     dx assigned (=) ................. "it is missing the contributions of overlapping windows"
    #     dx with the flipped kernel ...... "it was computed with the flipped kernel" (also the unflipped gather form)
    #     dx windows at (i, j) ............ "it used windows that move one step at a time"
    #     dx not cropped .................. "dx has the padded input's shape" / "the gradient of the padded input"
    #     dx cropped [:H, :W] ............. "it was cropped at the wrong place"
    #     dweight from image 0 ............ "it was computed from the first image only"
    #     dweight assigned (=) ............ "it is missing the sum over output positions"
    #     dweight flipped ................. "computed with the flipped kernel's windows"
    #     dweight windows at (i, j) ....... "it used windows that move one step at a time"
    #     dweight from the unpadded x ..... "computed from the unpadded input's windows"
    #     dweight as (C, F, kH, kW) ....... "it has the weight's shape (F, C, kH, kW)"
    #     dbias mean / batch only ......... "the mean of dout" / "the sum over the batch only"
    #     dbias over axes (1, 2, 3) ....... "dout summed over the wrong axes"
    #     no checks ....................... "it should raise ValueError"
    #   max_pool2d_backward
    #     every tied maximum .............. "the gradient went to every element that ties for the maximum"
    #     last tied maximum ............... "the gradient went to the last of the tied maxima"
    #     assigned (=) .................... "it is missing the contributions of overlapping windows"
    #     spread like average pooling ..... "it was spread over the whole window like average pooling"
    #     copied to the whole window ...... "dout was copied to every element of the window"
    #     stride defaulting to 1 .......... "the stride defaults to 1; it should default to kernel_size"
    #     integer dx ...................... "it should be floats" (or NumPy's casting error, as the student's code raises)
    #   avg_pool2d_backward
    #     not divided / wrong count ....... "dout was not divided by the window's size" / "divided by the wrong count"
    #     assigned (=) .................... "it is missing the contributions of overlapping windows"
    #     stride defaulting to 1 / ignored  "the stride defaults to 1" / "the stride is ignored"
    #   conv2d_fast
    #     as conv2d in assignment 1 ....... "a true convolution (kernel flipped)", "the result without the bias",
    #                                       "the stride is ignored", "the padding pair is swapped", ...
    #     loops over positions / images / channels / filters
    #                                       "it looks like a Python loop over the output positions" (... "the images of
    #                                       the batch", "the input channels", "the filters")
    #     a library convolution ........... "this part may not use a library convolution" (the verifier's loop rule)
    #   softmax_cross_entropy
    #     dlogits not / N ................. "dlogits not divided by N"
    #     summed loss ..................... "it looks like the sum over the batch"
    #     log(p + eps), log(max(p, eps)) .. "it looks like the log of a clipped probability"
    #     no max shift, log(softmax) ...... "exp overflowed or log got 0" ... "instead of log(softmax)" (and, in the
    #                                       kernel, "warned: RuntimeWarning")
    #     sign flipped / axis 0 / no one-hot "with the sign flipped" / "the softmax taken over the batch" / "without the one-hot"
    #   train
    #     same order every epoch .......... "every epoch visited the samples in the same order" (a new generator per
    #                                       epoch, one permutation for all)
    #     rng.choice / two draws .......... "the order was drawn with rng.choice" / "rng was used more than once per epoch"
    #     np.random's global generator .... "np.random.permutation uses another generator"
    #     no shuffle ...................... "the batches are not shuffled"
    #     last batch dropped .............. "the last, smaller batch of each epoch is missing"
    #     epoch loss weighted / summed / last / first batch
    #                                       "weighted by batch size" / "the sum of its batch losses" / "its last batch's loss"
    #     labels not shuffled ............. "the labels were not shuffled with the images"
    #     p = p - lr * g .................. "the parameters never changed: they were rebound"
    #     p += lr * g ..................... "the parameters moved uphill"
    #     update before backward .......... "updated with the previous batch's gradients"

    # What a loop solution must not call: library convolutions and windowing tricks.
    LIBRARY_NAMES = {"convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve",
                     "sliding_window_view", "as_strided", "stride_tricks", "conv_general_dilated"}
    LIBRARY_MODULES = ("scipy", "torch", "tensorflow", "jax", "cv2", "skimage", "numpy.lib.stride_tricks",
                       "numpy.lib._stride_tricks_impl")
    # What conv2d_fast must not call: library convolutions (windowing tricks, einsum and tensordot are allowed).
    FAST_LIBRARY_NAMES = {"convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve",
                          "conv_general_dilated"}
    FAST_LIBRARY_MODULES = ("scipy", "torch", "tensorflow", "jax", "cv2", "skimage")

    def __init__(self, namespace):
        self.ns = namespace
        self.references = {
            "numerical_gradient": self.numerical_gradient, "conv2d_backward": self.conv2d_backward,
            "max_pool2d_backward": self.max_pool2d_backward, "avg_pool2d_backward": self.avg_pool2d_backward,
            "conv2d_fast": self.conv2d, "softmax_cross_entropy": self.softmax_cross_entropy,
        }

    # ----- reference implementations (vectorised, independent of the student's code) -----
    @staticmethod
    def pair(value):
        return (int(value), int(value)) if _np.ndim(value) == 0 else tuple(int(v) for v in value)

    @staticmethod
    def out_size(n, k, s, p):
        return (n + 2 * p - k) // s + 1

    def pad(self, x, padding):
        ph, pw = self.pair(padding)
        return _np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)])

    def conv2d(self, x, weight, bias=None, stride=1, padding=0):
        x, weight = _np.asarray(x, dtype=float), _np.asarray(weight, dtype=float)
        if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
            raise ValueError("expected x (N, C, H, W) and weight (F, C, kH, kW)")
        (sh, sw), (ph, pw) = self.pair(stride), self.pair(padding)
        if sh < 1 or sw < 1 or ph < 0 or pw < 0:
            raise ValueError("stride must be >= 1 and padding >= 0")
        padded = self.pad(x, (ph, pw))
        if weight.shape[2] > padded.shape[2] or weight.shape[3] > padded.shape[3]:
            raise ValueError("the kernel is larger than the padded input")
        windows = _windows(padded, weight.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
        out = _np.einsum("ncyxij,fcij->nfyx", windows, weight)
        if bias is not None:
            out = out + _np.asarray(bias, dtype=float)[None, :, None, None]
        return out

    def conv2d_backward(self, dout, x, weight, stride=1, padding=0):
        # dweight and dbias from the windows of the padded input; dx as the "full" convolution of the dilated dout
        # with the flipped kernel, cropped to the unpadded input (rows and columns no window covers stay 0).
        x, weight, dout = (_np.asarray(a, dtype=float) for a in (x, weight, dout))
        if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
            raise ValueError("expected x (N, C, H, W) and weight (F, C, kH, kW)")
        (sh, sw), (ph, pw) = self.pair(stride), self.pair(padding)
        N, C, H, W = x.shape
        F, _, kH, kW = weight.shape
        Ho, Wo = self.out_size(H, kH, sh, ph), self.out_size(W, kW, sw, pw)
        if Ho < 1 or Wo < 1 or dout.shape != (N, F, Ho, Wo):
            raise ValueError("dout must have shape (N, F, H_out, W_out)")
        padded = self.pad(x, (ph, pw))
        windows = _windows(padded, (kH, kW), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :Ho, :Wo]
        dweight = _np.einsum("nfyx,ncyxij->fcij", dout, windows)
        dbias = dout.sum(axis=(0, 2, 3))
        dilated = _np.zeros((N, F, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1))
        dilated[:, :, ::sh, ::sw] = dout
        full = _windows(self.pad(dilated, (kH - 1, kW - 1)), (kH, kW), axis=(2, 3))
        core = _np.einsum("nfyxij,fcij->ncyx", full, weight[:, :, ::-1, ::-1])
        dpadded = _np.zeros(padded.shape)
        dpadded[:, :, :core.shape[2], :core.shape[3]] = core
        return dpadded[:, :, ph:ph + H, pw:pw + W], dweight, dbias

    def _pool_windows(self, x, kernel_size, stride):
        (kH, kW), (sh, sw) = self.pair(kernel_size), self.pair(kernel_size if stride is None else stride)
        return _windows(_np.asarray(x), (kH, kW), axis=(2, 3))[:, :, ::sh, ::sw], (kH, kW), (sh, sw)

    def max_pool2d(self, x, kernel_size, stride=None):
        return self._pool_windows(x, kernel_size, stride)[0].max(axis=(-2, -1))

    def max_pool2d_backward(self, dout, x, kernel_size, stride=None, tie="first"):
        # np.add.at adds where windows overlap; argmax picks the first maximum in row-major order.
        x, dout = _np.asarray(x), _np.asarray(dout, dtype=float)
        windows, (kH, kW), (sh, sw) = self._pool_windows(x, kernel_size, stride)
        N, C, Ho, Wo = windows.shape[:4]
        flat = windows.reshape(N, C, Ho, Wo, kH * kW)
        dx = _np.zeros(x.shape)
        n, c, i, j = _np.indices((N, C, Ho, Wo))
        if tie == "all":
            hits = flat == flat.max(axis=-1, keepdims=True)
            for k in range(kH * kW):
                _np.add.at(dx, (n, c, i * sh + k // kW, j * sw + k % kW), _np.where(hits[..., k], dout, 0.0))
            return dx
        where = flat.argmax(axis=-1) if tie == "first" else kH * kW - 1 - flat[..., ::-1].argmax(axis=-1)
        _np.add.at(dx, (n, c, i * sh + where // kW, j * sw + where % kW), dout)
        return dx

    def avg_pool2d_backward(self, dout, x_shape, kernel_size, stride=None):
        dout = _np.asarray(dout, dtype=float)
        (kH, kW), (sh, sw) = self.pair(kernel_size), self.pair(kernel_size if stride is None else stride)
        Ho, Wo = dout.shape[2:]
        dx = _np.zeros(tuple(int(d) for d in x_shape))
        for a in range(kH):          # a loop over the kernel offsets: no output position is visited twice
            for b in range(kW):
                dx[:, :, a:a + sh * (Ho - 1) + 1:sh, b:b + sw * (Wo - 1) + 1:sw] += dout / (kH * kW)
        return dx

    def softmax_cross_entropy(self, logits, y):
        logits, y = _np.asarray(logits, dtype=float), _np.asarray(y)
        if logits.ndim != 2 or y.ndim != 1 or len(y) != len(logits):
            raise ValueError("expected logits (N, K) and y (N,)")
        if len(y) and (y.min() < 0 or y.max() >= logits.shape[1]):
            raise ValueError("labels must be in [0, K)")
        y = y.astype(int)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - _np.log(_np.exp(shifted).sum(axis=1, keepdims=True))
        N = len(y)
        loss = -log_probs[_np.arange(N), y].mean()
        dlogits = _np.exp(log_probs)
        dlogits[_np.arange(N), y] -= 1
        return float(loss), dlogits / N

    @staticmethod
    def numerical_gradient(f, x, h=1e-5):
        x = _np.array(x, dtype=_np.float64)
        grad = _np.zeros(x.shape)
        flat, out = x.reshape(-1), grad.reshape(-1)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + h
            plus = f(x)
            flat[k] = old - h
            minus = f(x)
            flat[k] = old
            out[k] = (plus - minus) / (2 * h)
        return grad

    # ----- grading each part on its own -----
    def grade_alone(self, part):
        # Until this cell ends, every other student part is replaced by its reference, so a bug in one
        # part costs only that part's points.
        others = {name: ref for name, ref in self.references.items() if name != part}
        saved = {name: self.ns[name] for name in others if name in self.ns}
        self.ns.update(others)
        shell = get_ipython()

        def restore(*_):
            for name in others:
                self.ns.pop(name, None)
            self.ns.update(saved)
            shell.events.unregister("post_run_cell", restore)

        shell.events.register("post_run_cell", restore)

    # ----- calling the student's code, and comparisons with messages a student can act on -----
    @staticmethod
    def describe(name, args, kwargs):
        show = lambda v: (f"array{v.shape} {v.dtype}" if isinstance(v, _np.ndarray) else
                          repr(v) if isinstance(v, (type(None), bool, int, float, str, tuple, list)) else
                          "f" if name == "numerical_gradient" else "net")
        return f"{name}({', '.join([show(a) for a in args] + [f'{k}={show(v)}' for k, v in kwargs.items()])})"

    @staticmethod
    def where(error):
        # The line of the student's own code where `error` was raised, if it came from a notebook cell.
        home = _Grader.where.__code__.co_filename
        frames = [f for f in _traceback.extract_tb(error.__traceback__)
                  if f.filename != home and ("ipykernel_" in f.filename or "<ipython-input" in f.filename)]
        return f" (in {frames[-1].name}: `{(frames[-1].line or '').strip()}`)" if frames else ""

    def call(self, part, args, kwargs=None, valid=True):
        # The student's `part` called on the grader's inputs; an exception becomes a message that says where.
        kwargs = kwargs or {}
        try:
            return self.ns[part](*args, **kwargs)
        except Exception as error:
            hint = " This input is valid." if valid else ""
            raise AssertionError(f"{self.describe(part, args, kwargs)} raised {type(error).__name__}: {error}"
                                 f"{self.where(error)}.{hint}") from None

    @staticmethod
    def close(got, want, rtol=1e-4):
        with _np.errstate(all="ignore"):
            return got.shape == want.shape and _np.allclose(got, want, rtol=rtol,
                                                            atol=1e-6 * max(1.0, _np.abs(want).max(initial=0)))

    def check(self, got, want, call, alternatives=None, floating=True, what="the result"):
        if not isinstance(got, _np.ndarray):
            raise AssertionError(f"{call}: {what} is a {type(got).__name__}; it should be a NumPy array")
        if floating and not _np.issubdtype(got.dtype, _np.floating):
            raise AssertionError(f"{call}: {what} has dtype {got.dtype}; it should be floats (an integer array "
                                 "truncates: create it with np.zeros(shape), which is float)")
        try:
            values = _np.array(got, dtype=float)
        except (TypeError, ValueError):
            raise AssertionError(f"{call}: {what} is an array of {got.dtype}, which is not numeric") from None
        if self.close(values, want):
            return
        for label, alternative in (alternatives or {}).items():
            if alternative is not None and self.close(values, _np.asarray(alternative, dtype=float)):
                raise AssertionError(f"{call} is wrong: {what} looks like {label}.")
        if values.shape != want.shape:
            raise AssertionError(f"{call}: {what} has shape {values.shape}, expected {want.shape}")
        with _np.errstate(all="ignore"):
            where = _np.unravel_index(_np.nanargmax(_np.where(_np.isnan(values), _np.inf, _np.abs(values - want))),
                                      want.shape)
        raise AssertionError(f"{call} is wrong: {what} at index {tuple(int(i) for i in where)} is {values[where]:.6g}, "
                             f"expected {want[where]:.6g}")

    @staticmethod
    def attempt(mistake, *args, **kwargs):
        # What a known mistake returns on these inputs (None if it cannot apply to them).
        try:
            with _np.errstate(all="ignore"):
                return mistake(*args, **kwargs)
        except (ValueError, IndexError, TypeError, ZeroDivisionError):
            return None

    def unchanged(self, call, before, after):
        for b, a in zip(before, after):
            if isinstance(b, _np.ndarray):
                assert _np.array_equal(b, a), f"{call} modified its input in place; write into new arrays"

    def expect_value_error(self, part, *args, **kwargs):
        call = self.describe(part, args, kwargs)
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore")
                self.ns[part](*args, **kwargs)
        except ValueError:
            return
        except Exception as error:
            raise AssertionError(f"{call} raised {type(error).__name__}: {error}; it should raise ValueError") from None
        raise AssertionError(f"{call} returned normally; it should raise ValueError")

    # ----- Part A: numerical_gradient -----
    def compare_numerical(self, x, h=None, probe_weights=None):
        probe = self.ns["Probe"](self.probe_weights(x) if probe_weights is None else probe_weights)
        kwargs = {} if h is None else {"h": h}
        call = self.describe("numerical_gradient", (probe, x), kwargs)
        before = _np.array(x, copy=True)
        got = self.call("numerical_gradient", (probe, x), kwargs)
        if isinstance(x, _np.ndarray):
            if not _np.array_equal(x, before, equal_nan=True):
                raise AssertionError(f"{call} changed x: save each entry's old value and write it back "
                                     "(x[i] = old): x[i] + h - 2h + h is not always x[i], bit for bit")
        dtypes = probe.dtypes
        assert len(dtypes) > 0, f"{call} never called f"
        assert all(d == "float64" for d in dtypes), \
            (f"{call} called f with a {sorted(set(dtypes) - {'float64'})[0]} array; convert x to a float64 copy first "
             "(np.array(x, dtype=np.float64)), so that f and the differences work in float64")
        assert isinstance(got, _np.ndarray) and got.dtype == _np.float64, \
            (f"{call} returned {type(got).__name__ if not isinstance(got, _np.ndarray) else got.dtype}; "
             "return a float64 array shaped like x")
        weights = self.probe_weights(x) if probe_weights is None else _np.asarray(probe_weights, dtype=float)
        value = lambda v: float(_np.sum(weights * _np.asarray(v, dtype=float) ** 3 + _np.sin(v)))
        step = 1e-5 if h is None else h
        want = self.numerical_gradient(value, x, step)
        xf = _np.asarray(x, dtype=float)
        mistakes = {
            "a forward difference (f(x + h e_i) - f(x)) / h: use the centred difference "
            "(f(x + h e_i) - f(x - h e_i)) / (2h)":
                self.attempt(lambda: _np.array([(value(xf + step * e) - value(xf)) / step
                                                for e in _np.eye(xf.size).reshape((xf.size,) + xf.shape)]).reshape(xf.shape)),
            "the centred difference divided by h instead of 2h": 2 * want,
            "every entry perturbed at once (f(x + h) - f(x - h)) / 2h: perturb one entry e_i at a time":
                _np.full(xf.shape, (value(xf + step) - value(xf - step)) / (2 * step)),
            "it ignores h: the differences must be taken with the step h it is given":
                self.numerical_gradient(value, x, 1e-5) if h is not None and h != 1e-5 else None,
        }
        if not _np.issubdtype(before.dtype, _np.floating):
            mistakes["zeros: for an integer x, x[i] + h is rounded back to x[i]; convert x to a float64 copy first"] = \
                _np.zeros(xf.shape)
        self.check(got, want, call, mistakes)

    @staticmethod
    def probe_weights(x):
        return _np.linspace(-1.5, 2.0, int(_np.size(x))).reshape(_np.shape(x))

    # ----- Part B: conv2d_backward -----
    def _conv_backward_mistakes(self, dout, x, weight, stride, padding):
        x, weight, dout = (_np.asarray(a, dtype=float) for a in (x, weight, dout))
        (sh, sw), (ph, pw) = self.pair(stride), self.pair(padding)
        N, C, H, W = x.shape
        F, _, kH, kW = weight.shape
        Ho, Wo = dout.shape[2:]
        padded = self.pad(x, (ph, pw))
        ref = lambda *a, **k: self.conv2d_backward(*a, **k)
        dx, dw, db = ref(dout, x, weight, stride, padding)

        def assigned():
            dpad = _np.zeros(padded.shape)
            for i in range(Ho):
                for j in range(Wo):
                    dpad[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW] = _np.einsum("nf,fcij->ncij", dout[:, :, i, j], weight)
            return dpad[:, :, ph:ph + H, pw:pw + W]

        def dpadded(flip=False, stride_one=False):
            w = weight[:, :, ::-1, ::-1] if flip else weight
            dpad = _np.zeros(padded.shape)
            for i in range(Ho):
                for j in range(Wo):
                    r, c = (i, j) if stride_one else (i * sh, j * sw)
                    dpad[:, :, r:r + kH, c:c + kW] += _np.einsum("nf,fcij->ncij", dout[:, :, i, j], w)
            return dpad

        def dweight_with(inputs, last_only=False, stride_one=False):
            total = _np.zeros(weight.shape)
            for i in range(Ho):
                for j in range(Wo):
                    r, c = (i, j) if stride_one else (i * sh, j * sw)
                    window = inputs[:, :, r:r + kH, c:c + kW]
                    if window.shape[2:] != (kH, kW):
                        return None
                    term = _np.einsum("nf,ncij->fcij", dout[:, :, i, j], window)
                    total = term if last_only else total + term
            return total

        dx_mistakes = {
            "it is missing the contributions of overlapping windows: add (+=) each window's gradient into dx "
            "instead of assigning it (=)": assigned() if (sh < kH or sw < kW) else None,
            "it was computed with the flipped kernel: the gradient of out[i, j] with respect to the window is the "
            "kernel as it is, weight[f] (the flip appears only when you write dx as one full convolution)":
                dpadded(flip=True)[:, :, ph:ph + H, pw:pw + W] if (kH > 1 or kW > 1) else None,
            "it used windows that move one step at a time: the window of output (i, j) starts at row i * sh, "
            "column j * sw of the padded input, as in the forward pass":
                dpadded(stride_one=True)[:, :, ph:ph + H, pw:pw + W] if (sh > 1 or sw > 1) else None,
            "the gradient of the padded input: crop the padding off, dx = dpadded[:, :, ph:ph + H, pw:pw + W]":
                dpadded() if (ph or pw) else None,
            "it was cropped at the wrong place: the input sits in the middle of the padded array, "
            "dx = dpadded[:, :, ph:ph + H, pw:pw + W], not dpadded[:, :, :H, :W]":
                dpadded()[:, :, :H, :W] if (ph or pw) else None,
        }
        dw_mistakes = {
            "it was computed from the first image only: sum dweight over the whole batch (the weight is shared by all N images)":
                (ref(dout[:1], x[:1], weight, stride, padding)[1] if N > 1 else None),
            "it is missing the sum over output positions: add (+=) every position's contribution to dweight":
                dweight_with(padded, last_only=True) if Ho * Wo > 1 else None,
            "it was computed with the flipped kernel's windows (dweight[..., ::-1, ::-1])":
                dw[..., ::-1, ::-1] if (kH > 1 or kW > 1) else None,
            "it used windows that move one step at a time: the window of output (i, j) starts at row i * sh, "
            "column j * sw, as in the forward pass": dweight_with(padded, stride_one=True) if (sh > 1 or sw > 1) else None,
            "it was computed from the unpadded input's windows: take the windows of the padded input, as the "
            "forward pass does": dweight_with(_np.pad(x, ((0, 0), (0, 0), (0, 2 * ph), (0, 2 * pw)))) if (ph or pw) else None,
        }
        db_mistakes = {
            "the mean of dout: dbias is the sum over the batch and every output position": db / (N * Ho * Wo),
            "the sum over the batch only (the sum over output positions is missing)": dout.sum(axis=0)[:, 0, 0],
            "dout summed over the wrong axes: dbias[f] = dout[:, f].sum(), so sum over axes (0, 2, 3)":
                dout.sum(axis=(1, 2, 3))[:F] if N >= F else None,
        }
        return dx_mistakes, dw_mistakes, db_mistakes

    def compare_backward(self, dout, x, weight, stride=1, padding=0):
        args, kwargs = (dout, x, weight), dict(stride=stride, padding=padding)
        call = self.describe("conv2d_backward", args, kwargs)
        before = [a.copy() for a in args]
        got = self.call("conv2d_backward", args, kwargs)
        self.unchanged(call, before, args)
        assert isinstance(got, (tuple, list)) and len(got) == 3, \
            f"{call} returned {type(got).__name__}; it should return the tuple (dx, dweight, dbias)"
        want = self.conv2d_backward(*args, **kwargs)
        mistakes = self._conv_backward_mistakes(*args, stride, padding)
        x_shape, w_shape = _np.shape(x), _np.shape(weight)
        if isinstance(got[0], _np.ndarray) and got[0].shape == x_shape[:2] + tuple(
                s + 2 * p for s, p in zip(x_shape[2:], self.pair(padding))) and self.pair(padding) != (0, 0):
            raise AssertionError(f"{call}: dx has the padded input's shape {got[0].shape}; return the gradient of the "
                                 f"unpadded x, shape {x_shape}: crop it, dx = dpadded[:, :, ph:ph + H, pw:pw + W]")
        if isinstance(got[1], _np.ndarray) and got[1].shape == (w_shape[1], w_shape[0]) + w_shape[2:] and w_shape[0] != w_shape[1]:
            raise AssertionError(f"{call}: dweight has shape {got[1].shape}; it has the weight's shape (F, C, kH, kW) "
                                 f"= {w_shape}: contract dout (N, F) with the window (N, C, kH, kW) over the batch axis")
        N, F = x_shape[0], w_shape[0]
        if isinstance(got[2], _np.ndarray) and got[2].shape == (N,) and N != F:
            raise AssertionError(f"{call}: dbias has shape {got[2].shape}, one value per image: dout summed over the "
                                 "wrong axes: dbias[f] = dout[:, f].sum(), so sum over axes (0, 2, 3)")
        self.check(got[0], want[0], call, mistakes[0], what="dx")
        self.check(got[1], want[1], call, mistakes[1], what="dweight")
        self.check(got[2], want[2], call, mistakes[2], what="dbias")

    # ----- Part C: pooling -----
    def compare_max_backward(self, dout, x, kernel_size, stride=None):
        args, kwargs = (dout, x, kernel_size), dict(stride=stride)
        call = self.describe("max_pool2d_backward", args, kwargs)
        before = [a.copy() for a in args if isinstance(a, _np.ndarray)]
        got = self.call_pool("max_pool2d_backward", args, kwargs, self.max_pool2d_backward)
        self.unchanged(call, before, [a for a in args if isinstance(a, _np.ndarray)])
        want = self.max_pool2d_backward(*args, **kwargs)
        (kH, kW), (sh, sw) = self.pair(kernel_size), self.pair(kernel_size if stride is None else stride)
        avg = self.attempt(self.avg_pool2d_backward, dout, _np.shape(x), kernel_size, stride)
        mistakes = {
            "the gradient went to every element that ties for the maximum: send it to the first of them in "
            "row-major order only (np.argmax of the flattened window does that)":
                self.max_pool2d_backward(*args, **kwargs, tie="all"),
            "the gradient went to the last of the tied maxima: PyTorch sends it to the first one in row-major "
            "order (np.argmax of the flattened window; a loop that keeps updating on >= picks the last)":
                self.max_pool2d_backward(*args, **kwargs, tie="last"),
            "it is missing the contributions of overlapping windows: add (+=) into dx instead of assigning (=)":
                self.attempt(self._max_assigned, dout, x, kernel_size, stride) if (sh < kH or sw < kW) else None,
            "it was spread over the whole window like average pooling: max pooling sends dout to the maximum only":
                avg,
            "dout was copied to every element of the window: max pooling sends dout to the maximum only":
                avg * kH * kW if avg is not None else None,
            "the stride defaults to 1; it should default to kernel_size": (
                self.attempt(self._max_assigned, dout, x, kernel_size, 1, add=True) if stride is None else None),
        }
        self.check(got, want, call, mistakes, what="dx")

    def call_pool(self, part, args, kwargs, reference):
        # The student's pooling gradient; if it fails with stride=None but gives the right dx when the stride is
        # passed as kernel_size, its default stride is wrong.
        try:
            return self.call(part, args, kwargs)
        except AssertionError as failure:
            if kwargs.get("stride") is None:
                try:
                    with _warnings.catch_warnings():
                        _warnings.simplefilter("ignore")
                        explicit = self.ns[part](*args, stride=args[2])
                    right = self.close(_np.asarray(explicit, dtype=float), reference(*args))
                except Exception:
                    right = False
                if right:
                    raise AssertionError(f"{failure} It works with stride=kernel_size given: the stride defaults to 1; "
                                         "it should default to kernel_size") from None
            raise

    def _max_assigned(self, dout, x, kernel_size, stride, add=False):
        x, dout = _np.asarray(x), _np.asarray(dout, dtype=float)
        (kH, kW), (sh, sw) = self.pair(kernel_size), self.pair(kernel_size if stride is None else stride)
        dx = _np.zeros(x.shape)
        N, C, Ho, Wo = dout.shape
        for i in range(Ho):
            for j in range(Wo):
                window = x[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW].reshape(N, C, -1)
                k = window.argmax(axis=-1)
                n, c = _np.indices((N, C))
                if add:
                    dx[n, c, i * sh + k // kW, j * sw + k % kW] += dout[:, :, i, j]
                else:
                    dx[n, c, i * sh + k // kW, j * sw + k % kW] = dout[:, :, i, j]
        return dx

    def compare_avg_backward(self, dout, x_shape, kernel_size, stride=None):
        args, kwargs = (dout, x_shape, kernel_size), dict(stride=stride)
        call = self.describe("avg_pool2d_backward", args, kwargs)
        before = dout.copy()
        got = self.call_pool("avg_pool2d_backward", args, kwargs, self.avg_pool2d_backward)
        self.unchanged(call, [before], [dout])
        want = self.avg_pool2d_backward(*args, **kwargs)
        (kH, kW), (sh, sw) = self.pair(kernel_size), self.pair(kernel_size if stride is None else stride)
        mistakes = {
            "dout was not divided by the window's size: each of its kH * kW elements gets dout / (kH * kW)":
                want * kH * kW,
            "dout was divided by the wrong count: a (kH, kW) window has kH * kW elements": want * kW / kH if kH != kW else None,
            "it is missing the contributions of overlapping windows: add (+=) into dx instead of assigning (=)":
                self._avg_assigned(dout, x_shape, kernel_size, stride) if (sh < kH or sw < kW) else None,
            "the stride defaults to 1; it should default to kernel_size": (
                self.attempt(self.avg_pool2d_backward, dout, x_shape, kernel_size, 1) if stride is None else None),
            "the stride is ignored: the window of output (i, j) starts at row i * sH, column j * sW":
                self._avg_assigned(dout, x_shape, kernel_size, kernel_size, add=True)
                if stride is not None and (sh, sw) != (kH, kW) else None,
        }
        self.check(got, want, call, mistakes, what="dx")

    def _avg_assigned(self, dout, x_shape, kernel_size, stride, add=False):
        (kH, kW), (sh, sw) = self.pair(kernel_size), self.pair(kernel_size if stride is None else stride)
        dx = _np.zeros(x_shape)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                if add:
                    dx[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW] += dout[:, :, i, j, None, None] / (kH * kW)
                else:
                    dx[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW] = dout[:, :, i, j, None, None] / (kH * kW)
        return dx

    # ----- Part D: conv2d_fast -----
    def compare_fast(self, x, weight, bias=None, stride=1, padding=0):
        args, kwargs = (x, weight, bias), dict(stride=stride, padding=padding)
        call = self.describe("conv2d_fast", args, kwargs)
        before = [a.copy() for a in args if isinstance(a, _np.ndarray)]
        got = self.call("conv2d_fast", args, kwargs)
        self.unchanged(call, before, [a for a in args if isinstance(a, _np.ndarray)])
        conv = lambda *a, **k: self.attempt(self.conv2d, *a, **k)
        w = _np.asarray(weight)
        no_bias = _np.zeros(len(w)) if bias is None else _np.asarray(bias, dtype=float)
        s, p = self.pair(stride), self.pair(padding)
        mistakes = {
            "a true convolution (kernel flipped); use the kernel as it is": conv(x, w[..., ::-1, ::-1], bias, stride, padding),
            "the result without the bias: add bias[f] to every position of output channel f":
                conv(x, w, None, stride, padding) if bias is not None else None,
            "every output channel got the same bias: output channel f gets bias[f]":
                (conv(x, w, None, stride, padding) + no_bias[0]) if bias is not None else None,
            "the stride is ignored: take every sh-th row and sw-th column of the windows":
                conv(x, w, bias, 1, padding) if s != (1, 1) else None,
            "the padding is ignored: zero-pad the input first": conv(x, w, bias, stride, 0) if p != (0, 0) else None,
            "the stride pair is swapped: stride = (sh, sw)": conv(x, w, bias, s[::-1], padding) if s[0] != s[1] else None,
            "the padding pair is swapped: padding = (ph, pw)": conv(x, w, bias, stride, p[::-1]) if p[0] != p[1] else None,
            "the result with only the first input channel: sum over all input channels":
                conv(_np.asarray(x)[:, :1], w[:, :1], bias, stride, padding) if w.shape[1] > 1 else None,
        }
        self.check(got, self.conv2d(*args, **kwargs), call, mistakes)

    def check_speed(self, part, limit_factor=20, floor=0.1):
        # conv2d_fast against the reference on inputs with one large axis each: a Python loop over that axis
        # runs 100,000 or more times, a loop over the kernel offsets runs once (a 1x1 kernel). The limit is 20
        # times the reference's best of 3 runs, never below the floor, plus twice what moving the same arrays
        # costs here: the re-verification calls the student's code through a pipe (a few MB each way), which costs
        # 10-20 ms on a quiet machine and 0.1-0.3 s on a loaded one, where every hand-over between the two
        # processes waits for the other to get a core. That cost is measured on the spot with an echo: the
        # (reference) avg_pool2d_backward with a 1x1 window, which hands back an array as large as the one it
        # gets, through the same pipe; the slowest of 3 echoes counts. The floor is 0.1 s, or half of what
        # 100,000 turns of a loop with one small NumPy operation each cost here and now (timed on 10,000 turns,
        # long enough to feel the load), whichever is more: on a machine with more busy processes than cores
        # every loop slows down, so the limit grows with the load and stays well under the cheapest loop.
        # Measured 2026-12-02/03 on the course's 2-core machine: the reference takes 0.2-0.6 ms per probe; the
        # cheapest loops, vectorised over everything else, 0.44 s (channels, filters) to 0.53 s (images), a loop
        # over the output positions 1.1 s; 100,000 turns of the timed loop 0.1-0.15 s.
        rng = _np.random.default_rng(0)
        probes = [("the output positions", (1, 1, 400, 400), (1, 1, 1, 1)),
                  ("the images of the batch", (100_000, 1, 1, 1), (1, 1, 1, 1)),
                  ("the input channels", (1, 100_000, 1, 1), (1, 100_000, 1, 1)),
                  ("the filters", (1, 1, 1, 1), (100_000, 1, 1, 1))]
        floor = max(floor, self.loop_seconds(100_000) / 2)
        for what, x_shape, w_shape in probes:
            x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
            reference, moving = [], []
            for _ in range(3):
                start = _time.perf_counter()
                want = self.conv2d(x, w)
                reference.append(_time.perf_counter() - start)
                biggest = x if x.size >= w.size else w
                start = _time.perf_counter()
                self.ns["avg_pool2d_backward"](biggest, biggest.shape, 1)
                moving.append(_time.perf_counter() - start)
            limit = max(limit_factor * min(reference), floor) + 2 * max(moving)
            best = _np.inf
            for _ in range(3):
                start = _time.perf_counter()
                got = self.call(part, (x, w))
                best = min(best, _time.perf_counter() - start)
                if best <= limit or best > 5 * limit:
                    break   # fast enough, or so slow that another try cannot help
            self.check(got, want, self.describe(part, (x, w), {}))
            print(f"{part} on x {x_shape}, weight {w_shape}: {best * 1e3:.1f} ms (limit {limit * 1e3:.0f} ms)")
            assert best <= limit, \
                (f"{part} took {best:.2f} s on x {x_shape} with weight {w_shape}, the reference {min(reference) * 1e3:.1f} ms: "
                 f"it looks like a Python loop over {what}. Loop only over the kernel offsets (kH * kW iterations, here 1) "
                 "and let NumPy work on all positions, images, channels and filters at once")

    @staticmethod
    def loop_seconds(turns, timed=10_000):
        # What `turns` turns of a Python loop with one small NumPy operation each cost on this machine now: the
        # best of 3 runs of `timed` turns, scaled up.
        a, b = _np.zeros(timed), _np.ones(timed)
        best = _np.inf
        for _ in range(3):
            start = _time.perf_counter()
            for i in range(timed):
                a[i:i + 1] += b[i:i + 1] * b[0]
            best = min(best, _time.perf_counter() - start)
        return best * turns / timed

    # ----- Part E: softmax_cross_entropy -----
    def compare_softmax(self, logits, y):
        call = self.describe("softmax_cross_entropy", (logits, y), {})
        before = [logits.copy(), y.copy()]
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            got = self.call("softmax_cross_entropy", (logits, y))
        self.unchanged(call, before, [logits, y])
        if caught:
            raise AssertionError(f"{call} warned: {caught[0].category.__name__}: {caught[0].message}. Subtract each "
                                 "row's maximum before exp, and compute log-softmax as shifted - log(sum(exp(shifted))) "
                                 "instead of log(softmax)")
        assert isinstance(got, (tuple, list)) and len(got) == 2, \
            f"{call} returned {type(got).__name__}; it should return the pair (loss, dlogits)"
        loss, dlogits = got
        want_loss, want_d = self.softmax_cross_entropy(logits, y)
        assert _np.ndim(loss) == 0 and isinstance(loss, (float, int, _np.floating, _np.integer)) or \
               (isinstance(loss, _np.ndarray) and loss.shape == ()), \
            f"{call}: the loss is {type(loss).__name__} {_np.shape(loss)}; it should be one float (the mean over the batch)"
        loss = float(loss)
        N, K = logits.shape
        shifted = logits - logits.max(axis=1, keepdims=True)
        with _np.errstate(all="ignore"):
            probs = _np.exp(shifted) / _np.exp(shifted).sum(axis=1, keepdims=True)
            clipped = [-_np.log(_np.clip(probs[_np.arange(N), y], eps, 1)).mean() for eps in (1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15, 1e-16, 1e-300)] + \
                      [-_np.log(probs[_np.arange(N), y] + eps).mean() for eps in (1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15, 1e-16)]
        if not _np.isfinite(loss):
            raise AssertionError(f"{call}: the loss is {loss}; exp overflowed or log got 0. Subtract each row's maximum "
                                 "before exp, and compute log-softmax as shifted - log(sum(exp(shifted))) instead of "
                                 "log(softmax)")
        if abs(loss - want_loss) > 1e-6 * max(1.0, abs(want_loss)):
            if any(abs(loss - c) <= 1e-6 * max(1.0, abs(c)) for c in clipped) and abs(want_loss) > 20:
                raise AssertionError(f"{call}: the loss is {loss:.6g}, expected {want_loss:.6g}: it looks like the log of a "
                                     "clipped probability, log(p + eps) or log(max(p, eps)), which caps every term near "
                                     "-log(eps). Compute the log-softmax exactly: shifted - log(sum(exp(shifted)))")
            if abs(loss - N * want_loss) <= 1e-6 * max(1.0, abs(N * want_loss)):
                raise AssertionError(f"{call}: the loss is {loss:.6g}, expected {want_loss:.6g}: it looks like the sum "
                                     "over the batch; the loss is the mean over the batch")
            raise AssertionError(f"{call}: the loss is {loss:.6g}, expected {want_loss:.6g}")
        onehot = _np.eye(K)[y]
        mistakes = {"dlogits not divided by N: the loss is a mean, so dlogits = (softmax - onehot) / N": want_d * N,
                    "dlogits with the sign flipped: it is (softmax - onehot) / N": -want_d,
                    "the softmax taken over the batch (axis 0): normalise each row, over the classes (axis 1)":
                        self.attempt(lambda: (_np.exp(logits - logits.max(0)) / _np.exp(logits - logits.max(0)).sum(0) - onehot) / N),
                    "softmax(logits) / N without the one-hot: subtract 1 at each row's label": probs / N}
        self.check(dlogits, want_d, call, mistakes, what="dlogits")

    # ----- Part F: train -----
    @staticmethod
    def linear_steps(W, b, x, y, orders, lr, batch_size, labels="shuffled", sign=-1, previous=False):
        # Mini-batch SGD on the linear classifier logits = x @ W + b, the batches taken in `orders` (one index array
        # per epoch). Returns (batch losses per epoch, parameters before every step, final parameters).
        W, b = _np.array(W, dtype=float), _np.array(b, dtype=float)
        x, y = _np.asarray(x, dtype=float), _np.asarray(y)
        losses, snapshots, last = [], [], None
        step = 0
        for order in orders:
            epoch = []
            for i in range(0, len(order), batch_size):
                idx = order[i:i + batch_size]
                xb = x[idx]
                yb = y[idx] if labels == "shuffled" else y[i:i + batch_size]
                snapshots.append([W.copy(), b.copy()])
                logits = xb @ W + b
                shifted = logits - logits.max(axis=1, keepdims=True)
                log_probs = shifted - _np.log(_np.exp(shifted).sum(axis=1, keepdims=True))
                epoch.append(float(-log_probs[_np.arange(len(yb)), yb].mean()))
                d = _np.exp(log_probs)
                d[_np.arange(len(yb)), yb] -= 1
                d /= len(yb)
                grads = [xb.T @ d, d.sum(axis=0)]
                use = last if previous else grads
                if use is not None:
                    W += sign * lr * use[0]
                    b += sign * lr * use[1]
                last = grads
                step += 1
            losses.append(epoch)
        return losses, snapshots, [W, b]

    @staticmethod
    def epoch_orders(N, epochs, seed, how="right"):
        if how == "right":
            rng = _np.random.default_rng(seed)
            return [rng.permutation(N) for _ in range(epochs)]
        if how == "same":
            return [_np.random.default_rng(seed).permutation(N) for _ in range(epochs)]
        if how == "choice":
            rng = _np.random.default_rng(seed)
            return [rng.choice(N, N, replace=False) for _ in range(epochs)]
        if how == "twice":
            rng = _np.random.default_rng(seed)
            return [(rng.permutation(N), rng.permutation(N))[1] for _ in range(epochs)]
        if how == "none":
            return [_np.arange(N) for _ in range(epochs)]
        raise ValueError(how)

    def check_train(self, N=10, features=4, classes=3, epochs=3, lr=0.5, batch_size=4, seed=7, data_seed=0):
        # train on LoggingNet(Dense): the batches it saw, the losses it returned and the parameters before every
        # step, against a simulation of the same SGD on the same linear classifier.
        rng = _np.random.default_rng(data_seed)
        x = rng.normal(size=(N, features))
        x[:, 0] = _np.arange(N)                                   # feature 0 names the sample: the batches can be read
        y = rng.integers(0, classes, size=N)
        net = self.ns["LoggingNet"](self.ns["Dense"](features, classes, seed=seed + 1))
        W0, b0 = (_np.array(p, dtype=float) for p in net.parameters())
        call = f"train(net, x {x.shape}, y {y.shape}, epochs={epochs}, lr={lr}, batch_size={batch_size}, seed={seed})"
        losses = self.call("train", (net, x, y, epochs, lr), dict(batch_size=batch_size, seed=seed))
        batches = [list(_np.asarray(b)[:, 0].round().astype(int)) for b in net.batches]
        steps_per_epoch = -(-N // batch_size)
        steps = epochs * steps_per_epoch
        # The batch order.
        def batches_of(orders, drop_last=False):
            out = []
            for order in orders:
                for i in range(0, N, batch_size):
                    if drop_last and i + batch_size > N:
                        continue
                    out.append(list(order[i:i + batch_size]))
            return out
        right = batches_of(self.epoch_orders(N, epochs, seed))
        seen = batches[:steps]
        if seen != right:
            dropped = batches_of(self.epoch_orders(N, epochs, seed), drop_last=True)
            if N % batch_size and batches[:len(dropped)] == dropped:
                raise AssertionError(f"{call}: the last, smaller batch of each epoch is missing; visit i = 0, batch_size, "
                                     "2 * batch_size, ... while i < N and keep the last batch even if it is smaller")
            for how, hint in [("same", "every epoch visited the samples in the same order: create rng = "
                                       "np.random.default_rng(seed) once, before the first epoch, and draw a new "
                                       "order = rng.permutation(N) from it at the start of every epoch (not a new "
                                       "generator per epoch, not one permutation for all epochs)"),
                              ("choice", "the order was drawn with rng.choice: draw it with order = rng.permutation(N)"),
                              ("twice", "rng was used more than once per epoch: draw exactly one rng.permutation(N) "
                                        "per epoch and nothing else from rng"),
                              ("none", "the batches are not shuffled: visit order = rng.permutation(N) in slices "
                                       "order[i:i + batch_size]")]:
                if seen == batches_of(self.epoch_orders(N, epochs, seed, how)):
                    raise AssertionError(f"{call}: {hint}")
            if len(batches) < steps:
                raise AssertionError(f"{call}: net.forward was called {len(batches)} times, expected {steps} "
                                     f"({epochs} epochs of ceil(N / batch_size) = {steps_per_epoch} batches)")
            raise AssertionError(f"{call}: the batches are not those of order = rng.permutation(N) with one "
                                 "rng = np.random.default_rng(seed) for the whole call (np.random.permutation uses "
                                 f"another generator): expected {right[:steps_per_epoch]} in the first epoch, got "
                                 f"{seen[:steps_per_epoch]}")
        # The losses.
        assert isinstance(losses, (list, tuple)) and len(losses) == epochs, \
            f"{call} returned {losses!r}; it should return a list of {epochs} floats, one per epoch"
        try:
            losses = [float(v) for v in losses]
        except (TypeError, ValueError):
            raise AssertionError(f"{call} returned {losses!r}: each epoch's loss should be one float") from None
        orders = self.epoch_orders(N, epochs, seed)
        batch_losses, snapshots, final = self.linear_steps(W0, b0, x, y, orders, lr, batch_size)
        want = [float(_np.mean(e)) for e in batch_losses]
        if not _np.allclose(losses, want, rtol=1e-6, atol=1e-9):
            sizes = [len(o[i:i + batch_size]) for o in orders[:1] for i in range(0, N, batch_size)]
            unshuffled = self.linear_steps(W0, b0, x, y, orders, lr, batch_size, labels="in order")[0]
            alternatives = {
                "each epoch's loss is weighted by batch size; it should be the plain mean of the epoch's batch losses "
                "(every batch counts once, the smaller last batch included)":
                    [float(_np.dot(e, sizes) / N) for e in batch_losses],
                "each epoch's loss is the sum of its batch losses; it should be their mean": [float(_np.sum(e)) for e in batch_losses],
                "each epoch's loss is its last batch's loss; it should be the mean of all its batch losses":
                    [e[-1] for e in batch_losses],
                "each epoch's loss is its first batch's loss; it should be the mean of all its batch losses":
                    [e[0] for e in batch_losses],
                "the labels were not shuffled with the images: take xb, yb = x[idx], y[idx] with the same idx":
                    [float(_np.mean(e)) for e in unshuffled],
                "the parameters moved uphill: update p -= lr * g":
                    [float(_np.mean(e)) for e in self.linear_steps(W0, b0, x, y, orders, lr, batch_size, sign=1)[0]],
                "the parameters were updated with the previous batch's gradients: call net.backward(dlogits) "
                "before the update, then update every parameter with net.gradients()":
                    [float(_np.mean(e)) for e in self.linear_steps(W0, b0, x, y, orders, lr, batch_size, previous=True)[0]],
                "the parameters never changed: they were rebound (p = p - lr * g makes a new array that the network "
                "never sees); update them in place, p -= lr * g":
                    [float(_np.mean(e)) for e in self.linear_steps(W0, b0, x, y, orders, 0.0, batch_size)[0]],
            }
            for hint, alternative in alternatives.items():
                if _np.allclose(losses, alternative, rtol=1e-6, atol=1e-9):
                    raise AssertionError(f"{call} returned the losses {[round(v, 6) for v in losses]}: {hint}")
            raise AssertionError(f"{call} returned the losses {[round(v, 6) for v in losses]}, expected "
                                 f"{[round(v, 6) for v in want]}: each should be the mean of that epoch's batch losses "
                                 "from softmax_cross_entropy(net.forward(xb), yb)")
        # The parameters: before every step, and at the end (the log of this call: a second call of train on the same
        # net, if any, starts from where this one ended).
        logged = [[_np.asarray(p, dtype=float) for p in snap] for snap in net.snapshots]
        after = logged[steps] if len(logged) > steps else [_np.asarray(p, dtype=float) for p in net.parameters()]
        for k, (got, expected) in enumerate(zip(logged[:steps] + [after], snapshots + [final])):
            if not all(_np.allclose(g, e, rtol=1e-6, atol=1e-9) for g, e in zip(got, expected)):
                if all(_np.array_equal(g, e) for g, e in zip(got, [W0, b0])):
                    raise AssertionError(f"{call}: the parameters never changed: they were rebound (p = p - lr * g makes "
                                         "a new array that the network never sees); update them in place, p -= lr * g")
                raise AssertionError(f"{call}: the parameters after {k} steps differ from p -= lr * g with the gradients of "
                                     "each batch (net.backward(dlogits), then zip(net.parameters(), net.gradients()))")
        return net

    @staticmethod
    def bars(n, seed):
        # Four kinds of noisy 8x8 bars: horizontal, vertical, diagonal, anti-diagonal, each at a random offset.
        rng = _np.random.default_rng(seed)
        y = rng.integers(0, 4, size=n)
        x = rng.normal(scale=0.15, size=(n, 1, 8, 8))
        for k, shift in enumerate(rng.integers(-3, 4, size=n)):
            if y[k] == 0:
                x[k, 0, 4 + shift, :] += 1.0
            elif y[k] == 1:
                x[k, 0, :, 4 + shift] += 1.0
            elif y[k] == 2:
                x[k, 0] += _np.eye(8, k=shift)
            else:
                x[k, 0] += _np.eye(8, k=shift)[:, ::-1]
        return x, y

    def simple_forward(self, params, x):
        # SimpleConvNet's forward pass with the given parameters [conv weight, conv bias, dense weight, dense bias].
        conv_w, conv_b, dense_w, dense_b = (_np.asarray(p, dtype=float) for p in params)
        maps = _np.maximum(self.conv2d(x, conv_w, conv_b, 1, 1), 0)
        return self.max_pool2d(maps, 2).reshape(len(x), -1) @ dense_w + dense_b

    def check_learning(self, n_train=320, n_test=200, epochs=2, lr=0.5, batch_size=32, bar=0.7):
        # train on noisy bars for a fixed number of steps: the loss must fall and the test accuracy clear `bar`
        # (chance is 25%; the reference reaches 98-100% and its loss falls to 0.3-0.4 of the first epoch's).
        x, y = self.bars(n_train, 0)
        x_test, y_test = self.bars(n_test, 1)
        net = self.ns["LoggingNet"](self.ns["SimpleConvNet"](1, (8, 8), 4, 0))
        call = f"train(SimpleConvNet, {n_train} noisy bars, epochs={epochs}, lr={lr}, batch_size={batch_size}, seed=0)"
        losses = self.call("train", (net, x, y, epochs, lr), dict(batch_size=batch_size, seed=0))
        assert isinstance(losses, (list, tuple)) and len(losses) == epochs, \
            f"{call} returned {losses!r}; it should return a list of {epochs} floats"
        losses = [float(v) for v in losses]
        assert all(_np.isfinite(losses)), f"{call} returned the losses {losses}"
        assert losses[-1] < 0.8 * losses[0], \
            f"{call}: the loss went from {losses[0]:.4f} to {losses[-1]:.4f}; it should fall clearly"
        steps = epochs * -(-n_train // batch_size)
        logged = net.snapshots
        params = logged[steps] if len(logged) > steps else net.parameters()
        accuracy = float(_np.mean(self.simple_forward(params, x_test).argmax(axis=1) == y_test))
        assert accuracy >= bar, \
            (f"{call}: after training, the test accuracy is {accuracy:.0%} (chance 25%), expected at least {bar:.0%}: "
             "are all parameters updated in place with p -= lr * g after net.backward(dlogits)?")
        return accuracy

    # ----- the for-loop rule -----
    @staticmethod
    def _resolve(node, namespace):
        # The object a name or a dotted chain of module attributes refers to (never runs student code).
        if isinstance(node, _ast.Name):
            return namespace.get(node.id)
        if isinstance(node, _ast.Attribute):
            base = _Grader._resolve(node.value, namespace)
            if isinstance(base, _types.ModuleType):
                return getattr(base, node.attr, None)
        return None

    def _is_library(self, name, obj, names, modules):
        if name in names or any(obj is f for f in (_np.convolve, _np.correlate)):
            return True
        if isinstance(obj, _types.ModuleType):
            module = obj.__name__
        elif isinstance(obj, (_types.FunctionType, _types.BuiltinFunctionType, type)):
            module = obj.__module__ or ""
        else:
            return False
        return module.split(".")[0] in modules or module.startswith(modules)

    def _is_students(self, obj):
        # A plain function written in a notebook cell other than this one: the student's own helper.
        return (isinstance(obj, _types.FunctionType) and obj.__code__.co_filename != _Grader._resolve.__code__.co_filename
                and not (obj.__module__ or "").startswith(self.LIBRARY_MODULES))

    def check_loops(self, part, names=None, modules=None, require_loop=True):
        # The part and the helpers it calls must contain a loop (unless require_loop is False) and must not call a
        # library function of `names` / `modules` (by default the library convolutions and windowing functions).
        names = self.LIBRARY_NAMES if names is None else set(names)
        modules = self.LIBRARY_MODULES if modules is None else tuple(modules)
        todo, seen, has_loop = [self.ns[part]], set(), False
        while todo:
            function = todo.pop()
            if id(function) in seen:
                continue
            seen.add(id(function))
            try:
                tree = _ast.parse(_textwrap.dedent(_inspect.getsource(function)))
            except (OSError, TypeError, SyntaxError):
                assert function is not self.ns[part], \
                    f"the grader cannot read the source of {part}: define it with `def {part}(...)` in its cell"
                continue
            for node in _ast.walk(tree):
                if isinstance(node, (_ast.For, _ast.While, _ast.comprehension)):
                    has_loop = True
                found = []
                if isinstance(node, (_ast.Import, _ast.ImportFrom)):
                    found = [(alias.name, None) for alias in node.names] + [(getattr(node, "module", None) or "", None)]
                elif isinstance(node, _ast.Name):
                    found = [(node.id, self._resolve(node, function.__globals__))]
                elif isinstance(node, _ast.Attribute):
                    found = [(node.attr, self._resolve(node, function.__globals__))]
                for name, obj in found:
                    if self._is_library(name, obj, names, modules) or name.split(".")[0] in modules:
                        raise AssertionError(
                            f"{part} uses `{name}` (in {function.__name__}): this part asks for explicit for-loops, "
                            "not a library convolution or windowing function" if require_loop else
                            f"{part} uses `{name}` (in {function.__name__}): this part may not use a library convolution")
                    if self._is_students(obj):
                        todo.append(obj)
        assert has_loop or not require_loop, \
            (f"{part} has no for-loop: this part asks you to slide the window with explicit "
             "for-loops over the output positions")


_grader = _Grader(globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 1. The chain rule on a computational graph
#
# A network is a chain of simple functions, each a node of a **computational graph**: the convolution makes
# feature maps `z` from the image `x`, the ReLU makes `a` from `z`, pooling makes `p` from `a`, a dense layer makes the
# class scores (`logits`), and the loss `L` compares them with the label. Training needs $\partial L/\partial w$ for
# every parameter $w$. The chain rule gets it one node at a time, backwards: a node that computes $y = g(u)$ receives
# the upstream gradient $\partial L/\partial y$ (called `dout` in the code), and passes on
# $\partial L/\partial u = (\partial y/\partial u)^\top\, \partial L/\partial y$. It never needs to know what happens
# after it. Gradients flow right to left, in the lower row of arrows:

# %% nbgrader={"grade": false, "grade_id": "figure_helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Helpers for the figures and for the tests. There is nothing for you to do here.
def as_pair(value):
    # 3 -> (3, 3); (2, 1) -> (2, 1). Sizes, strides and paddings may be given either way.
    if np.ndim(value) == 0:
        return (int(value), int(value))
    first, second = value
    return (int(first), int(second))


def conv2d(x, weight, bias=None, stride=1, padding=0):
    # The first assignment's convolution, with loops over the output positions (to compare with conv2d_fast).
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    N, C, H, W = x.shape
    F, _, kH, kW = weight.shape
    H_out, W_out = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((N, F, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = padded[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW]          # (N, C, kH, kW)
            out[:, :, i, j] = np.tensordot(window, weight, axes=([1, 2, 3], [1, 2, 3]))
    return out if bias is None else out + np.asarray(bias)[None, :, None, None]


class Probe:
    # A test function for numerical_gradient: f(x) = sum(weights * x**3 + sin(x)), whose gradient is
    # 3 * weights * x**2 + cos(x). It remembers the dtype of every array it is called with (in self.dtypes).
    def __init__(self, weights):
        self.weights = np.asarray(weights, dtype=float)
        self.dtypes = []

    def __call__(self, x):
        self.dtypes.append(str(np.asarray(x).dtype))
        return float(np.sum(self.weights * np.asarray(x) ** 3 + np.sin(x)))

    def gradient(self, x):
        return 3 * self.weights * np.asarray(x, dtype=float) ** 2 + np.cos(x)


def relative_error(a, b):
    # max |a - b| / max(|a| + |b|): about 1e-8 or less for a right gradient, 1e-3 or more for a wrong one.
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12))


def draw_grid(ax, values, title="", window=None, cmap="Blues", vmin=None, vmax=None, dim_outside=False, fmt="{:g}"):
    # Draw a small matrix as numbered squares. `window` = (row, col, height, width) is outlined in orange on top of
    # the grid lines and never clipped; with dim_outside=True the cells outside it are faded. vmin and vmax fix
    # the colour scale (by default it spans the values). NaN cells are left empty.
    values = np.atleast_2d(np.asarray(values, dtype=float))
    rows, cols = values.shape
    if vmin is None or vmax is None:
        vmin, vmax = np.nanmin(values) - 1, np.nanmax(values) + 1
    ax.set_facecolor("#eeeeee")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax)
    r0, c0, h, w = window if window is not None else (0, 0, rows, cols)
    for (r, c), v in np.ndenumerate(values):
        outside = dim_outside and not (r0 <= r < r0 + h and c0 <= c < c0 + w)
        if outside:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="white", alpha=0.65, linewidth=0, zorder=2))
        if not np.isnan(v):
            red, green, blue, _ = image.cmap(image.norm(v))
            dark = 0.3 * red + 0.6 * green + 0.1 * blue < 0.45 and not outside   # white numbers on dark squares
            ax.text(c, r, fmt.format(v + 0.0), ha="center", va="center", fontsize=10, zorder=3,
                    alpha=0.4 if outside else 1, color="white" if dark else "black")
    ax.vlines(np.arange(cols + 1) - 0.5, -0.5, rows - 0.5, color="white", linewidth=2, zorder=2.5)
    ax.hlines(np.arange(rows + 1) - 0.5, -0.5, cols - 0.5, color="white", linewidth=2, zorder=2.5)
    if window is not None:
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), w, h, fill=False, edgecolor="tab:orange", linewidth=3.5,
                               zorder=4, clip_on=False))
    ax.set_xlim(-0.6, cols - 0.4)
    ax.set_ylim(rows - 0.4, -0.6)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, fontsize=10)


def loop_rule_preview(function, require_loop=True, banned=None):
    # A preview of the rule that the grader checks on your code: `function`, or a function of yours that it calls,
    # has a for- or while-loop (if require_loop), and none of them names a banned library function.
    if banned is None:
        banned = {"convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve",
                  "sliding_window_view", "as_strided", "stride_tricks", "scipy", "torch", "tensorflow", "jax", "cv2",
                  "skimage"}
    todo, seen, has_loop = [function], set(), False
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            source = inspect.getsource(current)
            tree = ast.parse(textwrap.dedent(source))
        except (OSError, TypeError, SyntaxError):
            continue
        if current is function and "raise NotImplementedError" in source:
            raise NotImplementedError(f"{function.__name__} is not written yet")
        for node in ast.walk(tree):
            has_loop = has_loop or isinstance(node, (ast.For, ast.While, ast.comprehension))
            names = ([node.id] if isinstance(node, ast.Name) else [node.attr] if isinstance(node, ast.Attribute)
                     else [a.name for a in node.names] + [node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if banned & set(name.split(".")):
                    raise AssertionError(f"{function.__name__} uses `{name}` (in {current.__name__}): this part does "
                                         "not allow library convolution" + (" or windowing" if require_loop else "")
                                         + " functions")
            helper = current.__globals__.get(node.id) if isinstance(node, ast.Name) else None
            if (inspect.isfunction(helper) and helper.__module__ == current.__module__
                    and helper not in (loop_rule_preview, conv2d)):
                todo.append(helper)
    assert has_loop or not require_loop, (f"{function.__name__} has no for-loop: this part asks for explicit "
                                          "for-loops over the output positions")


def draw_graph(ax):
    # The computational graph of SimpleConvNet: forward arrows above, gradient arrows below.
    nodes = ["x", "z", "a", "p", "logits", "L"]
    ops = ["conv", "ReLU", "max pool", "flatten,\ndense", "softmax +\ncross-entropy"]
    grads = ["dx", "dz", "da", "dp", "dlogits", ""]
    for k, name in enumerate(nodes):
        ax.add_patch(Rectangle((2.2 * k - 0.45, -0.3), 0.9, 0.6, facecolor="#dbe9f6", edgecolor="tab:blue"))
        ax.text(2.2 * k, 0, name, ha="center", va="center", fontsize=12)
        if grads[k]:
            ax.text(2.2 * k, -1.05, grads[k], ha="center", va="center", fontsize=10, color="tab:red")
    for k, op in enumerate(ops):
        left, right = 2.2 * k + 0.5, 2.2 * (k + 1) - 0.5
        ax.add_patch(FancyArrowPatch((left, 0.1), (right, 0.1), arrowstyle="-|>", mutation_scale=14, color="tab:blue"))
        ax.text((left + right) / 2, 0.5, op, ha="center", va="bottom", fontsize=9, color="tab:blue")
        ax.add_patch(FancyArrowPatch((right, -0.75), (left, -0.75), arrowstyle="-|>", mutation_scale=14,
                                     color="tab:red"))
    ax.text(2.2 * 2.5, -1.55, "backward: each node turns the gradient it receives (dout) into the gradient of its input",
            ha="center", va="center", fontsize=10, color="tab:red")
    ax.text(2.2 * 2.5, 1.35, "forward: each node computes its output from its input (and its parameters)",
            ha="center", va="center", fontsize=10, color="tab:blue")
    ax.set_xlim(-0.7, 2.2 * 5 + 0.7)
    ax.set_ylim(-1.8, 1.6)
    ax.axis("off")


# %% tags=["figure:graph"]
fig, ax = plt.subplots(figsize=(12, 3.2), layout="constrained")
draw_graph(ax)
ax.set_title("The chain rule, node by node: forward left to right, gradients right to left")
plt.show()

# %% [markdown]
# Two rules cover most nodes:
#
# - an **element-wise** node such as the ReLU, $a = \max(z, 0)$, multiplies `dout` by its local derivative:
#   `dz = dout * (z > 0)`;
# - a node whose output is used **several times** receives the **sum** of the gradients of all its uses. A weight of a
#   convolution is used at every output position, so its gradient is a sum over positions; a pixel of the input sits in
#   several windows, so its gradient is a sum over those windows. Forgetting one of these sums is the most common bug
#   of this assignment.
#
# ## 2. Checking a gradient numerically
#
# Every gradient you write can be checked against the definition of a derivative. For a function $f$ of an array
# $x$ and a small step $h$, the **centred difference**
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$
#
# ($e_i$ is 1 at entry $i$ and 0 elsewhere) has an error proportional to $h^2$, against $h$ for the one-sided
# $(f(x + h e_i) - f(x))/h$. With $h = 10^{-5}$ in float64, the truncation error ($h^2 \approx 10^{-10}$) and the
# rounding error ($10^{-16}/h \approx 10^{-11}$) are both tiny. Compare an analytic gradient $a$ with a numerical one
# $n$ by the **relative error** $\max|a - n| / \max(|a| + |n|)$ (the helper `relative_error`): around $10^{-8}$ or
# less, the two agree and your gradient is right; around $10^{-3}$ or more, something is wrong (a missing sum, a wrong
# index), even if the numbers look similar. It costs two evaluations of $f$ per entry, which is why networks are not
# trained this way, only checked.
#
# ## Part A: `numerical_gradient` (12 points)
#
# `numerical_gradient(f, x, h=1e-5)` returns a float64 array shaped like `x`, whose entry `i` is the centred difference
# above. Loop over the entries (`np.ndindex(x.shape)` gives every index), and:
#
# - work in float64: if `x` is not float64 (integers, float32), first convert it to a float64 copy, so that `f` receives
#   float64 arrays;
# - you may perturb `x` in place while you compute (that is the fast way), but leave it as it was: save each entry's
#   old value and write it back. Adding `h`, subtracting `2h` and adding `h` again does not always give back the same
#   float, bit for bit;
# - use the step `h` you are given.
#
# For `f(x) = sum(x ** 2)` the gradient is `2 * x`: `numerical_gradient(f, np.array([1.0, -2.0, 3.0]))` should return
# `[2, -4, 6]` up to about 1e-10.

# %% nbgrader={"grade": false, "grade_id": "numerical_gradient", "locked": false, "schema_version": 3, "solution": true, "task": false}
def numerical_gradient(f, x, h=1e-5):
    # Centred differences: entry i of the result is (f(x + h e_i) - f(x - h e_i)) / (2h).
    #
    # f: a function of an array shaped like x, returning a float
    # x: an array (any shape, any numeric dtype); left unchanged
    # returns a float64 array shaped like x
    ### BEGIN SOLUTION
    x = np.asarray(x)
    if x.dtype != np.float64:
        x = x.astype(np.float64)
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_numerical_gradient_example", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Part A: examples you can check by hand (4 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("numerical_gradient")
_grader.compare_numerical(_np.array([1.0, -2.0, 3.0]))
_grader.compare_numerical(_np.array([[0.5, -1.0], [2.0, 0.0]]))
### END HIDDEN TESTS
x = np.array([1.0, -2.0, 3.0])
probe = Probe(np.ones(3))                            # f(x) = sum(x**3 + sin(x)): gradient 3 x**2 + cos(x)
grad = numerical_gradient(probe, x)
assert isinstance(grad, np.ndarray) and grad.shape == (3,), \
    f"numerical_gradient should return an array shaped like x, (3,), got {getattr(grad, 'shape', grad)}"
exact = probe.gradient(x)
assert relative_error(grad, exact) < 1e-8, \
    (f"numerical_gradient(f, x) returned {grad}, the exact gradient is {exact} (relative error "
     f"{relative_error(grad, exact):.1e}). A forward difference (f(x + h) - f(x)) / h has an error of about 1e-5 here; "
     "the centred difference (f(x + h e_i) - f(x - h e_i)) / (2h) about 1e-10")
assert not np.allclose(grad, grad[0]), \
    "every entry got the same value: perturb one entry e_i at a time, not the whole array"

# A 2-D x: one entry per entry of x, in the same places.
x2 = np.array([[0.5, -1.0], [2.0, 0.0]])
probe2 = Probe(np.array([[1.0, 0.0], [-1.0, 2.0]]))
grad2 = numerical_gradient(probe2, x2)
assert np.shape(grad2) == (2, 2) and relative_error(grad2, probe2.gradient(x2)) < 1e-8, \
    f"for a 2-D x, numerical_gradient returned\n{grad2}\nexpected\n{probe2.gradient(x2)}"
print("numerical_gradient: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_numerical_gradient_contract", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Part A: x is left exactly as it was, integer and float32 inputs are converted to float64, h is used (4 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("numerical_gradient")
_grader.compare_numerical(_np.array([0.1, 0.7, 1e-3, 123.456, -0.3]))
_grader.compare_numerical(_np.array([[2, -1, 0], [3, 1, -2]]))
_grader.compare_numerical(_np.array([0.25, -1.5, 2.0], dtype=_np.float32))
_grader.compare_numerical(_np.array([1.0, 2.0, -0.5]), h=0.1)
### END HIDDEN TESTS
# x unchanged, bit for bit: 0.1 + 1e-5 - 2e-5 + 1e-5 is not 0.1 in floating point.
x = np.array([0.1, 0.7, 123.456])
x_before = x.copy()
numerical_gradient(Probe(np.ones(3)), x)
assert np.array_equal(x, x_before), \
    (f"numerical_gradient changed x from {x_before!r} to {x!r}: save each entry's old value and write it back "
     "(x[i] = old) instead of adding h, subtracting 2h and adding h again")

# Integer x: converted to a float64 copy (x[i] + 1e-5 in an integer array would be rounded back to x[i]).
xi = np.array([2, -1, 0])
probe = Probe(np.ones(3))
grad = numerical_gradient(probe, xi)
assert np.array_equal(xi, [2, -1, 0]), "numerical_gradient changed the integer x it was given"
assert not np.allclose(grad, 0), \
    "for an integer x the gradient came out as zeros: convert x to a float64 copy first (np.array(x, dtype=np.float64))"
assert np.allclose(grad, probe.gradient(xi), atol=1e-6), f"for the integer x [2, -1, 0]: got {grad}, expected {probe.gradient(xi)}"
assert set(probe.dtypes) == {"float64"}, f"f was called with {sorted(set(probe.dtypes))} arrays; it should get float64 ones"

# float32 x: f gets float64 arrays, and the result is float64.
probe = Probe(np.ones(2))
grad = numerical_gradient(probe, np.array([0.25, -1.5], dtype=np.float32))
assert set(probe.dtypes) == {"float64"}, \
    (f"for a float32 x, f was called with {sorted(set(probe.dtypes))} arrays: convert x to a float64 copy first, so "
     "that f and the differences work in float64 (in float32, a step of 1e-5 is lost in rounding)")
assert isinstance(grad, np.ndarray) and grad.dtype == np.float64, \
    f"numerical_gradient should return float64, got {getattr(grad, 'dtype', type(grad).__name__)}"

# The step h is the one given: for f = sum(x**3) the centred difference is 3 x**2 + h**2 exactly.
cube = Probe(np.ones(1))
big_step = numerical_gradient(cube, np.array([1.0]), h=0.1)
expected = 3 * 1.0 + 0.1 ** 2 + (np.sin(1.1) - np.sin(0.9)) / 0.2
assert np.allclose(big_step, expected, rtol=1e-9), \
    f"numerical_gradient(f, [1.0], h=0.1) returned {big_step}, expected {expected:.10f}: use the step h you are given"
print("numerical_gradient: x unchanged, float64 conversion and h pass.")

# %% nbgrader={"grade": true, "grade_id": "test_numerical_gradient_reference", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Part A: hidden tests compare numerical_gradient with a reference on random 1-D to 4-D arrays, a single entry
# and another h (4 points). The visible check below tries a 3-D array.
### BEGIN HIDDEN TESTS
_grader.grade_alone("numerical_gradient")
rng = _np.random.default_rng(12)
for shape in [(2, 3, 4), (1, 2, 3, 2), (1,), (4, 1)]:
    _grader.compare_numerical(rng.normal(size=shape))
_grader.compare_numerical(rng.normal(size=(3, 2)), h=1e-3)
### END HIDDEN TESTS
x3 = np.linspace(-1, 1, 24).reshape(2, 3, 4)
probe = Probe(np.linspace(2, -2, 24).reshape(2, 3, 4))
grad = numerical_gradient(probe, x3)
assert np.shape(grad) == (2, 3, 4), f"for x of shape (2, 3, 4) the gradient should have that shape, got {np.shape(grad)}"
error = relative_error(grad, probe.gradient(x3))
assert error < 1e-8, f"relative error {error:.1e} on a (2, 3, 4) array; expected below 1e-8"
print(f"numerical_gradient: relative error {error:.1e} on a 3-D array.")

# %% [markdown]
# ## 3. The gradient of a convolution
#
# Start in 1-D. A kernel $w$ of length $k = 3$ slides over $x$ of length 5 and gives $y$ of length 3:
# $y_i = \sum_a x_{i+a}\, w_a$. The loss depends on $x$ only through $y$, so the chain rule sums over every output
# that $x_m$ took part in:
#
# $$\frac{\partial L}{\partial x_m} = \sum_i \frac{\partial L}{\partial y_i}\,\frac{\partial y_i}{\partial x_m}
# = \sum_{i\,:\,0 \le m - i < k} dy_i\; w_{m-i}.$$
#
# Read it in two ways (the figure shows both for $w = [1, 2, 3]$ and $dy = [1, -1, 2]$):
#
# - **scatter**: each output $i$ sends $dy_i \cdot w$ back onto its window $x_{i}, \dots, x_{i+k-1}$, and
#   the contributions of overlapping windows **add up**. This is what your loop will do: one output position at a time.
# - **gather**: pad $dy$ with $k - 1$ zeros on both sides and slide the **flipped** kernel $[w_2, w_1, w_0]$ over it:
#   $dx_m = \sum_a dy_{m-a}\, w_a$ is a cross-correlation of the padded $dy$ with the flipped kernel. That is a
#   "full" convolution: every position where the kernel overlaps $dy$ at all, so $dx$ has $3 + 3 - 1 = 5$ entries, as
#   many as $x$. The kernel is flipped because $x_m$ meets $w_0$ in the window that starts at $m$, and $w_2$ in the one
#   that starts two steps earlier.
#
# In 2-D the same holds along each axis. With a stride $s$, insert $s - 1$ zeros between the entries of $dy$ first
# (the windows start $s$ apart); with padding, compute the gradient of the padded input and crop the padding off.

# %% tags=["figure:full-convolution"]
w_1d, dy_1d = np.array([1.0, 2.0, 3.0]), np.array([1.0, -1.0, 2.0])
scatter = np.full((3, 5), np.nan)
for i in range(3):
    scatter[i, i:i + 3] = dy_1d[i] * w_1d                         # output i sends dy[i] * w onto its window
dx_1d = np.nansum(scatter, axis=0)
padded_dy = np.pad(dy_1d, 2)
fig = plt.figure(figsize=(15, 5.4), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1, 1.25])
axes = left.subplots(2, 1, height_ratios=[3, 1])
draw_grid(axes[0], scatter, "scatter: row i is dy[i] * w placed on window i", cmap="RdBu_r", vmin=-7, vmax=7)
axes[0].set_yticks(range(3), [f"dy[{i}] = {dy_1d[i]:g}" for i in range(3)])
axes[0].set_xticks(range(5), [f"x[{m}]" for m in range(5)])
axes[0].xaxis.tick_top()
axes[0].tick_params(left=False, top=False)
draw_grid(axes[1], dx_1d[None], "dx = the sum of each column (overlaps add up)", cmap="RdBu_r", vmin=-7, vmax=7)
left.suptitle(f"w = {w_1d.astype(int).tolist()}, dy = {dy_1d.astype(int).tolist()}")
axes = right.subplots(6, 1)
draw_grid(axes[0], w_1d[::-1][None], "the flipped kernel [w2, w1, w0]", cmap="PuOr", vmin=-4, vmax=4)
for m in range(5):
    value = np.dot(padded_dy[m:m + 3], w_1d[::-1])
    draw_grid(axes[m + 1], padded_dy[None], f"dx[{m}] = window · flipped kernel = {value:g}", window=(0, m, 1, 3),
              dim_outside=True, cmap="RdBu_r", vmin=-7, vmax=7)
right.suptitle("gather: slide the flipped kernel over dy padded with k - 1 = 2 zeros")
plt.show()
print("scatter:", dx_1d, " gather:", np.array([np.dot(padded_dy[m:m + 3], w_1d[::-1]) for m in range(5)]))

# %% [markdown]
# The gradients of the weight and the bias come from the same chain rule. The weight $w_a$ is used at every output
# position, so $\partial L/\partial w_a = \sum_i dy_i\, x_{i+a}$: a cross-correlation of the input with $dy$ (the first
# assignment's last section found it). The bias is added to every output, so its gradient is the sum of $dy$.
#
# ## Part B: `conv2d_backward` (25 points)
#
# `conv2d_backward(dout, x, weight, stride=1, padding=0)` returns `(dx, dweight, dbias)`, the gradients of
# `L = sum(dout * conv2d(x, weight, bias, stride, padding))` with respect to `x`, `weight` and `bias`: the values
# PyTorch's autograd computes for `torch.nn.functional.conv2d`. Shapes: `x (N, C, H, W)`, `weight (F, C, kH, kW)`,
# `dout (N, F, H_out, W_out)`; `dx` like `x`, `dweight` like `weight`, `dbias (F,)`. Use the scatter form, with explicit
# loops over the output positions `(i, j)`: the window of output `(i, j)` is
# `padded[:, :, i*sh : i*sh + kH, j*sw : j*sw + kW]`, and at that position (all images, channels and filters at once)
#
# - `dweight += ` the sum over the batch of `dout[n, f, i, j] * window[n]` (an `np.einsum` or `np.tensordot` over `n`);
# - `dpadded[:, :, window] += ` the sum over the filters of `dout[n, f, i, j] * weight[f]`.
#
# Then crop: `dx = dpadded[:, :, ph:ph + H, pw:pw + W]`. Rows and columns that no window covers (a stride that does not
# tile the input) keep their 0. `dbias` is the sum of `dout` over the batch and the positions. Return float arrays and
# leave the inputs unchanged; `stride` and `padding` are an `int` or an `(h, w)` pair. Raise `ValueError` if `x` or
# `weight` is not 4-D, their channels differ, or `dout`'s shape is not `(N, F, H_out, W_out)`.
#
# Loop over the output positions, not over the kernel offsets (that is `conv2d_fast`'s job), and use no library
# convolution or windowing function.

# %% nbgrader={"grade": false, "grade_id": "conv2d_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_backward(dout, x, weight, stride=1, padding=0):
    # Gradients of sum(dout * conv2d(x, weight, bias, stride, padding)).
    #
    # dout:   (N, F, H_out, W_out), the upstream gradient
    # x:      (N, C, H, W), the layer's (unpadded) input
    # weight: (F, C, kH, kW)
    # returns (dx (N, C, H, W), dweight (F, C, kH, kW), dbias (F,))
    ### BEGIN SOLUTION
    x, weight, dout = np.asarray(x, dtype=float), np.asarray(weight, dtype=float), np.asarray(dout, dtype=float)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"x and weight must be 4-D, got shapes {x.shape} and {weight.shape}")
    N, C, H, W = x.shape
    F, C_w, kH, kW = weight.shape
    if C_w != C:
        raise ValueError(f"x has {C} channels but weight expects {C_w}")
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    H_out, W_out = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    if dout.shape != (N, F, H_out, W_out):
        raise ValueError(f"dout should have shape {(N, F, H_out, W_out)}, got {dout.shape}")
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dpadded = np.zeros(padded.shape)
    dweight = np.zeros(weight.shape)
    for i in range(H_out):
        for j in range(W_out):
            rows, cols = slice(i * sh, i * sh + kH), slice(j * sw, j * sw + kW)
            g = dout[:, :, i, j]                                                 # (N, F)
            dweight += np.einsum("nf,nckl->fckl", g, padded[:, :, rows, cols])
            dpadded[:, :, rows, cols] += np.einsum("nf,fckl->nckl", g, weight)
    dx = dpadded[:, :, ph:ph + H, pw:pw + W]
    dbias = dout.sum(axis=(0, 2, 3))
    return dx, dweight, dbias
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv2d_backward_example", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
# Part B: the 1-D example of the figure, overlapping windows, and a case you can check by hand (6 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_backward")
_grader.compare_backward(_np.array([1.0, -1.0, 2.0]).reshape(1, 1, 1, 3), _np.arange(5.0).reshape(1, 1, 1, 5),
                         _np.array([1.0, 2.0, 3.0]).reshape(1, 1, 1, 3))
_grader.compare_backward(_np.ones((1, 1, 2, 2)), _np.arange(9.0).reshape(1, 1, 3, 3), _np.ones((1, 1, 2, 2)))
_grader.compare_backward(_np.ones((2, 2, 2, 3)), _np.arange(24.0).reshape(2, 1, 3, 4), _np.arange(8.0).reshape(2, 1, 2, 2),
                         stride=(1, 2), padding=(0, 1))
### END HIDDEN TESTS
# The figure's example as a (1, 1, 1, 5) image: dx = [1, 1, 3, 1, 6].
x = np.arange(5.0).reshape(1, 1, 1, 5)
w = np.array([1.0, 2.0, 3.0]).reshape(1, 1, 1, 3)
dout = np.array([1.0, -1.0, 2.0]).reshape(1, 1, 1, 3)
result = conv2d_backward(dout, x, w)
assert isinstance(result, (tuple, list)) and len(result) == 3, "conv2d_backward should return the tuple (dx, dweight, dbias)"
dx, dw, db = result
assert np.shape(dx) == x.shape, f"dx should have x's shape {x.shape}, got {np.shape(dx)}"
if np.allclose(dx.ravel(), [3, -1, 5, 3, 2]):
    raise AssertionError("dx looks like it was computed with the flipped kernel: in the scatter form output i sends "
                         "dy[i] * w (the kernel as it is) onto its window")
if np.allclose(dx.ravel(), [1, -1, 2, 4, 6]):
    raise AssertionError(f"dx = {dx.ravel()} is missing the contributions of overlapping windows: add (+=) "
                         "each window's gradient into dx instead of assigning it (=)")
assert np.allclose(dx.ravel(), [1, 1, 3, 1, 6]), f"dx = {dx.ravel()}, expected [1, 1, 3, 1, 6] (see the figure)"
# dweight[a] = sum_i dy[i] * x[i + a] = 1 * x[a] - 1 * x[a + 1] + 2 * x[a + 2]
assert np.shape(dw) == w.shape and np.allclose(dw.ravel(), [3, 5, 7]), \
    f"dweight = {np.ravel(dw)}, expected [3, 5, 7]: dweight[a] = sum over i of dy[i] * x[i + a]"
assert np.shape(db) == (1,) and np.allclose(db, 2), f"dbias = {db}, expected [2] (the sum of dout)"

# A 2x2 kernel of ones over a 3x3 image, dout = 1 everywhere: each pixel's gradient counts the windows that cover it.
dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), np.arange(9.0).reshape(1, 1, 3, 3), np.ones((1, 1, 2, 2)))
assert np.allclose(dx[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]]), \
    (f"dx =\n{dx[0, 0]}\nexpected [[1, 2, 1], [2, 4, 2], [1, 2, 1]]: the centre pixel is in all 4 windows, so its "
     "gradient is the sum of 4 contributions (+=, not =)")
assert np.allclose(dw[0, 0], [[8, 12], [20, 24]]), \
    f"dweight =\n{dw[0, 0]}\nexpected [[8, 12], [20, 24]]: dweight[a, b] is the sum of x over the windows' (a, b) entries"
assert np.allclose(db, [4]), f"dbias = {db}, expected [4]: the sum of dout over the batch and all positions"
print("conv2d_backward: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_backward_reference", "locked": true, "points": 13, "schema_version": 3, "solution": false, "task": false}
# Part B: hidden tests compare conv2d_backward with a reference and with numerical gradients on random batches with
# several channels and filters, non-square images and kernels, strides that do not tile the input, padding, int and
# pair arguments, integer inputs (13 points). The visible checks below try each of these on small cases.
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_backward")
rng = _np.random.default_rng(21)
cases = [
    # (N, C, H, W), (F, kH, kW), stride, padding
    ((2, 3, 6, 7), (4, 3, 2), 1, 0),
    ((1, 2, 7, 5), (3, 3, 3), 2, 0),        # windows overlap (kernel 3, stride 2)
    ((2, 1, 8, 7), (2, 3, 2), 3, 0),        # stride 3: rows 6, 7 and column 6 are in no window
    ((2, 2, 5, 6), (3, 3, 3), 1, 1),
    ((1, 3, 7, 8), (2, 3, 2), (2, 1), (1, 2)),
    ((2, 2, 6, 5), (2, 2, 3), (1, 2), (2, 0)),
    ((3, 1, 5, 5), (1, 5, 5), 1, 0),        # one output position
    ((1, 2, 4, 6), (3, 1, 1), 2, 1),        # a 1x1 kernel with padding: the padded border's gradient is cropped off
    ((2, 3, 9, 7), (2, 4, 3), (3, 2), 1),
]
for xshape, (F, kH, kW), stride, padding in cases:
    x = rng.normal(size=xshape)
    w = rng.normal(size=(F, xshape[1], kH, kW))
    Ho = (xshape[2] + 2 * _grader.pair(padding)[0] - kH) // _grader.pair(stride)[0] + 1
    Wo = (xshape[3] + 2 * _grader.pair(padding)[1] - kW) // _grader.pair(stride)[1] + 1
    _grader.compare_backward(rng.normal(size=(xshape[0], F, Ho, Wo)), x, w, stride, padding)
_grader.compare_backward(rng.integers(-3, 4, size=(2, 2, 3, 3)), rng.integers(-4, 5, size=(2, 3, 5, 5)),
                         rng.integers(-2, 3, size=(2, 3, 3, 3)), 2, 1)
# Against numerical gradients of the forward pass (which checks the reference too).
x, w, b = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
dout = rng.normal(size=(2, 3, 3, 3))
got = _grader.call("conv2d_backward", (dout, x, w), dict(stride=(2, 2), padding=(1, 0)))
loss = lambda x_, w_, b_: float(_np.sum(dout * _grader.conv2d(x_, w_, b_, (2, 2), (1, 0))))
for value, numeric, name in [(got[0], _grader.numerical_gradient(lambda v: loss(v, w, b), x), "dx"),
                             (got[1], _grader.numerical_gradient(lambda v: loss(x, v, b), w), "dweight"),
                             (got[2], _grader.numerical_gradient(lambda v: loss(x, w, v), b), "dbias")]:
    assert _grader.close(_np.asarray(value, dtype=float), numeric, rtol=1e-5), \
        f"conv2d_backward(dout, x, w, stride=(2, 2), padding=(1, 0)): {name} disagrees with its numerical gradient"
### END HIDDEN TESTS
# A stride that does not tile the input: with a 2x2 kernel and stride 2 on a 3x5 image, row 2 and column 4 are in no
# window, so their gradient is 0. Non-square input, two channels, three filters.
x = np.arange(30.0).reshape(1, 2, 3, 5)
w = np.ones((3, 2, 2, 2))
dout = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1) * np.ones((1, 3, 1, 2))
x_before, w_before, dout_before = x.copy(), w.copy(), dout.copy()
dx, dw, db = conv2d_backward(dout, x, w, stride=2)
assert np.shape(dx) == (1, 2, 3, 5), f"dx should have x's shape (1, 2, 3, 5), got {np.shape(dx)}"
assert np.allclose(dx[0, :, 2, :], 0) and np.allclose(dx[0, :, :, 4], 0), \
    f"row 2 and column 4 are in no window, so their gradient should be 0; dx[0, 0] =\n{dx[0, 0]}"
assert np.allclose(dx[0, 0, :2, :4], 6), \
    f"each covered pixel gets 1 + 2 + 3 = 6 (the three filters of ones, weighted by dout); dx[0, 0] =\n{dx[0, 0]}"
assert np.allclose(dw[1, 1], [[2 * (15 + 17), 2 * (16 + 18)], [2 * (20 + 22), 2 * (21 + 23)]]), \
    f"dweight[1, 1] =\n{dw[1, 1]}\nexpected dout[1] = 2 times the sum of the two windows' entries of channel 1"
assert np.allclose(db, [2, 4, 6]), f"dbias = {db}, expected [2, 4, 6]: each filter's dout summed over positions"
assert np.array_equal(x, x_before) and np.array_equal(w, w_before) and np.array_equal(dout, dout_before), \
    "conv2d_backward modified an input in place"

# Padding, as (h, w) pairs: the gradient of the padded border is cropped off, dx has the unpadded shape.
x = np.ones((1, 1, 2, 3))
dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 3)), x, np.ones((1, 1, 1, 1)), stride=1, padding=(0, 0))
assert np.allclose(dx, 1) and np.allclose(dw, 6), "a 1x1 kernel of one: dx = dout and dweight = sum(dout * x) = 6"
dx, dw, db = conv2d_backward(np.ones((1, 1, 4, 3)), x, 2 * np.ones((1, 1, 1, 1)), stride=(1, 2), padding=(1, 1))
assert np.shape(dx) == (1, 1, 2, 3), \
    (f"with padding (1, 1) dx should still have x's shape (1, 1, 2, 3), got {np.shape(dx)}: crop the padding off, "
     "dx = dpadded[:, :, ph:ph + H, pw:pw + W]")
assert np.allclose(dx[0, 0], [[0, 2, 0], [0, 2, 0]]), \
    (f"padding (1, 1), stride (1, 2): the windows sit on padded columns 0, 2, 4, which are x's columns -1, 1, 3, so only "
     f"column 1 gets a gradient (2); got\n{dx[0, 0]}\nis the crop [ph:ph + H, pw:pw + W]?")
assert np.allclose(dw, 2), f"dweight = {np.ravel(dw)}: only the two windows on x's column 1 see ones: expected 2"

# Two images: the weight is shared by the whole batch, so dweight and dbias sum over both images.
two_images = np.stack([np.arange(9.0).reshape(1, 3, 3), 2 * np.arange(9.0).reshape(1, 3, 3)])   # (2, 1, 3, 3)
dx, dw, db = conv2d_backward(np.ones((2, 1, 2, 2)), two_images, np.ones((1, 1, 2, 2)))
assert np.allclose(dw[0, 0], [[24, 36], [60, 72]]), \
    (f"dweight =\n{dw[0, 0]}\nexpected 3 * [[8, 12], [20, 24]] = [[24, 36], [60, 72]]: the second image is twice the "
     "first, and dweight sums over every image of the batch (not only the first)")
assert np.allclose(db, [8]), f"dbias = {db}, expected [8]: 2 images times 4 positions of dout = 1"
assert np.allclose(dx[1, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]]), "each image's dx depends on its own dout only"

# Integers in, floats out.
dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2), dtype=int), np.arange(9).reshape(1, 1, 3, 3),
                             np.array([[[[1, 2], [3, 4]]]]))
assert all(np.issubdtype(np.asarray(g).dtype, np.floating) for g in (dx, dw, db)), \
    "conv2d_backward should return float arrays, also for integer inputs (create them with np.zeros)"
print("conv2d_backward: the stride, padding, pair and integer examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_backward_errors", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Part B: invalid inputs raise ValueError (4 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_backward")
_x, _w = _np.ones((1, 3, 3, 3)), _np.ones((2, 3, 2, 2))          # a valid dout is (1, 2, 2, 2)
for _dout in (_np.ones((1, 2, 3, 3)), _np.ones((1, 2, 2, 3)), _np.ones((1, 2, 1, 1)), _np.ones((2, 2, 2, 2)),
              _np.ones((1, 3, 2, 2)), _np.ones((1, 1, 2, 2)), _np.ones((2, 2, 2))):
    _grader.expect_value_error("conv2d_backward", _dout, _x, _w)
_grader.expect_value_error("conv2d_backward", _np.ones((1, 2, 2, 2)), _np.ones((3, 3, 3)), _w)
_grader.expect_value_error("conv2d_backward", _np.ones((1, 2, 2, 2)), _x, _np.ones((2, 2, 2, 2)))
_grader.expect_value_error("conv2d_backward", _np.ones((1, 2, 2, 2)), _x, _np.ones((2, 3, 2)))
_grader.expect_value_error("conv2d_backward", _np.ones((1, 1, 2, 2)), _np.ones((1, 1, 2, 2)), _np.ones((1, 1, 4, 4)),
                           stride=2, padding=1)
### END HIDDEN TESTS
x, w = np.ones((1, 3, 4, 4)), np.ones((2, 3, 3, 3))                  # dout should be (1, 2, 2, 2)
bad_calls = [
    ((np.ones((1, 2, 2, 2)), np.ones((3, 4, 4)), w), "x is 3-D"),
    ((np.ones((1, 2, 2, 2)), x, np.ones((2, 3, 3))), "weight is 3-D"),
    ((np.ones((1, 2, 2, 2)), x, np.ones((2, 1, 3, 3))), "x has 3 channels but weight has 1"),
    ((np.ones((1, 2, 3, 3)), x, w), "dout is (1, 2, 3, 3), not (N, F, H_out, W_out) = (1, 2, 2, 2)"),
    ((np.ones((1, 2, 1, 1)), x, w), "dout is (1, 2, 1, 1): fewer positions than the convolution has"),
    ((np.ones((1, 3, 2, 2)), x, w), "dout has 3 channels, not F = 2"),
    ((np.ones((2, 2, 2, 2)), x, w), "dout has 2 images, x has 1"),
]
for args, why in bad_calls:
    try:
        conv2d_backward(*args)
    except ValueError:
        pass
    else:
        raise AssertionError(f"conv2d_backward should raise ValueError when {why}")
print("conv2d_backward: invalid inputs raise ValueError.")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_backward_loops", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Part B: the for-loop rule (2 points). Write conv2d_backward with explicit for-loops over the output positions;
# library convolution and windowing functions (np.convolve, np.correlate, scipy.signal, sliding_window_view,
# as_strided, torch) are not allowed. The visible preview reads your code in your notebook; when your notebook is
# graded, a hidden test checks the rule again on your code's text.
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_backward")
_grader.check_loops("conv2d_backward")
### END HIDDEN TESTS
if inspect.isfunction(conv2d_backward):   # in your notebook: a preview of the rule, read from your code
    loop_rule_preview(conv2d_backward)
print("conv2d_backward: the for-loop rule preview passes (the grader checks the rule again).")

# %% [markdown]
# Now check your gradients the way you will check every gradient you ever write: against `numerical_gradient`, on a
# random case with a stride that does not tile the input and padding. All three relative errors should be around
# 1e-9 or smaller.

# %%
rng = np.random.default_rng(0)
x_check, w_check, b_check = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
dout_check = rng.normal(size=(2, 3, 3, 3))
loss_of = lambda x_, w_, b_: float(np.sum(dout_check * conv2d(x_, w_, b_, stride=2, padding=(1, 0))))
try:
    dx, dw, db = conv2d_backward(dout_check, x_check, w_check, stride=2, padding=(1, 0))
    for name, analytic, numeric in [("dx", dx, numerical_gradient(lambda v: loss_of(v, w_check, b_check), x_check)),
                                    ("dweight", dw, numerical_gradient(lambda v: loss_of(x_check, v, b_check), w_check)),
                                    ("dbias", db, numerical_gradient(lambda v: loss_of(x_check, w_check, v), b_check))]:
        print(f"{name}: relative error {relative_error(analytic, numeric):.1e}")
except NotImplementedError:
    print("Write numerical_gradient and conv2d_backward first.")

# %% [markdown]
# ## 4. The gradient of pooling
#
# Max pooling keeps one element of each window, so the gradient of its output reaches only that element: each
# window's `dout` is **routed** to the position of its maximum, and every other element of the window gets 0. In
# the figure the lower-left window holds two 7s: PyTorch sends the gradient to the first of them in row-major order
# (left to right, then top to bottom), which is what `np.argmax` of the flattened window finds. When windows overlap
# (a stride smaller than the kernel), one element can be the maximum of several windows and receives the sum of their
# gradients. Average pooling spreads each window's `dout` evenly: every element of the window gets `dout / (kH * kW)`.

# %% tags=["figure:maxpool-routing"]
def show_max_routing(x, dout, size):
    # The input with its windows, each window's maximum ringed; dout; and dx, where each dout landed.
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), layout="constrained", gridspec_kw={"width_ratios": [4, 2.6, 4]})
    draw_grid(axes[0], x, f"input x, {size}×{size} windows (ringed: where the gradient goes)", cmap="Greens",
              vmin=-1, vmax=x.max() + 2)
    dx = np.zeros(x.shape)
    for i in range(x.shape[0] // size):
        for j in range(x.shape[1] // size):
            window = x[i * size:(i + 1) * size, j * size:(j + 1) * size]
            a, b = divmod(int(np.argmax(window)), size)
            dx[i * size + a, j * size + b] += dout[i, j]
            axes[0].add_patch(Rectangle((j * size - 0.5, i * size - 0.5), size, size, fill=False,
                                        edgecolor="tab:orange", linewidth=3, zorder=4, clip_on=False))
            axes[0].add_patch(plt.Circle((j * size + b, i * size + a), 0.42, fill=False, edgecolor="tab:red",
                                         linewidth=2.5, zorder=5))
    draw_grid(axes[1], dout, "dout (one value per window)", cmap="RdBu_r", vmin=-4, vmax=4)
    draw_grid(axes[2], dx, "dx: each dout at its window's maximum, 0 elsewhere", cmap="RdBu_r", vmin=-4, vmax=4)
    plt.show()


show_max_routing(np.array([[1, 3, 2, 0], [4, 6, 1, 1], [7, 2, 0, 5], [1, 7, 3, 9]], dtype=float),
                 np.array([[0.5, -1.0], [2.0, 3.0]]), 2)

# %% [markdown]
# ## Part C: `max_pool2d_backward` (10 points) and `avg_pool2d_backward` (8 points)
#
# - `max_pool2d_backward(dout, x, kernel_size, stride=None)` returns `dx` shaped like `x (N, C, H, W)`: the gradient of
#   `max_pool2d(x, kernel_size, stride)` (stride defaults to kernel_size, no padding, leftover rows and columns dropped)
#   for the upstream gradient `dout (N, C, H_out, W_out)`. Each window's `dout` goes to the position of that window's
#   maximum, to the first one in row-major order where several elements tie; overlapping windows add up; rows and
#   columns that no window covers get 0. `dx` is a float array, also when `x` holds integers.
# - `avg_pool2d_backward(dout, x_shape, kernel_size, stride=None)` returns `dx` of shape `x_shape`: each window's
#   `dout / (kH * kW)` added to every element of that window.
#
# Both loop over the output positions `(i, j)`; the work of one position may be done for all images and channels at
# once (for max pooling: flatten the `(N, C, kH, kW)` window to `(N, C, kH * kW)`, take `argmax` over the last axis and
# turn it back into a row and a column with `divmod`). No windowing functions.

# %% nbgrader={"grade": false, "grade_id": "max_pool2d_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def max_pool2d_backward(dout, x, kernel_size, stride=None):
    # Gradient of max_pool2d(x, kernel_size, stride): each window's dout goes to its (first) maximum.
    #
    # dout: (N, C, H_out, W_out); x: (N, C, H, W), the pooling layer's input
    # returns dx, a float array shaped like x
    ### BEGIN SOLUTION
    x, dout = np.asarray(x), np.asarray(dout, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    N, C, H, W = x.shape
    H_out, W_out = (H - kH) // sH + 1, (W - kW) // sW + 1
    dx = np.zeros(x.shape)
    n, c = np.indices((N, C))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW].reshape(N, C, kH * kW)
            a, b = np.divmod(window.argmax(axis=2), kW)          # the first maximum, in row-major order
            dx[n, c, i * sH + a, j * sW + b] += dout[:, :, i, j]
    return dx
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "avg_pool2d_backward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def avg_pool2d_backward(dout, x_shape, kernel_size, stride=None):
    # Gradient of avg_pool2d: each window's dout / (kH * kW) added to every element of the window.
    #
    # dout: (N, C, H_out, W_out); x_shape: the shape (N, C, H, W) of the pooling layer's input
    # returns dx, a float array of shape x_shape
    ### BEGIN SOLUTION
    dout = np.asarray(dout, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    dx = np.zeros(tuple(x_shape))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW] += dout[:, :, i, j, None, None] / (kH * kW)
    return dx
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_max_pool2d_backward_example", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Part C: max_pool2d_backward on the figure's example, ties, overlapping windows, integers (4 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("max_pool2d_backward")
_example = _np.array([[1, 3, 2, 0], [4, 6, 1, 1], [7, 2, 0, 5], [1, 7, 3, 9]], dtype=float)[None, None]
_grader.compare_max_backward(_np.array([[0.5, -1.0], [2.0, 3.0]])[None, None], _example, 2)
_grader.compare_max_backward(_np.array([[1.0, 2.0, 3.0]]).reshape(1, 1, 1, 3), _np.array([[1, 5, 2, 5, 0]])[None, None].astype(float),
                             (1, 3), 1)
_grader.compare_max_backward(_np.ones((1, 1, 1, 1)), _np.full((1, 1, 2, 2), 3.0), 2)
### END HIDDEN TESTS
x = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [7, 2, 0, 5], [1, 7, 3, 9]], dtype=float)[None, None]
dout = np.array([[0.5, -1.0], [2.0, 3.0]])[None, None]
x_before, dout_before = x.copy(), dout.copy()
dx = max_pool2d_backward(dout, x, 2)
expected = np.array([[0, 0, -1, 0], [0, 0.5, 0, 0], [2, 0, 0, 0], [0, 0, 0, 3]])
assert isinstance(dx, np.ndarray) and dx.shape == x.shape, f"dx should be shaped like x {x.shape}, got {np.shape(dx)}"
if np.allclose(dx[0, 0], expected + np.array([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 2, 0, 0]])):
    raise AssertionError("the gradient went to both 7s of the lower-left window: send it to the first maximum in "
                         "row-major order only (np.argmax of the flattened window)")
if np.allclose(dx[0, 0], expected + np.array([[0, 0, 0, 0], [0, 0, 0, 0], [-2, 0, 0, 0], [0, 2, 0, 0]])):
    raise AssertionError("the gradient went to the last of the tied 7s: send it to the first maximum in row-major "
                         "order (np.argmax of the flattened window; a comparison with >= keeps the last)")
assert np.allclose(dx[0, 0], expected), f"max_pool2d_backward returned\n{dx[0, 0]}\nexpected (see the figure)\n{expected}"
assert np.array_equal(x, x_before) and np.array_equal(dout, dout_before), "max_pool2d_backward modified an input"

# Overlapping windows (kernel 3, stride 1 along a row): the 5 at index 1 is the maximum of the first two windows.
x = np.array([[1, 5, 2, 5, 0]], dtype=float)[None, None]
dx = max_pool2d_backward(np.array([[1.0, 2.0, 3.0]])[None, None], x, (1, 3), 1)
assert np.allclose(dx[0, 0], [[0, 3, 0, 3, 0]]), \
    (f"windows [1, 5, 2], [5, 2, 5], [2, 5, 0] send 1 and 2 to the first 5 and 3 to the second: expected "
     f"[[0, 3, 0, 3, 0]], got {dx[0, 0]}. Overlapping windows add up (+=), and a tie goes to the first maximum")

# A window of equal values: all of its gradient goes to its first element. Integers in, floats out.
dx = max_pool2d_backward(np.ones((1, 1, 1, 1)), np.full((1, 1, 2, 2), 3), 2)
assert np.issubdtype(dx.dtype, np.floating), f"dx should be a float array for an integer x, got {dx.dtype}"
assert np.allclose(dx[0, 0], [[1, 0], [0, 0]]), f"a window of four 3s sends its gradient to the first: got\n{dx[0, 0]}"
print("max_pool2d_backward: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_max_pool2d_backward_reference", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Part C: hidden tests compare max_pool2d_backward with a reference on random batches with several channels,
# non-square windows, strides that do not tile the input, overlapping windows, ties and integer inputs (5 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("max_pool2d_backward")
rng = _np.random.default_rng(31)
for shape, k, s in [((2, 3, 6, 8), 2, None), ((1, 2, 7, 9), 3, None), ((2, 2, 7, 6), (2, 3), None),
                    ((1, 3, 8, 8), 3, 2), ((2, 1, 9, 7), (3, 2), (2, 1)), ((1, 1, 5, 5), 5, None), ((2, 2, 6, 5), 1, None)]:
    x = rng.normal(size=shape)
    H_out, W_out = ((shape[2] - _grader.pair(k)[0]) // _grader.pair(k if s is None else s)[0] + 1,
                    (shape[3] - _grader.pair(k)[1]) // _grader.pair(k if s is None else s)[1] + 1)
    _grader.compare_max_backward(rng.normal(size=shape[:2] + (H_out, W_out)), x, k, s)
_ties = rng.integers(0, 3, size=(2, 3, 7, 8)).astype(float)          # many ties, overlapping windows
_grader.compare_max_backward(rng.normal(size=(2, 3, 3, 3)), _ties, 3, 2)
_grader.compare_max_backward(rng.normal(size=(2, 3, 3, 4)), _ties, 2)
_grader.compare_max_backward(rng.normal(size=(2, 2, 2, 3)), rng.integers(-2, 2, size=(2, 2, 6, 7)), (3, 2), (2, 2))
### END HIDDEN TESTS
# Non-square windows and a stride that does not tile: (1, 1, 3, 5) pooled by (2, 2) keeps rows 0-1 and columns 0-3.
x = np.arange(15.0).reshape(1, 1, 3, 5)
dx = max_pool2d_backward(np.array([[[[1.0, 2.0]]]]), x, 2)
assert np.allclose(dx[0, 0], [[0, 0, 0, 0, 0], [0, 1, 0, 2, 0], [0, 0, 0, 0, 0]]), \
    f"the maxima of the two 2x2 windows are x[1, 1] and x[1, 3]; row 2 and column 4 are in no window: got\n{dx[0, 0]}"
dx = max_pool2d_backward(np.ones((2, 1, 1, 2)), np.stack([x[0], -x[0]]), (3, 2), (1, 2))
assert np.allclose(dx[1, 0], [[1, 0, 1, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]), \
    f"for the negated image the maxima of the (3, 2) windows are on row 0: got\n{dx[1, 0]}: pool each image on its own"
print("max_pool2d_backward: the stride and window-shape examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_max_pool2d_backward_loops", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Part C: the for-loop rule (1 point): explicit for-loops over the output positions, no windowing functions.
### BEGIN HIDDEN TESTS
_grader.grade_alone("max_pool2d_backward")
_grader.check_loops("max_pool2d_backward")
### END HIDDEN TESTS
if inspect.isfunction(max_pool2d_backward):   # in your notebook: a preview of the rule, read from your code
    loop_rule_preview(max_pool2d_backward)
print("max_pool2d_backward: the for-loop rule preview passes (the grader checks the rule again).")

# %% nbgrader={"grade": true, "grade_id": "test_avg_pool2d_backward_example", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Part C: avg_pool2d_backward on examples you can check by hand (3 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("avg_pool2d_backward")
_grader.compare_avg_backward(_np.array([[4.0, 8.0], [-4.0, 2.0]])[None, None], (1, 1, 4, 4), 2)
_grader.compare_avg_backward(_np.array([[3.0, 6.0]])[None, None], (1, 1, 1, 4), (1, 3), 1)
### END HIDDEN TESTS
dout = np.array([[4.0, 8.0], [-4.0, 2.0]])[None, None]
dout_before = dout.copy()
dx = avg_pool2d_backward(dout, (1, 1, 4, 4), 2)
expected = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [-1, -1, 0.5, 0.5], [-1, -1, 0.5, 0.5]])
assert isinstance(dx, np.ndarray) and dx.shape == (1, 1, 4, 4), f"dx should have shape x_shape (1, 1, 4, 4), got {np.shape(dx)}"
if np.allclose(dx[0, 0], 4 * expected):
    raise AssertionError("dout was not divided by the window's size: each of the kH * kW elements gets dout / (kH * kW)")
assert np.allclose(dx[0, 0], expected), f"avg_pool2d_backward returned\n{dx[0, 0]}\nexpected\n{expected}"
assert np.array_equal(dout, dout_before), "avg_pool2d_backward modified dout"
# Overlapping (1, 3) windows, stride 1: the middle elements are in both windows.
dx = avg_pool2d_backward(np.array([[3.0, 6.0]])[None, None], (1, 1, 1, 4), (1, 3), 1)
assert np.allclose(dx[0, 0], [[1, 3, 3, 2]]), \
    (f"windows 0-2 and 1-3 spread 3 / 3 = 1 and 6 / 3 = 2: expected [[1, 3, 3, 2]], got {dx[0, 0]}. Overlapping "
     "windows add up (+=)")
print("avg_pool2d_backward: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_avg_pool2d_backward_reference", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Part C: hidden tests compare avg_pool2d_backward with a reference on random batches, non-square windows, strides
# that do not tile the input and overlapping windows (4 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("avg_pool2d_backward")
rng = _np.random.default_rng(32)
for shape, k, s in [((2, 3, 6, 8), 2, None), ((1, 2, 7, 9), 3, None), ((2, 2, 7, 6), (2, 3), None),
                    ((1, 3, 8, 8), 3, 2), ((2, 1, 9, 7), (3, 2), (2, 1)), ((1, 1, 5, 5), 5, None), ((1, 2, 5, 6), (1, 2), None)]:
    H_out, W_out = ((shape[2] - _grader.pair(k)[0]) // _grader.pair(k if s is None else s)[0] + 1,
                    (shape[3] - _grader.pair(k)[1]) // _grader.pair(k if s is None else s)[1] + 1)
    _grader.compare_avg_backward(rng.normal(size=shape[:2] + (H_out, W_out)), shape, k, s)
### END HIDDEN TESTS
# A (2, 1) window with stride 2 on a 5x3 input: row 4 is in no window and gets 0.
dx = avg_pool2d_backward(np.arange(6.0).reshape(1, 1, 2, 3), (1, 1, 5, 3), (2, 1))
assert np.shape(dx) == (1, 1, 5, 3), f"dx should have shape (1, 1, 5, 3), got {np.shape(dx)}"
assert np.allclose(dx[0, 0], [[0, 0.5, 1], [0, 0.5, 1], [1.5, 2, 2.5], [1.5, 2, 2.5], [0, 0, 0]]), \
    f"a (2, 1) window spreads dout / 2 over two rows; row 4 is in no window: got\n{dx[0, 0]}"
print("avg_pool2d_backward: the window-shape example passes.")

# %% nbgrader={"grade": true, "grade_id": "test_avg_pool2d_backward_loops", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Part C: the for-loop rule (1 point): explicit for-loops over the output positions, no windowing functions.
### BEGIN HIDDEN TESTS
_grader.grade_alone("avg_pool2d_backward")
_grader.check_loops("avg_pool2d_backward")
### END HIDDEN TESTS
if inspect.isfunction(avg_pool2d_backward):   # in your notebook: a preview of the rule, read from your code
    loop_rule_preview(avg_pool2d_backward)
print("avg_pool2d_backward: the for-loop rule preview passes (the grader checks the rule again).")

# %% [markdown]
# ## 5. Making the convolution fast: loop over the kernel, not the image
#
# Your loops run one Python iteration per output position, and an iteration that slices and multiplies NumPy arrays
# costs several microseconds, however little arithmetic it does. Libraries rearrange the computation so that the work happens in a few big NumPy calls. The trick
# (the idea behind "im2col"): for each kernel offset $(a, b)$, the strided slice
# `padded[:, :, a : a + sH*(H_out-1) + 1 : sH, b : b + sW*(W_out-1) + 1 : sW]` holds, **for every output position at
# once**, the input value that meets `weight[:, :, a, b]`. The output is the sum over the $k_H k_W$ offsets of each
# slice contracted with `weight[:, :, a, b]` over the channels. The figure shows the four slices of a 4×4 input for a
# 2×2 kernel: each is 3×3, the size of the output, and the output is $\sum_{a,b} w_{ab} \cdot \text{slice}_{ab}$.
# Only $k_H k_W$ Python iterations remain, however large the image. (Stacking the slices into one matrix of
# shape `(C kH kW, N H_out W_out)` and multiplying it by the weights reshaped to `(F, C kH kW)` is im2col proper.)

# %% tags=["figure:im2col"]
image_4x4 = np.array([[1, 2, 0, 3], [4, 1, 1, 0], [0, 2, 5, 1], [3, 1, 0, 2]], dtype=float)
kernel_2x2 = np.array([[1, 0], [-1, 2]], dtype=float)
fig, axes = plt.subplots(1, 6, figsize=(17, 3.6), layout="constrained", gridspec_kw={"width_ratios": [1.3, 1, 1, 1, 1, 1]})
draw_grid(axes[0], kernel_2x2, "kernel w (2×2)", cmap="PuOr", vmin=-3, vmax=3)
total = np.zeros((3, 3))
for k, (a, b) in enumerate(np.ndindex(2, 2)):
    total += kernel_2x2[a, b] * image_4x4[a:a + 3, b:b + 3]
    draw_grid(axes[k + 1], image_4x4, f"offset ({a}, {b}): slice x[{a}:{a + 3}, {b}:{b + 3}]\ntimes w[{a}, {b}] = "
              f"{kernel_2x2[a, b]:g}", window=(a, b, 3, 3), dim_outside=True, vmin=-1, vmax=7)
draw_grid(axes[5], total, "output = sum of the four\nweighted slices", cmap="RdBu_r", vmin=-12, vmax=12)
fig.suptitle("im2col without a matrix: one strided slice per kernel offset, each as large as the output")
plt.show()
print("equals the loop version:", np.allclose(total, conv2d(image_4x4[None, None], kernel_2x2[None, None])[0, 0]))

# %% [markdown]
# ## Part D: `conv2d_fast` (13 points)
#
# `conv2d_fast(x, weight, bias=None, stride=1, padding=0)` returns the same result as the first assignment's `conv2d`
# (the provided `conv2d` above, with PyTorch's semantics), with Python loops only over the kernel offsets: at most
# `kH * kW` iterations, none over the output positions, the images, the channels or the filters. Raise `ValueError` as
# `conv2d` did: `x` or `weight` not 4-D, the channels differ, the kernel larger than the padded input, a stride below 1
# or a negative padding. `np.pad`, slicing, `np.einsum`, `np.tensordot`, `@`, and even `sliding_window_view` and
# `as_strided` are allowed here; library convolutions (`np.convolve`, `scipy.signal`, `torch`) are not.
#
# The speed test runs your function on inputs with one large axis each (400×400 output positions with a 1×1
# kernel, or 100,000 images, channels or filters): a Python loop over that axis takes at least 0.2 s there, while
# vectorised code takes about a millisecond.

# %% nbgrader={"grade": false, "grade_id": "conv2d_fast", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_fast(x, weight, bias=None, stride=1, padding=0):
    # conv2d(x, weight, bias, stride, padding) with Python loops only over the kernel offsets.
    #
    # x: (N, C, H, W); weight: (F, C, kH, kW); bias: (F,) or None; stride, padding: int or (h, w)
    # returns (N, F, H_out, W_out)
    ### BEGIN SOLUTION
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"x and weight must be 4-D, got shapes {x.shape} and {weight.shape}")
    N, C, H, W = x.shape
    F, C_w, kH, kW = weight.shape
    if C_w != C:
        raise ValueError(f"x has {C} channels but weight expects {C_w}")
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    if sh < 1 or sw < 1 or ph < 0 or pw < 0:
        raise ValueError(f"stride must be >= 1 and padding >= 0, got {stride} and {padding}")
    if kH > H + 2 * ph or kW > W + 2 * pw:
        raise ValueError(f"the kernel {(kH, kW)} is larger than the padded input {(H + 2 * ph, W + 2 * pw)}")
    H_out, W_out = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((N, F, H_out, W_out))
    for a in range(kH):
        for b in range(kW):
            patch = padded[:, :, a:a + sh * (H_out - 1) + 1:sh, b:b + sw * (W_out - 1) + 1:sw]   # (N, C, H_out, W_out)
            out += np.einsum("nchw,fc->nfhw", patch, weight[:, :, a, b])
    if bias is not None:
        out += np.asarray(bias, dtype=float)[None, :, None, None]
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv2d_fast", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
# Part D: conv2d_fast agrees with conv2d: batches, channels, filters, bias, strides that do not tile the input,
# padding, int and pair arguments, integer inputs (7 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_fast")
rng = _np.random.default_rng(41)
cases = [
    # (N, C, H, W), (F, kH, kW), bias, stride, padding
    ((2, 3, 7, 9), (4, 3, 2), True, 1, 0),
    ((1, 2, 6, 5), (3, 1, 1), True, 1, 0),
    ((3, 1, 5, 6), (2, 5, 6), True, 1, 0),
    ((2, 2, 9, 8), (3, 2, 2), False, 3, 0),
    ((2, 3, 7, 6), (2, 3, 3), True, 2, 1),
    ((1, 2, 8, 7), (3, 3, 2), True, (2, 1), (0, 2)),
    ((2, 1, 5, 5), (2, 3, 3), True, (1, 2), 1),
    ((1, 4, 6, 9), (5, 4, 3), True, 1, (2, 1)),
    ((1, 1, 2, 3), (1, 4, 4), True, 1, (1, 1)),
]
for xshape, (F, kH, kW), has_bias, stride, padding in cases:
    _grader.compare_fast(rng.normal(size=xshape), rng.normal(size=(F, xshape[1], kH, kW)),
                         rng.normal(size=F) if has_bias else None, stride, padding)
_grader.compare_fast(rng.integers(-4, 5, size=(2, 2, 5, 6)), rng.integers(-2, 3, size=(3, 2, 2, 2)),
                     rng.integers(-2, 3, size=3), 1, 1)
_grader.compare_fast(rng.normal(size=(2, 3, 6, 7)).astype(_np.float32), rng.normal(size=(2, 3, 3, 3)).astype(_np.float32),
                     rng.normal(size=2).astype(_np.float32), 2, 1)
### END HIDDEN TESTS
x = np.arange(16.0).reshape(1, 1, 4, 4)
out = conv2d_fast(x, np.ones((1, 1, 2, 2)))
assert isinstance(out, np.ndarray) and out.shape == (1, 1, 3, 3), \
    f"a 4x4 image and a 2x2 kernel give (1, 1, 3, 3), got {getattr(out, 'shape', out)}"
assert np.allclose(out[0, 0], [[10, 14, 18], [26, 30, 34], [42, 46, 50]]), f"2x2 window sums of arange(16): got\n{out[0, 0]}"
# A kernel that is not symmetric: cross-correlation, no flip.
out = conv2d_fast(np.arange(8).reshape(1, 1, 2, 4), np.array([[[[0.5, 1.0]]]]))
if np.allclose(out[0, 0], [[0.5, 2, 3.5], [6.5, 8, 9.5]]):
    raise AssertionError("conv2d_fast flipped the kernel (true convolution); use the kernel as it is")
assert np.allclose(out[0, 0], [[1, 2.5, 4], [7, 8.5, 10]]) and np.issubdtype(out.dtype, np.floating), \
    f"conv2d_fast(integer x, [[0.5, 1]]) returned\n{out[0, 0]} ({out.dtype}), expected floats [[1, 2.5, 4], [7, 8.5, 10]]"
# Pairs, and a stride that does not tile: stride (2, 1) and padding (0, 1) on 4x4 with a 2x2 kernel.
out = conv2d_fast(x, np.ones((1, 1, 2, 2)), stride=(2, 1), padding=(0, 1))
assert out.shape == (1, 1, 2, 5) and np.allclose(out[0, 0], [[4, 10, 14, 18, 10], [20, 42, 46, 50, 26]]), \
    f"stride=(2, 1), padding=(0, 1): got {out.shape}\n{out[0, 0]}\nexpected (1, 1, 2, 5)\n[[4, 10, 14, 18, 10], [20, 42, 46, 50, 26]]"
out = conv2d_fast(x, np.ones((1, 1, 3, 3)), stride=2)
assert out.shape == (1, 1, 1, 1) and np.allclose(out, 45), \
    f"stride 2 with a 3x3 kernel on 4x4: one window (rows and columns 0-2), sum 45; got {out.ravel()}"
# Channels, filters and bias, against the provided conv2d.
rng = np.random.default_rng(5)
x, w, b = rng.normal(size=(2, 3, 5, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
x_before, w_before = x.copy(), w.copy()
out = conv2d_fast(x, w, b, stride=(2, 1), padding=1)
assert np.allclose(out, conv2d(x, w, b, stride=(2, 1), padding=1)), \
    "conv2d_fast(x, w, b, stride=(2, 1), padding=1) disagrees with conv2d on 2 images, 3 channels, 4 filters"
assert np.array_equal(x, x_before) and np.array_equal(w, w_before), "conv2d_fast modified an input in place"
print("conv2d_fast: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_fast_errors", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Part D: invalid inputs raise ValueError (2 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_fast")
_grader.expect_value_error("conv2d_fast", _np.ones((1, 1, 4, 4)), _np.ones((1, 2, 2)))
_grader.expect_value_error("conv2d_fast", _np.ones((2, 1, 3, 3)), _np.ones((1, 1, 4, 4)), padding=0)
_grader.expect_value_error("conv2d_fast", _np.ones((1, 1, 3, 8)), _np.ones((1, 1, 6, 2)), padding=(1, 3))
_grader.expect_value_error("conv2d_fast", _np.ones((1, 4, 5, 5)), _np.ones((2, 3, 3, 3)))
_grader.expect_value_error("conv2d_fast", _np.ones((1, 3, 4, 4)), _np.ones((2, 1, 2, 2)))
_grader.expect_value_error("conv2d_fast", _np.ones((1, 1, 4, 4)), _np.ones((1, 1, 2, 2)), stride=0)
_grader.expect_value_error("conv2d_fast", _np.ones((1, 1, 4, 4)), _np.ones((1, 1, 2, 2)), padding=-1)
### END HIDDEN TESTS
bad_calls = [
    ((np.ones((3, 5, 5)), np.ones((1, 3, 2, 2))), {}, "x is 3-D"),
    ((np.ones((1, 3, 5, 5)), np.ones((1, 2, 2, 2))), {}, "x has 3 channels but weight expects 2"),
    ((np.ones((1, 3, 5, 5)), np.ones((2, 1, 2, 2))), {}, "x has 3 channels but weight expects 1 (NumPy would broadcast)"),
    ((np.ones((1, 1, 4, 4)), np.ones((1, 2, 2))), {}, "weight is 3-D"),
    ((np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 4))), {}, "the 4x4 kernel is larger than the 3x3 input"),
    ((np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))), dict(stride=0), "the stride is 0"),
    ((np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))), dict(padding=(0, -1)), "the padding is negative"),
]
for args, kwargs, why in bad_calls:
    try:
        conv2d_fast(*args, **kwargs)
    except ValueError:
        pass
    else:
        raise AssertionError(f"conv2d_fast should raise ValueError when {why}")
print("conv2d_fast: invalid inputs raise ValueError.")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_fast_library", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Part D: no library convolution (1 point): np.convolve, np.correlate, scipy.signal, torch and the like are not
# allowed in conv2d_fast (sliding_window_view, as_strided, einsum and tensordot are).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_fast")
_grader.compare_fast(_np.arange(12.0).reshape(1, 1, 3, 4), _np.ones((2, 1, 2, 2)), _np.array([0.5, -1.0]), 1, 1)
_grader.check_loops("conv2d_fast", names=_grader.FAST_LIBRARY_NAMES, modules=_grader.FAST_LIBRARY_MODULES,
                    require_loop=False)
### END HIDDEN TESTS
if inspect.isfunction(conv2d_fast):   # in your notebook: a preview of the rule, read from your code
    loop_rule_preview(conv2d_fast, require_loop=False,
                      banned={"convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve",
                              "scipy", "torch", "tensorflow", "jax", "cv2", "skimage"})
print("conv2d_fast: the library rule preview passes (the grader checks the rule again).")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_fast_speed", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Part D: no Python loop over the output positions, the images, the channels or the filters (3 points). The visible
# check times your function on inputs with one large axis each; the hidden test does the same against the
# reference's time on the same machine.
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_fast")
_grader.check_speed("conv2d_fast")
### END HIDDEN TESTS
rng = np.random.default_rng(0)
for what, x_shape, w_shape in [("output positions", (1, 1, 400, 400), (1, 1, 1, 1)),
                               ("images", (100_000, 1, 1, 1), (1, 1, 1, 1)),
                               ("input channels", (1, 100_000, 1, 1), (1, 100_000, 1, 1)),
                               ("filters", (1, 1, 1, 1), (100_000, 1, 1, 1))]:
    x, w = rng.normal(size=x_shape), rng.normal(size=w_shape)
    # A vectorised conv2d_fast takes about a millisecond here; the limit leaves room for moving the arrays
    # (0.15 s per MB), which the grader's re-run of this cell pays and a slow machine may too.
    limit = 0.1 + 0.15 * (x.nbytes + w.nbytes + x_shape[0] * w_shape[0] * x_shape[2] * x_shape[3] * 8) / 1e6
    seconds = []
    for attempt in range(3):
        start = time.perf_counter()
        out = conv2d_fast(x, w)
        seconds.append(time.perf_counter() - start)
        if seconds[-1] > 5 * limit:
            break   # far too slow: another try will not bring it under the limit
    assert np.allclose(out, np.einsum("nchw,fc->nfhw", x, w[:, :, 0, 0])), f"conv2d_fast is wrong on x {x_shape}, weight {w_shape}"
    assert min(seconds) < limit, \
        (f"conv2d_fast took {min(seconds):.2f} s on x {x_shape} with weight {w_shape}: it looks like a Python loop over "
         f"the {what}. Loop only over the kernel offsets (here 1x1: one iteration)")
    print(f"{what:>16}: {min(seconds) * 1e3:6.1f} ms")
print("conv2d_fast: no loop over positions, images, channels or filters.")

# %% [markdown]
# How much faster? The plot times the provided `conv2d` (loops over positions), your `conv2d_fast` and your
# `conv2d_backward` (loops over positions) on 2 images of 3 channels with 8 filters of 3×3 and padding 1, as the
# images grow. All three grow with the number of positions $H \times W$, but the loop versions pay several microseconds
# of Python overhead per position and `conv2d_fast` only the arithmetic: on the log scale the gap between the curves
# is that overhead, more than a factor of 10 at the larger sizes.

# %% tags=["figure:timing"]
sizes = [8, 16, 32, 64, 128]
rng = np.random.default_rng(1)
weights_t = rng.normal(size=(8, 3, 3, 3))
timings = {"conv2d (loops over positions)": [], "your conv2d_fast": [], "your conv2d_backward (loops)": []}
for size in sizes:
    images = rng.normal(size=(2, 3, size, size))
    upstream = rng.normal(size=(2, 8, size, size))
    for name, run in [("conv2d (loops over positions)", lambda: conv2d(images, weights_t, padding=1)),
                      ("your conv2d_fast", lambda: conv2d_fast(images, weights_t, padding=1)),
                      ("your conv2d_backward (loops)", lambda: conv2d_backward(upstream, images, weights_t, padding=1))]:
        try:
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)
        except NotImplementedError:
            timings[name].append(np.nan)
plt.figure(figsize=(7, 4.2))
for (name, seconds), marker in zip(timings.items(), "osd"):
    plt.plot(sizes, seconds, marker + "-", label=name)
plt.yscale("log")
plt.xlabel("image height = width (2 images, 3 → 8 channels, 3×3 kernel, padding 1)")
plt.ylabel("seconds (log scale)")
plt.title("Loops over positions versus loops over the kernel")
plt.legend()
plt.show()
if not np.isnan(timings["your conv2d_fast"]).all():
    print(f"at {sizes[-1]}x{sizes[-1]}: conv2d_fast is "
          f"{timings['conv2d (loops over positions)'][-1] / timings['your conv2d_fast'][-1]:.0f}x faster than the loops")

# %% [markdown]
# ## 6. The loss: softmax cross-entropy
#
# The network's last layer gives $K$ scores per image, the **logits** $z$. The softmax turns them into probabilities,
# $p_k = e^{z_k} / \sum_j e^{z_j}$, and the cross-entropy loss of an image with label $y$ is $-\log p_y$: 0 when the
# network is sure and right, large when it is sure and wrong. Two facts make it pleasant:
#
# - its gradient is simple: $\partial(-\log p_y)/\partial z_k = p_k - [k = y]$, "softmax minus one-hot". For the
#   mean over a batch of $N$, divide by $N$.
# - it can be computed exactly for any logits. $e^{1000}$ overflows to `inf` in float64, so never compute
#   $e^{z}$ directly: subtract each row's maximum first (the softmax does not change when every $z_k$ moves by the same
#   amount), and compute the **log**-softmax $\log p_k = (z_k - m) - \log\sum_j e^{z_j - m}$ directly. Every
#   $e^{z_j - m}$ is then at most 1 and the sum at least 1, so nothing overflows and the log never sees 0. Taking
#   $\log(p + \varepsilon)$ instead "works" but is wrong: a confident mistake with logits 1e4 apart costs $10^4$, not
#   $-\log\varepsilon \approx 28$.
#
# ## Part E: `softmax_cross_entropy` (12 points)
#
# `softmax_cross_entropy(logits, y)` takes `logits (N, K)` and integer labels `y (N,)` in `[0, K)`, and returns
# `(loss, dlogits)`: the mean over the batch of `-log softmax(logits)[n, y[n]]` (a float) and
# `dlogits = (softmax(logits) - onehot(y)) / N`. It must be exact and silent for logits as large as 1e4 in absolute
# value: no overflow, no `log(0)`, no warning (an `exp` that underflows to 0 is fine: NumPy does not warn about it).
# Raise `ValueError` if `logits` is not 2-D, `y` is not 1-D of length N, or a label is out of range. Leave the inputs
# unchanged.
#
# For `logits = [[2, 0], [0, 0]]` and `y = [0, 1]`: the losses are $\log(1 + e^{-2}) \approx 0.1269$ and $\log 2$, so
# the loss is about 0.4100.

# %% nbgrader={"grade": false, "grade_id": "softmax_cross_entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_cross_entropy(logits, y):
    # Mean cross-entropy of softmax(logits) against the labels y, and its gradient with respect to the logits.
    #
    # logits: (N, K) floats; y: (N,) integers in [0, K)
    # returns (loss, dlogits): a float and an (N, K) array
    ### BEGIN SOLUTION
    logits, y = np.asarray(logits, dtype=float), np.asarray(y)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (N, K), got shape {logits.shape}")
    N, K = logits.shape
    if y.shape != (N,):
        raise ValueError(f"y must have shape ({N},), got {y.shape}")
    if N and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"labels must be in [0, {K}), got {y.min()} to {y.max()}")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
    return float(loss), dlogits / N
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_softmax_cross_entropy", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Part E: the loss and its gradient on examples you can check by hand and on random logits (5 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("softmax_cross_entropy")
_grader.compare_softmax(_np.array([[2.0, 0.0], [0.0, 0.0]]), _np.array([0, 1]))
rng = _np.random.default_rng(51)
for N, K in [(5, 3), (1, 4), (7, 10), (3, 2)]:
    _grader.compare_softmax(rng.normal(scale=3, size=(N, K)), rng.integers(0, K, size=N))
_grader.compare_softmax(rng.normal(size=(4, 6)).astype(_np.float32), _np.array([5, 0, 2, 2]))
### END HIDDEN TESTS
logits = np.array([[2.0, 0.0], [0.0, 0.0]])
y = np.array([0, 1])
logits_before, y_before = logits.copy(), y.copy()
result = softmax_cross_entropy(logits, y)
assert isinstance(result, (tuple, list)) and len(result) == 2, "softmax_cross_entropy should return the pair (loss, dlogits)"
loss, dlogits = result
assert np.ndim(loss) == 0, f"the loss should be one number (the mean over the batch), got shape {np.shape(loss)}"
expected_loss = (np.log(1 + np.exp(-2)) + np.log(2)) / 2
if np.isclose(loss, 2 * expected_loss):
    raise AssertionError(f"the loss is {float(loss):.4f}, the sum over the batch: it should be the mean, {expected_loss:.4f}")
assert np.isclose(loss, expected_loss), f"the loss is {loss}, expected {expected_loss:.6f}"
p = 1 / (1 + np.exp(-2))                                   # softmax([2, 0])[0]
expected_d = np.array([[p - 1, 1 - p], [0.5, -0.5]]) / 2
assert np.shape(dlogits) == (2, 2), f"dlogits should have the logits' shape (2, 2), got {np.shape(dlogits)}"
if np.allclose(dlogits, 2 * expected_d):
    raise AssertionError("dlogits was not divided by N: the loss is a mean, so dlogits = (softmax - onehot) / N")
if np.allclose(dlogits, -expected_d):
    raise AssertionError("dlogits has the wrong sign: it is (softmax - onehot) / N")
assert np.allclose(dlogits, expected_d), f"dlogits =\n{dlogits}\nexpected\n{expected_d}"
assert np.array_equal(logits, logits_before) and np.array_equal(y, y_before), "softmax_cross_entropy modified its input"
# Each row of dlogits sums to 0, and the gradient agrees with a finite difference.
rng = np.random.default_rng(3)
z, labels = rng.normal(size=(4, 5)), np.array([4, 0, 2, 2])
loss, dz = softmax_cross_entropy(z, labels)
step = np.zeros((4, 5))
step[1, 3] = 1e-6
numeric = (softmax_cross_entropy(z + step, labels)[0] - softmax_cross_entropy(z - step, labels)[0]) / 2e-6
assert np.allclose(np.sum(dz, axis=1), 0), "each row of dlogits should sum to 0 (softmax sums to 1, the one-hot too)"
assert np.isclose(dz[1, 3], numeric, atol=1e-8), f"dlogits[1, 3] = {dz[1, 3]:.8f}, a finite difference gives {numeric:.8f}"
print("softmax_cross_entropy: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_softmax_cross_entropy_stable", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Part E: exact and silent for logits of 1e4 (4 points): no overflow, no log(0), no warning.
### BEGIN HIDDEN TESTS
_grader.grade_alone("softmax_cross_entropy")
_grader.compare_softmax(_np.array([[1e4, 0.0], [0.0, 1e4]]), _np.array([1, 1]))
_grader.compare_softmax(_np.array([[-1e4, 1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]]), _np.array([0, 2, 1]))
rng = _np.random.default_rng(52)
_grader.compare_softmax(rng.normal(scale=3000, size=(6, 5)), rng.integers(0, 5, size=6))
_grader.compare_softmax(_np.array([[800.0, -800.0, 0.0]]), _np.array([1]))
### END HIDDEN TESTS
big = np.array([[1e4, 0.0], [0.0, 1e4]])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    loss, dlogits = softmax_cross_entropy(big, np.array([1, 1]))
assert not caught, \
    (f"softmax_cross_entropy warned: {caught[0].message if caught else ''}. Subtract each row's maximum before exp, and "
     "compute log-softmax as shifted - log(sum(exp(shifted))) instead of log(softmax)")
assert np.isfinite(loss) and np.all(np.isfinite(dlogits)), \
    f"for logits 1e4 apart the loss is {loss} and dlogits\n{dlogits}: exp overflowed; subtract each row's maximum first"
if 10 < loss < 100:
    raise AssertionError(f"the loss is {loss:.4g}, expected 5000: it looks like the log of a clipped probability, "
                         "log(p + eps) or log(max(p, eps)); compute log-softmax exactly: shifted - log(sum(exp(shifted)))")
assert np.isclose(loss, 5000.0, rtol=1e-12), \
    f"image 0 is sure of class 0 but labelled 1 (loss 1e4), image 1 is right (loss 0): the mean is 5000, got {loss}"
assert np.allclose(dlogits, [[0.5, -0.5], [0.0, 0.0]]), f"dlogits =\n{dlogits}\nexpected [[0.5, -0.5], [0, 0]]"
print("softmax_cross_entropy: exact and silent at 1e4.")

# %% nbgrader={"grade": true, "grade_id": "test_softmax_cross_entropy_errors", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Part E: invalid inputs raise ValueError (3 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("softmax_cross_entropy")
_grader.expect_value_error("softmax_cross_entropy", _np.ones((2, 3, 1)), _np.array([0, 1]))
_grader.expect_value_error("softmax_cross_entropy", _np.ones((2, 3)), _np.array([[0], [1]]))
_grader.expect_value_error("softmax_cross_entropy", _np.ones((2, 3)), _np.array([0, 1, 2]))
_grader.expect_value_error("softmax_cross_entropy", _np.ones((3, 3)), _np.array([0, 1]))
_grader.expect_value_error("softmax_cross_entropy", _np.ones((2, 3)), _np.array([0, 3]))
_grader.expect_value_error("softmax_cross_entropy", _np.ones((2, 3)), _np.array([-1, 0]))
_grader.expect_value_error("softmax_cross_entropy", _np.ones(3), _np.array([0]))
### END HIDDEN TESTS
bad_calls = [((np.ones(3), np.array([0])), "logits is 1-D"),
             ((np.ones((2, 3, 1)), np.array([0, 1])), "logits is 3-D"),
             ((np.ones((2, 3)), np.array([[0], [1]])), "y is 2-D"),
             ((np.ones((2, 3)), np.array([0, 1, 2])), "y has 3 labels for 2 rows"),
             ((np.ones((2, 3)), np.array([0, 3])), "the label 3 is out of range for K = 3"),
             ((np.ones((2, 3)), np.array([-1, 0])), "the label -1 is out of range")]
for args, why in bad_calls:
    try:
        softmax_cross_entropy(*args)
    except ValueError:
        pass
    else:
        raise AssertionError(f"softmax_cross_entropy should raise ValueError when {why}")
print("softmax_cross_entropy: invalid inputs raise ValueError.")

# %% [markdown]
# ## 7. Layers that learn
#
# The layers below are provided. Each has `forward(x)`, which remembers what `backward` will need, and `backward(dout)`,
# which returns the gradient with respect to the layer's input and keeps the gradients of its parameters for
# `gradients()`, aligned with `parameters()`. `Conv2D` runs your `conv2d_fast` forward and your `conv2d_backward`
# backward, `MaxPool2D` your `max_pool2d_backward`. `SimpleConvNet` is the first assignment's network for 8×8 digits:
#
# ```
# Conv2D(1, 8, 3, padding=1) → ReLU → MaxPool2D(2) → Flatten → Dense(8 * 4 * 4, 10)
# ```
#
# `LoggingNet(net)` wraps a network and keeps a copy of every batch it is given (`batches`) and of the parameters at
# that moment (`snapshots`); the tests of `train` read them.

# %% nbgrader={"grade": false, "grade_id": "provided_layers", "locked": true, "schema_version": 3, "solution": false, "task": false}
def max_pool2d(x, kernel_size, stride=None):
    # The first assignment's max pooling: the maximum of each window of every channel.
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    N, C, H, W = np.shape(x)
    H_out, W_out = (H - kH) // sH + 1, (W - kW) // sW + 1
    out = np.zeros((N, C, H_out, W_out), dtype=np.asarray(x).dtype)
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW].max(axis=(2, 3))
    return out


class Conv2D:
    # weight (out, in, kH, kW) He-initialised, bias zeros; forward with conv2d_fast, backward with conv2d_backward.
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, seed=None):
        kH, kW = as_pair(kernel_size)
        rng = np.random.default_rng(seed)
        self.weight = rng.normal(0.0, np.sqrt(2.0 / (in_channels * kH * kW)), size=(out_channels, in_channels, kH, kW))
        self.bias = np.zeros(out_channels)
        self.stride, self.padding = stride, padding
        self.dweight, self.dbias = np.zeros_like(self.weight), np.zeros_like(self.bias)

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        return conv2d_fast(self.x, self.weight, self.bias, self.stride, self.padding)

    def backward(self, dout):
        dx, self.dweight, self.dbias = conv2d_backward(dout, self.x, self.weight, self.stride, self.padding)
        return dx

    def parameters(self):
        return [self.weight, self.bias]

    def gradients(self):
        return [self.dweight, self.dbias]


class ReLU:
    def forward(self, x):
        self.positive = np.asarray(x) > 0
        return np.where(self.positive, x, 0.0)

    def backward(self, dout):
        return dout * self.positive

    def parameters(self):
        return []

    def gradients(self):
        return []


class MaxPool2D:
    def __init__(self, kernel_size, stride=None):
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x):
        self.x = x
        return max_pool2d(x, self.kernel_size, self.stride)

    def backward(self, dout):
        return max_pool2d_backward(dout, self.x, self.kernel_size, self.stride)

    def parameters(self):
        return []

    def gradients(self):
        return []


class Flatten:
    # (N, d1, d2, ...) -> (N, d1 * d2 * ...), row-major; backward reshapes back.
    def forward(self, x):
        self.shape = np.shape(x)
        return np.reshape(x, (len(x), -1))

    def backward(self, dout):
        return np.reshape(dout, self.shape)

    def parameters(self):
        return []

    def gradients(self):
        return []


class Dense:
    # y = x @ weight + bias, weight (in_features, out_features) He-initialised, bias zeros.
    def __init__(self, in_features, out_features, seed=None):
        rng = np.random.default_rng(seed)
        self.weight = rng.normal(0.0, np.sqrt(2.0 / in_features), size=(in_features, out_features))
        self.bias = np.zeros(out_features)
        self.dweight, self.dbias = np.zeros_like(self.weight), np.zeros_like(self.bias)

    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        return self.x @ self.weight + self.bias

    def backward(self, dout):
        self.dweight, self.dbias = self.x.T @ dout, np.sum(dout, axis=0)
        return dout @ self.weight.T

    def parameters(self):
        return [self.weight, self.bias]

    def gradients(self):
        return [self.dweight, self.dbias]


class Sequential:
    # Layers applied in order; backward in reverse order.
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def gradients(self):
        return [g for layer in self.layers for g in layer.gradients()]


class SimpleConvNet(Sequential):
    # Conv2D(in, 8, 3, padding=1) -> ReLU -> MaxPool2D(2) -> Flatten -> Dense(8 * (H // 2) * (W // 2), num_classes)
    def __init__(self, in_channels=1, image_size=(8, 8), num_classes=10, seed=0):
        H, W = image_size
        conv_seed, dense_seed = np.random.default_rng(seed).integers(2**32, size=2)
        super().__init__([Conv2D(in_channels, 8, 3, padding=1, seed=conv_seed), ReLU(), MaxPool2D(2), Flatten(),
                          Dense(8 * (H // 2) * (W // 2), num_classes, seed=dense_seed)])


class LoggingNet:
    # Wraps a network; keeps a copy of every batch given to forward and of the parameters at that moment.
    def __init__(self, net):
        self.net, self.batches, self.snapshots = net, [], []

    def forward(self, x):
        self.batches.append(np.array(x))
        self.snapshots.append([np.array(p) for p in self.net.parameters()])
        return self.net.forward(x)

    def backward(self, dout):
        return self.net.backward(dout)

    def parameters(self):
        return self.net.parameters()

    def gradients(self):
        return self.net.gradients()


def predict(net, x, batch_size=500):
    # The predicted class of every image: the largest logit.
    return np.concatenate([np.argmax(net.forward(x[i:i + batch_size]), axis=1) for i in range(0, len(x), batch_size)])


# %% [markdown]
# Before training anything, check the whole backward pass of the network against numerical gradients: a small
# `SimpleConvNet`, three images, the gradient of the loss with respect to every parameter. Each relative error should be
# around 1e-7 or smaller (the max pool and the ReLU have kinks; a random input almost never sits on one).

# %%
try:
    check_net = SimpleConvNet(image_size=(6, 6), num_classes=3, seed=1)
    images_check = np.random.default_rng(2).normal(size=(3, 1, 6, 6))
    labels_check = np.array([0, 2, 1])
    loss, dlogits = softmax_cross_entropy(check_net.forward(images_check), labels_check)
    check_net.backward(dlogits)
    for name, parameter, gradient in zip(["conv weight", "conv bias", "dense weight", "dense bias"],
                                         check_net.parameters(), check_net.gradients()):
        def loss_at(value, parameter=parameter):
            saved = parameter.copy()
            parameter[...] = value
            result = softmax_cross_entropy(check_net.forward(images_check), labels_check)[0]
            parameter[...] = saved
            return result
        print(f"{name:>12}: relative error {relative_error(gradient, numerical_gradient(loss_at, parameter.copy())):.1e}")
except NotImplementedError:
    print("Write Parts A to E first.")

# %% [markdown]
# ## 8. Training: mini-batch stochastic gradient descent
#
# Gradient descent moves every parameter a small step against its gradient, $p \leftarrow p - \eta\, \partial L/\partial p$,
# with the **learning rate** $\eta$ (`lr`). Computing the loss on all training images for every step is slow and not
# needed: **mini-batch SGD** estimates the gradient from a small random batch. One **epoch** is one pass over the
# training set in a fresh random order, cut into consecutive batches.
#
# ## Part F: `train` (12 points)
#
# `train(net, x, y, epochs, lr, batch_size=32, seed=None)`:
#
# 1. create one generator for the whole call, `rng = np.random.default_rng(seed)`, before the first epoch;
# 2. in every epoch, draw `order = rng.permutation(N)` once (and use `rng` for nothing else), then visit the batches
#    `idx = order[i:i + batch_size]` for `i = 0, batch_size, 2 * batch_size, ...`; the last batch may be smaller and is
#    kept. Take `xb, yb = x[idx], y[idx]`;
# 3. for each batch: `logits = net.forward(xb)`, `loss, dlogits = softmax_cross_entropy(logits, yb)`,
#    `net.backward(dlogits)`, and update every parameter **in place**: `p -= lr * g` for `p, g` in
#    `zip(net.parameters(), net.gradients())`. (`p = p - lr * g` would only rebind the loop's name `p` to a new array:
#    the network would never see it.)
# 4. return a list of `epochs` floats: the mean of each epoch's batch losses (every batch counts once).
#
# The same seed then gives the same losses and the same weights.

# %% nbgrader={"grade": false, "grade_id": "train", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train(net, x, y, epochs, lr, batch_size=32, seed=None):
    # Mini-batch SGD on softmax cross-entropy; returns the mean batch loss of every epoch.
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    N = len(x)
    losses = []
    for epoch in range(epochs):
        order = rng.permutation(N)
        batch_losses = []
        for i in range(0, N, batch_size):
            idx = order[i:i + batch_size]
            xb, yb = x[idx], y[idx]
            logits = net.forward(xb)
            loss, dlogits = softmax_cross_entropy(logits, yb)
            net.backward(dlogits)
            for p, g in zip(net.parameters(), net.gradients()):
                p -= lr * g
            batch_losses.append(float(loss))
        losses.append(float(np.mean(batch_losses)))
    return losses
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_train", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
# Part F: the generator, the batch order, the losses and the in-place updates (8 points), on a linear classifier
# (one Dense layer) that you can follow by hand.
### BEGIN HIDDEN TESTS
_grader.grade_alone("train")
_grader.check_train(N=10, features=4, classes=3, epochs=3, lr=0.5, batch_size=4, seed=7)
_grader.check_train(N=12, features=3, classes=4, epochs=2, lr=0.2, batch_size=3, seed=0, data_seed=1)
_grader.check_train(N=5, features=2, classes=2, epochs=2, lr=1.0, batch_size=8, seed=3, data_seed=2)
_grader.check_train(N=9, features=5, classes=3, epochs=4, lr=0.3, batch_size=2, seed=11, data_seed=3)
### END HIDDEN TESTS
N = 5
x = np.zeros((N, 2))
x[:, 0] = np.arange(N)                         # feature 0 names the sample, so the batches can be read back
y = np.array([0, 1, 1, 0, 1])
net = LoggingNet(Dense(2, 2, seed=0))
W0, b0 = (p.copy() for p in net.parameters())
losses = train(net, x, y, epochs=2, lr=0.1, batch_size=2, seed=4)

# The batches: one generator for the whole call, one permutation per epoch, slices of 2, the last one smaller.
expected_rng = np.random.default_rng(4)
expected = []
for epoch in range(2):
    order = expected_rng.permutation(N)
    expected += [order[i:i + 2].tolist() for i in range(0, N, 2)]
seen = [batch[:, 0].astype(int).tolist() for batch in net.batches][:len(expected)]
assert len(seen) == 6, \
    (f"net.forward was called {len(net.batches)} times, expected 6: 2 epochs of 3 batches (2 + 2 + 1 samples; the last, "
     "smaller batch is kept)")
if seen[:3] == seen[3:]:
    raise AssertionError(f"both epochs visited the samples in the same order {seen[:3]}: create rng once, before the "
                         "first epoch, and draw a new order = rng.permutation(N) from it in every epoch")
assert seen == expected, \
    (f"the batches were {seen}, expected {expected}: rng = np.random.default_rng(seed) once, then order = "
     "rng.permutation(N) at the start of every epoch and idx = order[i:i + batch_size]")

# The losses: a list of 2 floats, each the mean of the epoch's 3 batch losses.
assert isinstance(losses, list) and len(losses) == 2, f"train should return a list of 2 floats (one per epoch), got {losses!r}"
def batch_loss(W, b, idx):
    logits = x[idx] @ W + b
    shifted = logits - logits.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(idx)), y[idx]]))
first_epoch = [batch_loss(*net.snapshots[k], expected[k]) for k in range(3)]
if np.isclose(losses[0], (2 * first_epoch[0] + 2 * first_epoch[1] + first_epoch[2]) / 5):
    raise AssertionError("the epoch's loss is weighted by batch size: it should be the plain mean of its batch losses")
assert np.isclose(losses[0], np.mean(first_epoch)), \
    f"the first epoch's loss is {losses[0]}, expected the mean of its batch losses {first_epoch}: {np.mean(first_epoch):.6f}"

# The updates, in place: after the first batch, weight = W0 - lr * x_b.T @ dlogits, bias = b0 - lr * sum(dlogits).
assert not all(np.array_equal(p, q) for p, q in zip(net.snapshots[1], [W0, b0])), \
    ("the parameters did not change after the first batch: update them in place, p -= lr * g (p = p - lr * g only "
     "rebinds the name p)")
xb, yb = x[expected[0]], y[expected[0]]
logits = xb @ W0 + b0
probs = np.exp(logits - logits.max(axis=1, keepdims=True))
probs /= probs.sum(axis=1, keepdims=True)
dlogits = (probs - np.eye(2)[yb]) / len(yb)
assert np.allclose(net.snapshots[1][0], W0 - 0.1 * xb.T @ dlogits) and np.allclose(net.snapshots[1][1], b0 - 0.1 * dlogits.sum(axis=0)), \
    "after the first batch the parameters should be p - lr * g, with g from net.backward(dlogits) of that batch"

# The same seed gives the same losses and weights.
again = LoggingNet(Dense(2, 2, seed=0))
assert train(again, x, y, epochs=2, lr=0.1, batch_size=2, seed=4) == losses and \
    all(np.array_equal(p, q) for p, q in zip(again.snapshots[5], net.snapshots[5])), \
    "train with the same seed gave different losses or weights: draw every random number from rng"
print("train: the visible examples pass (batch order, losses, in-place updates).")

# %% nbgrader={"grade": true, "grade_id": "test_train_learns", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Part F: train teaches SimpleConvNet to tell bars from one another (4 points). The hidden test trains on 4 kinds of
# noisy 8x8 bars for a fixed number of steps and checks that the loss falls and the test accuracy is well above chance.
### BEGIN HIDDEN TESTS
_grader.grade_alone("train")
_grader.check_learning()
### END HIDDEN TESTS
rng = np.random.default_rng(8)
labels = rng.integers(0, 2, size=64)
images = rng.normal(scale=0.2, size=(64, 1, 6, 6))
for k, position in enumerate(rng.integers(0, 6, size=64)):
    if labels[k] == 0:
        images[k, 0, position, :] += 1.0          # a horizontal bar
    else:
        images[k, 0, :, position] += 1.0          # a vertical bar
losses = train(LoggingNet(SimpleConvNet(image_size=(6, 6), num_classes=2, seed=0)), images, labels,
               epochs=4, lr=0.3, batch_size=16, seed=0)
assert len(losses) == 4 and all(np.isfinite(losses)), f"train returned {losses}"
assert losses[-1] < 0.5 * losses[0], \
    f"the loss went from {losses[0]:.3f} to {losses[-1]:.3f} in 4 epochs; it should at least halve on this easy task"
print("train: the loss falls from", [round(v, 3) for v in losses])

# %% [markdown]
# ## 9. Train a CNN on handwritten digits
#
# `digits.npz` holds 1,797 grayscale images of handwritten digits, 8×8 pixels each, from scikit-learn's `load_digits`
# (scikit-learn, BSD-3-Clause licence). scikit-learn's documentation describes them as a copy of the test set of the
# UCI "Optical Recognition of Handwritten Digits" data set (E. Alpaydin and C. Kaynak, 1998): digits written on NIST
# forms by 43 people, 30 of whom wrote that data set's training part and 13 others its test part, so these images come
# from those 13 writers. Each 32×32 bitmap was reduced to 8×8 by counting the "on" pixels in each 4×4 block (0 to 16). The file
# stores them scaled to [0, 1] with a fixed split: 1,437 images for training and 360 for testing, drawn so that every
# digit has the same share in both (`coursetools/assignments/cnn_backprop/make_digits.py` made it).

# %%
digits = np.load("digits.npz")
x_train, y_train, x_test, y_test = digits["x_train"], digits["y_train"], digits["x_test"], digits["y_test"]
print(f"training images {x_train.shape}, test images {x_test.shape}, pixel values {x_train.min():g} to {x_train.max():g}")
print("test images per digit:", np.bincount(y_test))

# %% tags=["figure:digits"]
fig, axes = plt.subplots(2, 10, figsize=(12, 2.9), layout="constrained")
for digit in range(10):
    for row, index in enumerate(np.flatnonzero(y_train == digit)[:2]):
        axes[row, digit].imshow(x_train[index, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[row, digit].set_title(str(digit), fontsize=10)
        axes[row, digit].axis("off")
fig.suptitle("Two training images of each digit (8×8 pixels, darker = more ink)")
plt.show()

# %% [markdown]
# Now train `SimpleConvNet` with your code: 15 epochs of mini-batches of 32, learning rate 0.2. This takes a few
# seconds. The cell keeps the random initial filters to compare them with the learned ones, and prints the accuracy on
# the 360 test images, which the network never sees while it learns. It should be above 95%.

# %%
digit_net = SimpleConvNet(in_channels=1, image_size=(8, 8), num_classes=10, seed=0)
initial_filters = digit_net.layers[0].weight.copy()
start = time.perf_counter()
epoch_losses = train(digit_net, x_train, y_train, epochs=15, lr=0.2, batch_size=32, seed=0)
seconds = time.perf_counter() - start
train_accuracy = np.mean(predict(digit_net, x_train) == y_train)
test_predictions = predict(digit_net, x_test)
test_accuracy = np.mean(test_predictions == y_test)
print(f"trained in {seconds:.1f} s: training accuracy {train_accuracy:.1%}, test accuracy {test_accuracy:.1%}")

# %% tags=["figure:training"]
if "test_predictions" not in globals():   # the training cell above did not finish
    raise NotImplementedError("train the network in section 9 first: it needs your Parts A to F")
plt.figure(figsize=(6.5, 3.8))
plt.plot(np.arange(1, len(epoch_losses) + 1), epoch_losses, "o-")
plt.xlabel("epoch")
plt.ylabel("mean cross-entropy of the epoch's batches")
plt.yscale("log")
plt.title(f"The training loss falls (test accuracy {test_accuracy:.1%})")
plt.show()

# %% [markdown]
# ## 10. Look inside
#
# **The filters.** On the left the 8 first-layer kernels as they started (random), on the right after training, all
# on one colour scale centred at 0 (red positive, blue negative). Training changed them, but 3×3 kernels on 8×8 images
# stay small and noisy: several have turned into little stroke or edge detectors (a positive and a negative side).

# %% tags=["figure:filters"]
if "test_predictions" not in globals():   # the training cell above did not finish
    raise NotImplementedError("train the network in section 9 first: it needs your Parts A to F")
learned_filters = digit_net.layers[0].weight
limit = np.abs(np.concatenate([initial_filters, learned_filters])).max()
fig, axes = plt.subplots(2, 8, figsize=(13, 3.9), layout="constrained")
for k in range(8):
    for row, (filters, label) in enumerate([(initial_filters, "random"), (learned_filters, "learned")]):
        shown = axes[row, k].imshow(filters[k, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[row, k].set_title(f"filter {k}, {label}", fontsize=9)
        axes[row, k].set_xticks([])
        axes[row, k].set_yticks([])
fig.colorbar(shown, ax=axes, shrink=0.8, label="weight")
fig.suptitle("First-layer filters: random initial values (top) and after training (bottom)")
plt.show()
print("change of each filter (norm of learned - initial):", np.round(np.linalg.norm((learned_filters - initial_filters)
                                                                                   .reshape(8, -1), axis=1), 2))

# %% [markdown]
# **Feature maps.** One test digit through the trained first layer: the 8 maps after the convolution and the ReLU
# (before pooling), each under its own filter, all maps on one colour scale. Bright means a strong response: each map
# lights up where its filter's pattern occurs in the digit, and a filter that this digit does not excite leaves its
# map nearly dark.

# %% tags=["figure:feature-maps"]
if "test_predictions" not in globals():   # the training cell above did not finish
    raise NotImplementedError("train the network in section 9 first: it needs your Parts A to F")
example = x_test[:1]
maps = digit_net.layers[1].forward(digit_net.layers[0].forward(example))[0]        # (8, 8, 8) after the ReLU
fig, axes = plt.subplots(2, 9, figsize=(15, 3.9), layout="constrained")
axes[0, 0].imshow(example[0, 0], cmap="gray_r", vmin=0, vmax=1)
axes[0, 0].set_title(f"test digit (a {y_test[0]})", fontsize=9)
axes[1, 0].axis("off")
for k in range(8):
    axes[0, k + 1].imshow(learned_filters[k, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[0, k + 1].set_title(f"filter {k}", fontsize=9)
    shown = axes[1, k + 1].imshow(maps[k], cmap="magma", vmin=0, vmax=maps.max())
    axes[1, k + 1].set_title(f"map {k} (ReLU)", fontsize=9)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(shown, ax=axes[1, :], shrink=0.8, label="response")
fig.suptitle("One digit through the trained first layer: each filter (top) and its feature map (bottom)")
plt.show()

# %% [markdown]
# **Mistakes.** The confusion matrix counts, for every true digit (row), how often the network predicted each digit
# (column): the diagonal holds the correct answers, everything off it a mistake. Below it, the misclassified test
# digits themselves; several are hard for people too.

# %% tags=["figure:confusion"]
if "test_predictions" not in globals():   # the training cell above did not finish
    raise NotImplementedError("train the network in section 9 first: it needs your Parts A to F")
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, test_predictions), 1)
fig, ax = plt.subplots(figsize=(6.2, 5.4), layout="constrained")
shown = ax.imshow(confusion, cmap="Blues", norm=plt.matplotlib.colors.LogNorm(vmin=0.8, vmax=confusion.max()))
for (r, c), count in np.ndenumerate(confusion):
    if count:
        ax.text(c, r, count, ha="center", va="center", fontsize=9, color="white" if count > 10 else "black")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted digit")
ax.set_ylabel("true digit")
ax.set_title(f"Confusion matrix on the 360 test digits ({(test_predictions != y_test).sum()} mistakes)")
fig.colorbar(shown, ax=ax, label="count (log scale)")
plt.show()

# %% tags=["figure:misclassified"]
if "test_predictions" not in globals():   # the training cell above did not finish
    raise NotImplementedError("train the network in section 9 first: it needs your Parts A to F")
wrong = np.flatnonzero(test_predictions != y_test)
shown_wrong = wrong[:12]
fig, axes = plt.subplots(1, max(len(shown_wrong), 1), figsize=(1.3 * max(len(shown_wrong), 1) + 1, 2.2),
                         layout="constrained", squeeze=False)
for ax, index in zip(axes[0], shown_wrong):
    ax.imshow(x_test[index, 0], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"true {y_test[index]}\nsaid {test_predictions[index]}", fontsize=9)
for ax in axes[0]:
    ax.axis("off")
fig.suptitle(f"Misclassified test digits ({len(shown_wrong)} of {len(wrong)})")
plt.show()

# %% [markdown]
# ### Written answer: reading gradients (8 points, graded by hand)
#
# 1. **Stride in the backward pass.** A 1-D convolution with kernel $w = [w_0, w_1, w_2]$ and **stride 2** maps
#    $x = [x_0, \dots, x_6]$ to $y = [y_0, y_1, y_2]$. Write $\partial L/\partial x_3$ and $\partial L/\partial x_4$ in
#    terms of $dy$ and $w$. Then say what must be done to $dy$ so that a full convolution with the flipped kernel
#    gives all of $dx$, and why.
# 2. **A failing gradient check.** A classmate's `conv2d_backward` gives relative errors of 1e-10 for `dx` and
#    `dbias` but 4e-3 for `dweight`, on an input with `padding=1`. What do the three numbers tell you about where the
#    bug is? Name two mistakes that would produce exactly this pattern.
# 3. **The step size.** Why does `numerical_gradient` use $h = 10^{-5}$ and float64? What goes wrong with
#    $h = 10^{-1}$, and what with $h = 10^{-12}$?
#
# Write a few sentences per question; show the formulas for 1.

# %% [markdown] nbgrader={"grade": true, "grade_id": "backprop_answer", "locked": false, "points": 8, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# 1. $y_i = w_0 x_{2i} + w_1 x_{2i+1} + w_2 x_{2i+2}$. $x_3$ is in window $i = 1$ only (as its entry 1):
#    $\partial L/\partial x_3 = dy_1\, w_1$. $x_4$ is in windows 1 (entry 2) and 2 (entry 0):
#    $\partial L/\partial x_4 = dy_1\, w_2 + dy_2\, w_0$. Insert $s - 1 = 1$ zero between the entries of $dy$,
#    $[dy_0, 0, dy_1, 0, dy_2]$ (the windows start 2 apart, so the dilated $dy$ has one entry per input position a
#    window could start at), then pad with $k - 1 = 2$ zeros on both sides and slide the flipped kernel: that gives 7
#    values, one per $x_m$. For $x_4$ the flipped kernel $[w_2, w_1, w_0]$ meets $[dy_1, 0, dy_2]$:
#    $dy_1 w_2 + 0 \cdot w_1 + dy_2 w_0$, as above; for $x_3$ it meets $[0, dy_1, 0]$: $dy_1 w_1$. Without the zeros the
#    flipped kernel would treat neighbouring outputs as windows one step apart, which they are not.
# 2. `dx` and `dbias` are right, so `dout` is read correctly, the windows are in the right places and the overlaps are
#    added in `dx`; the bug is in `dweight` only. Mistakes that give this pattern: computing `dweight` from the windows of
#    the unpadded `x` (the positions are shifted by the padding: with `padding=0` the check would pass, which is why the
#    padding matters), assigning `dweight = ...` instead of adding over positions, summing over one image only (with
#    N > 1), or using the flipped kernel's orientation for `dweight`.
# 3. The centred difference has a truncation error of order $h^2$ and a rounding error of order
#    $\varepsilon_\text{machine} |f| / h$ ($\varepsilon \approx 10^{-16}$ in float64). $h = 10^{-5}$ makes both about
#    $10^{-10}$–$10^{-11}$. With $h = 10^{-1}$ the truncation error ($\approx 10^{-2}$ times the third derivative) makes
#    a correct gradient look wrong; with $h = 10^{-12}$ the two values of $f$ agree in almost all their digits and
#    their difference is mostly rounding noise ($10^{-16}/10^{-12} = 10^{-4}$ relative). In float32
#    ($\varepsilon \approx 10^{-7}$) even $h = 10^{-5}$ leaves errors near $10^{-2}$.
# ### END SOLUTION

# %% [markdown]
# ## Summary
#
# - Backpropagation is the chain rule applied node by node, from the loss back to the input; a value used several times
#   gets the sum of the gradients of its uses.
# - The gradient of a convolution with respect to its input scatters `dout * weight` back onto every window (overlaps
#   add); written as one operation it is a full convolution of the (dilated, for a stride) `dout` with the flipped
#   kernel. The weight's gradient is a cross-correlation of the input with `dout`; the bias's is the sum of `dout`.
# - Max pooling routes each gradient to its window's maximum (the first, on a tie); average pooling spreads it evenly.
# - Check every gradient with centred differences: a relative error near 1e-8 means right, near 1e-3 means a bug.
# - Looping over the $k_H k_W$ kernel offsets instead of the $H_\text{out} W_\text{out}$ positions (im2col) makes a
#   convolution orders of magnitude faster in NumPy.
# - Softmax cross-entropy is computed stably with the max shift and log-sum-exp; its gradient is
#   (softmax - one-hot) / N.
# - Mini-batch SGD with one seeded generator and in-place updates trains the network reproducibly.
#
# **Going further**
# 1. Add momentum to `train` ($v \leftarrow \mu v - \eta g$, $p \leftarrow p + v$): does the digit network learn faster?
# 2. Write `conv2d_backward_fast` with loops over the kernel offsets only, and check it against your `conv2d_backward`.
# 3. Add a second convolution layer to `SimpleConvNet` and check its gradients numerically before you train it.
#
# Before you submit: *Kernel → Restart & Run All*, and check that every test cell above runs without an error.
