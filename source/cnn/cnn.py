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
# # Convolutional layers from scratch
#
# In this module you build the layers of a convolutional neural network (CNN) with nothing but NumPy and
# for-loops: the sliding-window convolution, stride and padding, a multi-channel convolution layer,
# pooling, and finally a small network that turns an image into class scores. Then you point your code at a
# real photograph and watch it find edges.
#
# **What you will be able to do afterwards**
# - explain *local connectivity* and *weight sharing*, and count the parameters they save;
# - compute the output shape of any convolution or pooling layer in your head;
# - implement `conv2d` with exactly the semantics of PyTorch's `torch.nn.functional.conv2d`.
#
# | Part | What you write | Points |
# |---|---|---|
# | A | `conv2d_naive`: one channel, one kernel | 15 |
# | B | `conv_output_size` and `pad2d`: stride and padding | 13 |
# | C | `conv2d`: batches, channels, filters, bias | 25 |
# | D | `Conv2D` layer, and a written answer on weight sharing | 20 |
# | E | `max_pool2d` and `avg_pool2d` | 15 |
# | F | `SimpleConvNet`: Conv2D → ReLU → pool → Flatten → Dense | 12 |
# | | **Total** | **100** |
#
# **How this notebook works**
# - Write your code where it says `# YOUR CODE HERE` and delete the `raise NotImplementedError()` line.
#   Keep the function signatures as they are: the grader calls them.
# - Each part is followed by a test cell. The tests you see are small examples you can check by hand; when you
#   submit, hidden tests also compare your code with a reference on many random inputs (non-square images,
#   several channels, strides, padding, integer and `float32` inputs). Passing the visible tests is a good sign,
#   not a guarantee.
# - Grading runs your notebook in a sandbox (no network, no files but your own), then checks every test you
#   passed a second time, calling your functions from outside your notebook's kernel. A test counts only if it
#   passes both times, so code that changes NumPy or the tests cannot earn points.
# - Each part is graded on its own: if your `pad2d` has a bug, your `conv2d` is still graded as if `pad2d` were right.
# - Use explicit Python `for`-loops where a part asks for them. That is the point of the exercise: the loops
#   *are* the convolution. (Inside a loop you may multiply a whole window by the kernel with NumPy.) A few points
#   of `conv2d_naive`, `conv2d` and the pooling functions go to this rule: no library convolution or windowing
#   function (`np.convolve`, `scipy.signal`, `sliding_window_view`, ...) in those parts.
# - Run the cells in order (*Run → Run All Cells* after a kernel restart is a good final check), and do not
#   delete or copy the test cells.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.cbook import get_sample_data
from matplotlib.patches import Rectangle

np.set_printoptions(precision=3, suppress=True)

# %% nbgrader={"grade": true, "grade_id": "grader_setup", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": false}
# Grader setup (0 points). When your notebook is graded, this cell loads the reference implementations
# that the hidden tests compare your code with. There is nothing for you to do here.
### BEGIN HIDDEN TESTS
import ast as _ast
import inspect as _inspect
import textwrap as _textwrap
import traceback as _traceback
import types as _types

import numpy as _np
from numpy.lib.stride_tricks import sliding_window_view as _windows


class _Grader:
    # The hidden tests' toolbox: an independent vectorised reference for every part, the swap that grades
    # each part on its own, failure messages that name the likely mistake, and the for-loop rule.

    # What a loop solution must not call: library convolutions and windowing tricks.
    LIBRARY_NAMES = {"convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve",
                     "sliding_window_view", "as_strided", "stride_tricks", "conv_general_dilated"}
    LIBRARY_MODULES = ("scipy", "torch", "tensorflow", "jax", "cv2", "skimage", "numpy.lib.stride_tricks",
                       "numpy.lib._stride_tricks_impl")
    VALID_INPUT = {"conv2d": " This input is valid: x is (N, C_in, H, W) and weight is (C_out, C_in, kH, kW).",
                   "conv2d_naive": " This input is valid: a kernel as large as the image gives a 1x1 output."}

    def __init__(self, namespace):
        self.ns = namespace
        self.references = {
            "conv2d_naive": self.conv2d_naive, "conv_output_size": self.conv_output_size,
            "pad2d": self.pad2d, "conv2d": self.conv2d, "Conv2D": _ReferenceConv2D,
            "max_pool2d": self.max_pool2d, "avg_pool2d": self.avg_pool2d,
        }
        self.mistakes = {"conv2d_naive": self._naive_mistakes(), "conv_output_size": self._size_mistakes(),
                         "pad2d": self._pad_mistakes(), "conv2d": self._conv_mistakes(),
                         "max_pool2d": self._pool_mistakes(self.max_pool2d, self.avg_pool2d, "maximum", "mean"),
                         "avg_pool2d": self._pool_mistakes(self.avg_pool2d, self.max_pool2d, "mean", "maximum")}
        self.mistakes["avg_pool2d"]["you returned the window sums: divide by the number of elements kH * kW"] = \
            lambda x, k, stride=None: self.avg_pool2d(x, k, stride) * _np.prod(self.pair(k))
        self.mistakes["avg_pool2d"]["you divided by the wrong count: a (kH, kW) window has kH * kW elements"] = \
            lambda x, k, stride=None: self.avg_pool2d(x, k, stride) * self.pair(k)[1] / self.pair(k)[0]

    # ----- the known mistakes: what a wrong solution returns instead, and what to tell its author -----
    def _naive_mistakes(self):
        return {
            "you computed a true convolution (kernel flipped); deep-learning layers compute "
            "cross-correlation, so use the kernel as it is":
                lambda image, kernel: self.conv2d_naive(image, _np.asarray(kernel)[::-1, ::-1]),
            "your output is transposed (rows and columns swapped): out[i, j] is the window that starts "
            "at row i, column j, and the output has H - kH + 1 rows":
                lambda image, kernel: self.conv2d_naive(image, kernel).T,
        }

    @staticmethod
    def _size_mistakes():
        return {
            "the +1 is missing: the first window position counts too":
                lambda n, k, s=1, p=0: (n + 2 * p - k) // s,
            "the padding is counted once: the padded size is input_size + 2 * padding":
                lambda n, k, s=1, p=0: (n + p - k) // s + 1,
            "you rounded up: use floor division (//)":
                lambda n, k, s=1, p=0: -((n + 2 * p - k) // -s) + 1,
            "the stride divides only the input size: divide the whole (input_size + 2 * padding - kernel_size)":
                lambda n, k, s=1, p=0: n // s + 2 * p - k + 1,
            "the stride is ignored": lambda n, k, s=1, p=0: n + 2 * p - k + 1,
        }

    def _pad_mistakes(self):
        def pad(x, before, after, value=0):
            x = _np.asarray(x)
            return _np.pad(x, [(0, 0)] * (x.ndim - 2) + list(zip(before, after)), constant_values=value)

        return {
            "you padded only below and to the right: add the zeros on both sides":
                lambda x, p: pad(x, (0, 0), self.pair(p)),
            "you padded only above and to the left: add the zeros on both sides":
                lambda x, p: pad(x, self.pair(p), (0, 0)),
            "you padded twice as much: `padding` zeros go on each side, not 2 * padding":
                lambda x, p: pad(x, 2 * _np.array(self.pair(p)), 2 * _np.array(self.pair(p))),
            "the border should be zeros, not ones":
                lambda x, p: pad(x, self.pair(p), self.pair(p), value=1),
            "the padding pair is swapped: padding = (ph, pw) adds ph rows and pw columns":
                lambda x, p: pad(x, self.pair(p)[::-1], self.pair(p)[::-1]),
            "you padded the first two axes: pad the last two axes (H and W) only":
                lambda x, p: _np.pad(x, [(v, v) for v in self.pair(p)] + [(0, 0)] * (_np.ndim(x) - 2)),
        }

    def _conv_mistakes(self):
        def conv(x, w, b=None, stride=1, padding=0):
            return self.conv2d(x, w, b, stride, padding)

        def no_bias(x, w, b):
            return _np.zeros(len(w)) if b is None else _np.asarray(b, dtype=float)

        def cropped(x, w, b, stride, padding, crop_padding):
            # The right windows, but only as many as an output size computed without `crop_padding`.
            out = conv(x, w, b, stride if crop_padding else 1, padding)
            (sh, sw), (ph, pw) = self.pair(stride), self.pair(0 if crop_padding else padding)
            return out[:, :, :self.conv_output_size(x.shape[2], w.shape[2], sh, ph),
                       :self.conv_output_size(x.shape[3], w.shape[3], sw, pw)]

        return {
            "you computed a true convolution (kernel flipped); use the kernel as it is":
                lambda x, w, b=None, stride=1, padding=0: conv(x, _np.asarray(w)[..., ::-1, ::-1], b, stride, padding),
            "the bias is missing: add bias[o] to every position of output channel o":
                lambda x, w, b=None, stride=1, padding=0: conv(x, w, None, stride, padding),
            "the bias is added once per input channel (C_in times): add bias[o] once per output value":
                lambda x, w, b=None, stride=1, padding=0:
                    conv(x, w, None, stride, padding) + x.shape[1] * no_bias(x, w, b)[None, :, None, None],
            "every output channel gets the same bias: output channel o gets bias[o]":
                lambda x, w, b=None, stride=1, padding=0: conv(x, w, None, stride, padding) + no_bias(x, w, b)[0],
            "only the first input channel is used: each output sums over all input channels":
                lambda x, w, b=None, stride=1, padding=0: conv(x[:, :1], w[:, :1], b, stride, padding),
            "you averaged the window instead of summing it: out = sum(window * filter) + bias":
                lambda x, w, b=None, stride=1, padding=0:
                    conv(x, w, None, stride, padding) / _np.prod(_np.shape(w)[1:]) + no_bias(x, w, b)[None, :, None, None],
            "the stride is ignored: move the window by `stride` rows and columns":
                lambda x, w, b=None, stride=1, padding=0: conv(x, w, b, 1, padding),
            "the window moves one step at a time: output (i, j) starts at row i * stride, column j * stride":
                lambda x, w, b=None, stride=1, padding=0: cropped(x, w, b, stride, padding, crop_padding=False),
            "the padding is ignored: zero-pad the input before sliding the window":
                lambda x, w, b=None, stride=1, padding=0: conv(x, w, b, stride, 0),
            "the output size leaves out the padding: compute H_out and W_out with it":
                lambda x, w, b=None, stride=1, padding=0: cropped(x, w, b, stride, padding, crop_padding=True),
            "the stride pair is swapped: stride = (sh, sw) moves sh rows and sw columns":
                lambda x, w, b=None, stride=1, padding=0: conv(x, w, b, self.pair(stride)[::-1], padding),
            "the padding pair is swapped: padding = (ph, pw) adds ph rows and pw columns":
                lambda x, w, b=None, stride=1, padding=0: conv(x, w, b, stride, self.pair(padding)[::-1]),
            "the last two axes of your output are swapped: the output is (N, C_out, H_out, W_out)":
                lambda x, w, b=None, stride=1, padding=0: conv(x, w, b, stride, padding).transpose(0, 1, 3, 2),
            "the weight is read as (C_in, C_out, kH, kW): PyTorch's order is (C_out, C_in, kH, kW)":
                lambda x, w, b=None, stride=1, padding=0: conv(x, _np.swapaxes(w, 0, 1), b, stride, padding),
        }

    def _pool_mistakes(self, right, other, right_name, other_name):
        def whole_batch(x, k, stride=None):
            # One number per window position over the whole batch and every channel.
            out = right(x, k, stride)
            reduce = _np.max if right_name == "maximum" else _np.mean
            windows = _windows(_np.asarray(x, dtype=float), self.pair(k), axis=(2, 3))
            sh, sw = self.pair(k if stride is None else stride)
            return _np.broadcast_to(reduce(windows[:, :, ::sh, ::sw], axis=(0, 1, 4, 5)), out.shape)

        def ceil_mode(x, k, stride=None):
            # Partial windows at the right and bottom edges kept, as with ceil_mode=True.
            (kh, kw), (sh, sw) = self.pair(k), self.pair(k if stride is None else stride)
            x = _np.asarray(x, dtype=float)
            rows, cols = -((x.shape[2] - kh) // -sh) + 1, -((x.shape[3] - kw) // -sw) + 1
            reduce = _np.max if right_name == "maximum" else _np.mean
            return _np.array([[[[reduce(x[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]) for j in range(cols)]
                                for i in range(rows)] for c in range(x.shape[1])] for n in range(x.shape[0])])

        return {
            f"you took the {other_name} instead of the {right_name}": other,
            "the stride defaults to 1; it should default to kernel_size":
                lambda x, k, stride=None: right(x, k, 1 if stride is None else stride),
            f"you took one {right_name} over the whole batch and all channels: pool each channel of each image "
            "on its own (reduce over the window's last two axes only)": whole_batch,
            "you kept the partial windows at the edges: drop the rows and columns that do not fill a window":
                ceil_mode,
        }

    # ----- reference implementations (vectorised, independent of the student's code) -----
    @staticmethod
    def pair(value):
        return (int(value), int(value)) if _np.ndim(value) == 0 else tuple(int(v) for v in value)

    @staticmethod
    def conv_output_size(input_size, kernel_size, stride=1, padding=0):
        if stride < 1 or padding < 0:
            raise ValueError("stride must be >= 1 and padding >= 0")
        size = (input_size + 2 * padding - kernel_size) // stride + 1
        if size < 1:
            raise ValueError("the kernel is larger than the padded input")
        return size

    def pad2d(self, x, padding):
        ph, pw = self.pair(padding)
        x = _np.asarray(x)
        return _np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)])

    def conv2d(self, x, weight, bias=None, stride=1, padding=0):
        x, weight = _np.asarray(x, dtype=float), _np.asarray(weight, dtype=float)
        if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
            raise ValueError("expected x (N, C, H, W) and weight (O, C, kH, kW)")
        sh, sw = self.pair(stride)
        padded = self.pad2d(x, padding)
        if weight.shape[2] > padded.shape[2] or weight.shape[3] > padded.shape[3]:
            raise ValueError("the kernel is larger than the padded input")
        windows = _windows(padded, weight.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
        out = _np.einsum("ncyxij,ocij->noyx", windows, weight)
        if bias is not None:
            out = out + _np.asarray(bias, dtype=float)[None, :, None, None]
        return out

    def conv2d_naive(self, image, kernel):
        image, kernel = _np.asarray(image), _np.asarray(kernel)
        if image.ndim != 2 or kernel.ndim != 2:
            raise ValueError("image and kernel must be 2-D")
        return self.conv2d(image[None, None], kernel[None, None])[0, 0]

    def _pool(self, x, kernel_size, stride, reduce):
        kernel = self.pair(kernel_size)
        sh, sw = self.pair(kernel_size if stride is None else stride)
        windows = _windows(_np.asarray(x), kernel, axis=(2, 3))[:, :, ::sh, ::sw]
        return reduce(windows, axis=(-2, -1))

    def max_pool2d(self, x, kernel_size, stride=None):
        return self._pool(x, kernel_size, stride, _np.max)

    def avg_pool2d(self, x, kernel_size, stride=None):
        return self._pool(_np.asarray(x, dtype=float), kernel_size, stride, _np.mean)

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
        show = lambda v: (f"array{v.shape} {v.dtype}" if isinstance(v, _np.ndarray) else repr(v))
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
            hint = self.VALID_INPUT.get(part, " This input is valid.") if valid else ""
            raise AssertionError(f"{self.describe(part, args, kwargs)} raised {type(error).__name__}: {error}"
                                 f"{self.where(error)}.{hint}") from None

    @staticmethod
    def close(got, want):
        with _np.errstate(all="ignore"):
            return got.shape == want.shape and _np.allclose(got, want, rtol=1e-4, atol=1e-5 * max(1.0, _np.abs(want).max()))

    def check(self, got, want, call, alternatives=None, floating=True):
        if not isinstance(got, _np.ndarray):
            raise AssertionError(f"{call} returned a {type(got).__name__}; it should return a NumPy array")
        if floating and not _np.issubdtype(got.dtype, _np.floating):
            raise AssertionError(f"{call} returned dtype {got.dtype}; it should return floats "
                                 "(integer outputs truncate: create the output with np.zeros(...), which is float)")
        try:
            values = _np.array(got, dtype=float)
        except (TypeError, ValueError):
            raise AssertionError(f"{call} returned an array of {got.dtype} that is not numeric") from None
        if self.close(values, want):
            return
        for label, alternative in (alternatives or {}).items():
            if self.close(values, _np.asarray(alternative, dtype=float)):
                raise AssertionError(f"{call} is wrong: it looks like {label}.")
        if values.shape[:-2] == want.shape[:-2] and values.shape[-2:] == tuple(d - 1 for d in want.shape[-2:]):
            raise AssertionError(f"{call} has shape {values.shape}, expected {want.shape}: one row and one column "
                                 "short. The window fits in H - kH + 1 positions: don't forget the +1.")
        if values.shape != want.shape:
            raise AssertionError(f"{call} has shape {values.shape}, expected {want.shape}. "
                                 "Check the output-size formula (the +1, the stride and the padding).")
        with _np.errstate(all="ignore"):
            where = _np.unravel_index(_np.nanargmax(_np.where(_np.isnan(values), _np.inf, _np.abs(values - want))), want.shape)
        raise AssertionError(f"{call} is wrong at index {tuple(int(i) for i in where)}: got {values[where]:.6g}, "
                             f"expected {want[where]:.6g}")

    def known_mistakes(self, part, args, kwargs):
        # What each known mistake would have returned on these inputs (mistakes that cannot apply are left out).
        alternatives = {}
        for label, mistake in self.mistakes.get(part, {}).items():
            try:
                alternatives[label] = mistake(*args, **kwargs)
            except (ValueError, IndexError, TypeError):
                pass
        return alternatives

    def compare(self, part, args, kwargs=None, floating=True):
        # Call the student's `part`, check it against the reference and that it left its inputs alone.
        kwargs = kwargs or {}
        call = self.describe(part, args, kwargs)
        copies = [a.copy() for a in args if isinstance(a, _np.ndarray)]
        got = self.call(part, args, kwargs)
        for before, after in zip(copies, [a for a in args if isinstance(a, _np.ndarray)]):
            assert _np.array_equal(before, after), f"{call} modified its input in place; write into a new array"
        self.check(got, self.references[part](*args, **kwargs), call, self.known_mistakes(part, args, kwargs), floating)

    def compare_size(self, n, k, s, p):
        call = f"conv_output_size({n}, {k}, stride={s}, padding={p})"
        got, want = self.call("conv_output_size", (n, k), dict(stride=s, padding=p)), self.conv_output_size(n, k, s, p)
        if got == want:
            assert isinstance(got, (int, _np.integer)), f"{call} returned {got!r}; return an int (use //, not /)"
            return
        for label, mistake in self.mistakes["conv_output_size"].items():
            if got == mistake(n, k, s, p):
                raise AssertionError(f"{call} returned {got!r}, expected {want}: it looks like {label}.")
        raise AssertionError(f"{call} returned {got!r}, expected {want}: check the floor division and the +1")

    def expect_value_error(self, part, *args, **kwargs):
        call = self.describe(part, args, kwargs)
        try:
            self.ns[part](*args, **kwargs)
        except ValueError:
            return
        except Exception as error:
            raise AssertionError(f"{call} raised {type(error).__name__}: {error}; it should raise ValueError") from None
        raise AssertionError(f"{call} returned normally; it should raise ValueError")

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

    def _is_library(self, name, obj):
        if name in self.LIBRARY_NAMES or any(obj is f for f in (_np.convolve, _np.correlate)):
            return True
        if isinstance(obj, _types.ModuleType):
            module = obj.__name__
        elif isinstance(obj, (_types.FunctionType, _types.BuiltinFunctionType, type)):
            module = obj.__module__ or ""
        else:
            return False
        return module.split(".")[0] in self.LIBRARY_MODULES or module.startswith(self.LIBRARY_MODULES)

    def _is_students(self, obj):
        # A plain function written in a notebook cell other than this one: the student's own helper.
        return (isinstance(obj, _types.FunctionType) and obj.__code__.co_filename != _Grader._resolve.__code__.co_filename
                and not (obj.__module__ or "").startswith(self.LIBRARY_MODULES))

    def check_loops(self, part):
        # The part and the helpers it calls must contain a loop and must not call a library convolution.
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
                names = []
                if isinstance(node, (_ast.Import, _ast.ImportFrom)):
                    names = [(alias.name, None) for alias in node.names] + [(getattr(node, "module", None) or "", None)]
                elif isinstance(node, _ast.Name):
                    names = [(node.id, self._resolve(node, function.__globals__))]
                elif isinstance(node, _ast.Attribute):
                    names = [(node.attr, self._resolve(node, function.__globals__))]
                for name, obj in names:
                    if self._is_library(name, obj) or name.split(".")[0] in self.LIBRARY_MODULES:
                        raise AssertionError(
                            f"{part} uses `{name}` (in {function.__name__}): this part asks for explicit for-loops, "
                            "not a library convolution or windowing function")
                    if self._is_students(obj):
                        todo.append(obj)
        assert has_loop, (f"{part} has no for-loop: this part asks you to slide the window with explicit "
                          "for-loops over the output positions")


class _ReferenceConv2D:
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, seed=None):
        kh, kw = _Grader.pair(kernel_size)
        scale = _np.sqrt(2.0 / (in_channels * kh * kw))
        self.weight = _np.random.default_rng(seed).normal(0.0, scale, (out_channels, in_channels, kh, kw))
        self.bias = _np.zeros(out_channels) if bias else None
        self.stride, self.padding = stride, padding

    def forward(self, x):
        return _grader.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    __call__ = forward

    def parameters(self):
        return [p for p in (self.weight, self.bias) if p is not None]


_grader = _Grader(globals())
### END HIDDEN TESTS

# %% [markdown]
# ## 1. Why convolution?
#
# A dense (fully connected) layer connects every input to every output. For a 28×28 grayscale image that is
# 784 inputs, and every output neuron has its own 784 weights. Two facts about images make most of those
# weights wasteful:
#
# 1. **Local connectivity.** What a pixel means depends mostly on its neighbours: an edge, a corner or a stroke
#    is visible in a small patch. So let each output look at a small window (say 3×3) instead of the whole image.
# 2. **Weight sharing.** An edge is an edge wherever it appears. So let *every* window use the *same* small set of
#    weights, the **kernel** (or filter), instead of a different set per position.
#
# Put together, this is the **sliding window**: slide a small kernel over the image; at each position, multiply
# the window by the kernel element-wise and add everything up. The results, laid out in the same order as the
# positions, form the output **feature map**. Watch it happen below, one step per row.

# %% nbgrader={"grade": false, "grade_id": "figure_helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
def draw_grid(ax, values, title="", window=None, cmap="Blues"):
    # Draw a small matrix as numbered squares; `window` = (row, col, height, width) is outlined in orange.
    values = np.asarray(values, dtype=float)
    shown = np.ma.masked_invalid(values)
    ax.imshow(shown, cmap=cmap, vmin=np.nanmin(values) - 1, vmax=np.nanmax(values) + 1)
    for (r, c), v in np.ndenumerate(values):
        if not np.isnan(v):
            ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=11)
    if window is not None:
        r, c, h, w = window
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor="tab:orange", linewidth=3))
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=10)


def show_sliding_window(image, kernel):
    # One row per output position: the window on the input, the kernel, and the output map filled so far.
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    out = np.full((image.shape[0] - kh + 1, image.shape[1] - kw + 1), np.nan)
    fig, axes = plt.subplots(out.size, 3, figsize=(7, 2.3 * out.size))
    for step, (i, j) in enumerate(np.ndindex(out.shape)):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
        draw_grid(axes[step, 0], image, f"step {step + 1}: window at ({i}, {j})", window=(i, j, kh, kw))
        draw_grid(axes[step, 1], kernel, "kernel (same at every step)", cmap="Oranges")
        draw_grid(axes[step, 2], out, f"out[{i}, {j}] = {out[i, j]:g}", window=(i, j, 1, 1), cmap="Greens")
    fig.tight_layout()
    plt.show()


def show_positions_1d(size, kernel_size, stride, padding):
    # The window positions along one axis: zero padding in grey, one bracket per output element.
    total = size + 2 * padding
    fig, ax = plt.subplots(figsize=(0.6 * total + 1, 1.8))
    for k in range(total):
        is_pad = k < padding or k >= padding + size
        ax.add_patch(Rectangle((k, 0), 0.95, 0.95, color="lightgrey" if is_pad else "tab:blue", alpha=0.6))
        ax.text(k + 0.47, 0.47, "0" if is_pad else f"x{k - padding}", ha="center", va="center", fontsize=9)
    starts = range(0, total - kernel_size + 1, stride)
    for n, start in enumerate(starts):
        y = -0.35 - 0.3 * n
        ax.plot([start + 0.05, start + kernel_size - 0.1], [y, y], color="tab:orange", linewidth=3)
        ax.text(start + kernel_size - 0.05, y, f" out[{n}]", va="center", fontsize=9)
    ax.set_xlim(-0.2, total + 1.5)
    ax.set_ylim(-0.5 - 0.3 * len(starts), 1.1)
    ax.axis("off")
    ax.set_title(f"size={size}, kernel={kernel_size}, stride={stride}, padding={padding}: "
                 f"{len(starts)} outputs", fontsize=10)
    plt.show()


# %% tags=["figure:sliding-window"]
X = np.array([[1, 2, 0, 3],
              [4, 1, 1, 0],
              [0, 2, 5, 1],
              [3, 1, 0, 2]])
K = np.array([[1, 0, -1],
              [2, 0, -2],
              [1, 0, -1]])   # responds to changes from left to right: a "vertical edge" detector

show_sliding_window(X, K)


# %% [markdown]
# The first step, worked by hand: the window is the top-left 3×3 block of `X`, and
#
# $$1\cdot1 + 2\cdot0 + 0\cdot(-1) + 4\cdot2 + 1\cdot0 + 1\cdot(-2) + 0\cdot1 + 2\cdot0 + 5\cdot(-1) = 2.$$
#
# In general, for an $H\times W$ image and a $k_H\times k_W$ kernel,
#
# $$\text{out}[i, j] = \sum_{a=0}^{k_H-1}\sum_{b=0}^{k_W-1} \text{image}[i+a,\ j+b]\cdot \text{kernel}[a, b],$$
#
# and the window fits in $H - k_H + 1$ positions down and $W - k_W + 1$ across, so the output is
# $(H-k_H+1)\times(W-k_W+1)$: here 2×2.
#
# **Cross-correlation or convolution?** In mathematics, *convolution* flips the kernel first
# ($\text{image}[i-a, j-b]$). Deep-learning libraries (PyTorch, TensorFlow, JAX) skip the flip and compute the
# *cross-correlation* above, but still call it convolution: the kernel is learned, so a flipped kernel is just as
# learnable. In this notebook, "convolution" always means the formula above, with no flip.
#
# ## Part A: `conv2d_naive` (15 points)
#
# Implement the formula with explicit `for`-loops: one loop over output rows, one over output columns, and the
# window sum (with two more loops over the kernel, or `np.sum(window * kernel)`).
#
# - Return a **new float array** of shape `(H - kH + 1, W - kW + 1)`; integer inputs must not be truncated.
# - Raise `ValueError` if `image` or `kernel` is not 2-D, or if the kernel is larger than the image in either direction.
# - Do not modify `image` or `kernel`.
#
# For `X` and `K` above, `conv2d_naive(X, K)` should return `[[2, 2], [-4, 2]]`.

# %% nbgrader={"grade": false, "grade_id": "conv2d_naive", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_naive(image, kernel):
    # Cross-correlate a 2-D image with a 2-D kernel using explicit loops.
    #
    # image:  array of shape (H, W)
    # kernel: array of shape (kH, kW)
    # returns a float array of shape (H - kH + 1, W - kW + 1) with
    #     out[i, j] = sum(image[i:i+kH, j:j+kW] * kernel)
    # raises ValueError if an input is not 2-D or the kernel is larger than the image.
    ### BEGIN SOLUTION
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"image and kernel must be 2-D, got {image.ndim}-D and {kernel.ndim}-D")
    H, W = image.shape
    kH, kW = kernel.shape
    if kH > H or kW > W:
        raise ValueError(f"kernel {kernel.shape} is larger than image {image.shape}")
    out = np.zeros((H - kH + 1, W - kW + 1))
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            total = 0.0
            for a in range(kH):
                for b in range(kW):
                    total += image[i + a, j + b] * kernel[a, b]
            out[i, j] = total
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv2d_naive_example", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Part A: the worked example and two cases you can check by hand (5 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_naive")
_example = _np.array([[1, 2, 0, 3], [4, 1, 1, 0], [0, 2, 5, 1], [3, 1, 0, 2]])
for _kernel in (_np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]]), _np.array([[3]]), _np.ones((4, 4))):
    _grader.compare("conv2d_naive", (_example, _kernel), floating=False)
### END HIDDEN TESTS
out = conv2d_naive(X, K)
assert isinstance(out, np.ndarray), f"conv2d_naive should return a NumPy array, got {type(out).__name__}"
assert out.shape == (2, 2), f"output shape {out.shape}, expected (2, 2): it should be (H - kH + 1, W - kW + 1)"
if np.allclose(out, [[-2, -2], [4, -2]]):
    raise AssertionError("you computed a true convolution (the kernel flipped); compute cross-correlation instead")
assert np.allclose(out, [[2, 2], [-4, 2]]), f"conv2d_naive(X, K) returned\n{out}\nexpected\n[[ 2.  2.]\n [-4.  2.]]"

# A 1x1 kernel just scales the image.
assert np.allclose(conv2d_naive(X, np.array([[3]])), 3 * X), "a 1x1 kernel [[3]] should return 3 * image"

# A kernel as large as the image gives a single number: the sum of image * kernel.
ones = np.ones((4, 4))
assert np.allclose(conv2d_naive(X, ones), [[X.sum()]]), "a kernel of ones the size of the image should sum the image"
print("conv2d_naive: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_naive_errors", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Part A: invalid inputs raise ValueError (3 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_naive")
### END HIDDEN TESTS
for image, kernel, why in [(np.ones((3, 3)), np.ones((4, 2)), "the kernel is taller than the image"),
                           (np.ones(5), np.ones((2, 2)), "the image is 1-D")]:
    try:
        conv2d_naive(image, kernel)
    except ValueError:
        pass
    else:
        raise AssertionError(f"conv2d_naive should raise ValueError when {why}")
print("conv2d_naive: invalid inputs raise ValueError.")
### BEGIN HIDDEN TESTS
_grader.expect_value_error("conv2d_naive", _np.ones((3, 3)), _np.ones((2, 4)))
_grader.expect_value_error("conv2d_naive", _np.ones((3, 3)), _np.ones(2))
_grader.expect_value_error("conv2d_naive", _np.ones((1, 3, 3)), _np.ones((2, 2)))
_grader.expect_value_error("conv2d_naive", _np.ones((3, 3)), _np.ones((1, 2, 2)))
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_naive_reference", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Part A: hidden tests compare conv2d_naive with a reference on random non-square images, 1x1 and
# image-sized kernels, integer and float32 inputs (5 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_naive")
rng = _np.random.default_rng(7)
for shape, kshape in [((5, 7), (2, 3)), ((9, 6), (3, 3)), ((6, 8), (6, 1)), ((4, 5), (4, 5)), ((7, 7), (1, 1)),
                      ((3, 10), (2, 4))]:
    _grader.compare("conv2d_naive", (rng.normal(size=shape), rng.normal(size=kshape)))
_grader.compare("conv2d_naive", (rng.integers(-5, 6, size=(6, 5)), rng.normal(size=(2, 2))))
_grader.compare("conv2d_naive", (rng.integers(-5, 6, size=(6, 5)), rng.integers(-3, 4, size=(3, 2))))
_grader.compare("conv2d_naive", (rng.normal(size=(8, 7)).astype(_np.float32), rng.normal(size=(3, 3)).astype(_np.float32)))
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_naive_loops", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Part A: the for-loop rule (2 points). Write conv2d_naive with explicit for-loops;
# library convolution and windowing functions (np.convolve, np.correlate, scipy.signal, sliding_window_view,
# as_strided, torch) are not allowed. When your notebook is graded, a hidden test reads your code to check this.
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_naive")
_grader.check_loops("conv2d_naive")
### END HIDDEN TESTS
print("conv2d_naive: the for-loop rule is checked when your notebook is graded.")

# %% [markdown]
# Flip the kernel and the same image gives the negated map: the "convolution" of a textbook is the
# cross-correlation with a flipped kernel. For this kernel, flipping turns a left-to-right detector into a
# right-to-left one.

# %%
print("cross-correlation (what CNNs compute):\n", conv2d_naive(X, K))
print("true convolution = cross-correlation with the flipped kernel:\n", conv2d_naive(X, K[::-1, ::-1]))

# %% [markdown]
# ## 2. Stride and padding
#
# Two knobs change where the window goes:
#
# - **Stride** $s$: move the window $s$ pixels at a time instead of 1. The output shrinks by about a factor of $s$.
# - **Padding** $p$: surround the input with $p$ rows/columns of zeros on every side before sliding. With a
#   3×3 kernel, $p=1$ keeps the output the same size as the input ("same" padding), and border pixels are
#   seen as often as the others.
#
# Below, one axis of length 7 with a kernel of 3. Count the brackets: each is one output element.

# %% tags=["figure:stride-padding"]
show_positions_1d(size=7, kernel_size=3, stride=1, padding=0)
show_positions_1d(size=7, kernel_size=3, stride=2, padding=1)


# %% [markdown]
# The padded axis has $n + 2p$ cells; the window's first cell can sit at $0, s, 2s, \dots$ as long as the window
# still fits, which gives
#
# $$n_\text{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1.$$
#
# Check it on the second picture: $\lfloor (7 + 2 - 3)/2 \rfloor + 1 = 4$. The formula is applied to the height and
# the width separately, each with its own kernel size, stride and padding.
#
# `as_pair` below turns an `int` or an `(h, w)` pair into a pair; use it wherever an argument may be either.

# %% nbgrader={"grade": false, "grade_id": "as_pair", "locked": true, "schema_version": 3, "solution": false, "task": false}
def as_pair(value):
    # 3 -> (3, 3); (2, 1) -> (2, 1). Sizes, strides and paddings may be given either way.
    if np.ndim(value) == 0:
        return (int(value), int(value))
    first, second = value
    return (int(first), int(second))


# %% [markdown]
# ## Part B: `conv_output_size` (5 points) and `pad2d` (8 points)
#
# `conv_output_size(input_size, kernel_size, stride=1, padding=0)` returns $n_\text{out}$ from the formula as an
# `int`. Raise `ValueError` if `stride < 1`, if `padding < 0`, or if the result would be less than 1 (the kernel
# does not fit in the padded input). For example `conv_output_size(7, 3, stride=2, padding=1) == 4` and
# `conv_output_size(28, 3, padding=1) == 28`.

# %% nbgrader={"grade": false, "grade_id": "conv_output_size", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv_output_size(input_size, kernel_size, stride=1, padding=0):
    # Number of window positions along one axis: (input_size + 2*padding - kernel_size) // stride + 1.
    ### BEGIN SOLUTION
    if stride < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    if padding < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    size = (input_size + 2 * padding - kernel_size) // stride + 1
    if size < 1:
        raise ValueError(f"a kernel of {kernel_size} does not fit in {input_size} + 2 * {padding} padding")
    return size
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv_output_size", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Part B: conv_output_size (5 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv_output_size")
for n, k, s, p in [(12, 3, 1, 2), (10, 3, 3, 0), (10, 3, 4, 2), (9, 4, 2, 1), (6, 1, 5, 0), (3, 5, 1, 1), (1, 1, 1, 0),
                   (32, 5, 3, 2)]:
    _grader.compare_size(n, k, s, p)
_grader.expect_value_error("conv_output_size", 3, 6, 1, 1)
_grader.expect_value_error("conv_output_size", 2, 5, 2, 0)
_grader.expect_value_error("conv_output_size", 8, 3, -1, 0)
### END HIDDEN TESTS
cases = [((7, 3), {}, 5), ((7, 3), dict(stride=2, padding=1), 4), ((28, 3), dict(padding=1), 28),
         ((28, 2), dict(stride=2), 14), ((5, 5), {}, 1)]
for args, kwargs, expected in cases:
    got = conv_output_size(*args, **kwargs)
    assert got == expected, f"conv_output_size{args} with {kwargs} returned {got}, expected {expected}"
assert isinstance(conv_output_size(7, 3), (int, np.integer)), "conv_output_size should return an int"
for args in [(3, 4), (7, 3, 0), (7, 3, 1, -1)]:
    try:
        conv_output_size(*args)
    except ValueError:
        pass
    else:
        raise AssertionError(f"conv_output_size{args} should raise ValueError")
print("conv_output_size: the visible examples pass.")

# %% [markdown]
# `pad2d(x, padding)` zero-pads the **last two axes** of a 2-D `(H, W)`, 3-D `(C, H, W)` or 4-D `(N, C, H, W)`
# array: `padding` rows of zeros above and below, and `padding` columns left and right (or `(ph, pw)` rows and
# columns). Return a new array with the same dtype; leave `x` unchanged. `np.pad` is allowed, and so is creating a
# zero array and copying `x` into its middle.
#
# ```
# pad2d(np.array([[1, 2],        [[0, 0, 0, 0],
#                 [3, 4]]), 1)  → [0, 1, 2, 0],
#                                 [0, 3, 4, 0],
#                                 [0, 0, 0, 0]]
# ```

# %% nbgrader={"grade": false, "grade_id": "pad2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pad2d(x, padding):
    # Zero-pad the last two axes of x by padding = p or (ph, pw) on both sides; returns a new array.
    ### BEGIN SOLUTION
    x = np.asarray(x)
    ph, pw = as_pair(padding)
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    H, W = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (H + 2 * ph, W + 2 * pw), dtype=x.dtype)
    out[..., ph:ph + H, pw:pw + W] = x
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_pad2d", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
# Part B: pad2d (8 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("pad2d")
rng = _np.random.default_rng(3)
for shape, padding in [((3, 4), 2), ((2, 3, 5), (1, 2)), ((2, 3, 4, 5), (2, 0)), ((1, 1, 3, 2), 0), ((4, 2), (3, 1))]:
    _grader.compare("pad2d", (rng.normal(size=shape), padding), floating=False)
_grader.compare("pad2d", (rng.integers(1, 9, size=(2, 3, 3)), 1), floating=False)
x32 = rng.normal(size=(1, 2, 3, 3)).astype(_np.float32)
out = pad2d(x32, 1)
assert out.dtype == _np.float32, f"pad2d changed the dtype from float32 to {out.dtype}; keep x's dtype"
x = rng.normal(size=(3, 3))
out = pad2d(x, 0)
assert isinstance(out, _np.ndarray) and not _np.shares_memory(out, x), \
    "pad2d(x, 0) returned x itself (or a view of it); return a new array"
### END HIDDEN TESTS
small = np.array([[1, 2], [3, 4]])
padded = pad2d(small, 1)
expected = np.array([[0, 0, 0, 0], [0, 1, 2, 0], [0, 3, 4, 0], [0, 0, 0, 0]])
assert isinstance(padded, np.ndarray) and padded.shape == (4, 4), \
    f"pad2d(2x2, 1) should have shape (4, 4), got {getattr(padded, 'shape', padded)}"
assert np.array_equal(padded, expected), f"pad2d(small, 1) returned\n{padded}\nexpected\n{expected}"
assert pad2d(small, (0, 2)).shape == (2, 6), "padding (0, 2) adds no rows and 2 columns on each side"
assert pad2d(np.ones((2, 3, 5, 5)), 2).shape == (2, 3, 9, 9), "a 4-D input is padded on its last two axes only"
assert np.array_equal(small, [[1, 2], [3, 4]]), "pad2d must not modify its input"
print("pad2d: the visible examples pass.")

# %% [markdown]
# ## 3. Many channels, many filters
#
# Real inputs have several **channels** (red, green, blue; or the feature maps of the previous layer), and a layer
# applies several **filters** at once. The shapes follow PyTorch's conventions:
#
# | array | shape | meaning |
# |---|---|---|
# | `x` | `(N, C_in, H, W)` | a batch of `N` images with `C_in` channels each |
# | `weight` | `(C_out, C_in, kH, kW)` | `C_out` filters; each filter has one `kH×kW` slice **per input channel** |
# | `bias` | `(C_out,)` | one number per filter |
# | output | `(N, C_out, H_out, W_out)` | one feature map per filter and image |
#
# Filter `o` looks at **all** input channels at once: each input channel is cross-correlated with its own slice of
# the filter, and the results are **summed**, plus the filter's bias. The picture shows it for one filter and an
# input with three channels.

# %% tags=["figure:channels"]
def show_channels(x, filt, bias):
    # Each input channel is cross-correlated with its own slice of the filter; the maps are summed, plus bias.
    kh, kw = filt.shape[1:]
    H, W = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    maps = [np.array([[np.sum(x[c, i:i + kh, j:j + kw] * filt[c]) for j in range(W)] for i in range(H)])
            for c in range(len(x))]
    fig, axes = plt.subplots(3, len(x) + 1, figsize=(2.4 * (len(x) + 1), 7))
    for c in range(len(x)):
        draw_grid(axes[0, c], x[c], f"input channel {c}")
        draw_grid(axes[1, c], filt[c], f"filter slice {c}", cmap="Oranges")
        draw_grid(axes[2, c], maps[c], f"channel {c} ⋆ slice {c}", cmap="Purples")
    draw_grid(axes[2, -1], sum(maps) + bias, f"sum + bias ({bias:g})\n= output map", cmap="Greens")
    axes[0, -1].axis("off")
    axes[1, -1].axis("off")
    fig.tight_layout()
    plt.show()


rng = np.random.default_rng(0)
show_channels(rng.integers(0, 4, size=(3, 4, 4)), rng.integers(-1, 2, size=(3, 2, 2)), bias=1)


# %% [markdown]
# Written out, with stride $(s_H, s_W)$ and the padded input $x_p$:
#
# $$\text{out}[n, o, i, j] = \text{bias}[o] + \sum_{c=0}^{C_\text{in}-1}\ \sum_{a=0}^{k_H-1}\ \sum_{b=0}^{k_W-1}
# x_p[n,\ c,\ i\,s_H + a,\ j\,s_W + b]\cdot \text{weight}[o, c, a, b].$$
#
# ## Part C: `conv2d` (25 points)
#
# Implement `conv2d(x, weight, bias=None, stride=1, padding=0)` with exactly the semantics of PyTorch's
# `torch.nn.functional.conv2d`:
#
# - `stride` and `padding` are an `int` or an `(h, w)` pair (use `as_pair`); pad with `pad2d`, size the output with
#   `conv_output_size`.
# - Loop over the output positions with `for`-loops (and over `n` and `o` if you like). Inside the loops you may
#   compute the window sum with NumPy, e.g. `np.sum(window * weight[o])` over a `(C_in, kH, kW)` window.
# - `bias=None` means no bias.
# - Raise `ValueError` if `x` or `weight` is not 4-D, if `weight.shape[1] != x.shape[1]` (channel mismatch), or if the
#   kernel is larger than the padded input.
# - Return a new float array; do not modify the inputs.
#
# The hidden tests use non-square images and kernels, `N > 1`, `C_in ≠ C_out`, strides larger than the kernel, and
# padding together with stride.

# %% nbgrader={"grade": false, "grade_id": "conv2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d(x, weight, bias=None, stride=1, padding=0):
    # Multi-channel, multi-filter 2-D cross-correlation with stride and zero padding.
    #
    # x:      (N, C_in, H, W)
    # weight: (C_out, C_in, kH, kW)
    # bias:   (C_out,) or None
    # stride, padding: int or (h, w) pair
    # returns (N, C_out, H_out, W_out) with H_out = (H + 2*ph - kH) // sh + 1, and the same for W.
    ### BEGIN SOLUTION
    x, weight = np.asarray(x), np.asarray(weight)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C_in, H, W), got {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"weight must have shape (C_out, C_in, kH, kW), got {weight.shape}")
    N, C_in, H, W = x.shape
    C_out, C_w, kH, kW = weight.shape
    if C_w != C_in:
        raise ValueError(f"x has {C_in} channels but weight expects {C_w}")
    sh, sw = as_pair(stride)
    ph, pw = as_pair(padding)
    H_out = conv_output_size(H, kH, sh, ph)
    W_out = conv_output_size(W, kW, sw, pw)
    padded = pad2d(x, (ph, pw))
    out = np.zeros((N, C_out, H_out, W_out))
    for n in range(N):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    window = padded[n, :, i * sh:i * sh + kH, j * sw:j * sw + kW]
                    out[n, o, i, j] = np.sum(window * weight[o])
            if bias is not None:
                out[n, o] += bias[o]
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv2d_example", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Part C: hand-checkable examples (5 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d")
_example = _np.arange(16.0).reshape(1, 1, 4, 4)
for _kwargs in ({}, dict(bias=_np.array([0.5]), stride=2), dict(padding=1)):
    _grader.compare("conv2d", (_example, _np.ones((1, 1, 2, 2))), _kwargs)
_grader.compare("conv2d", (_np.stack([_np.ones((3, 3)), 2 * _np.ones((3, 3))])[None], _np.ones((4, 2, 3, 3))))
### END HIDDEN TESTS
x = np.arange(16.0).reshape(1, 1, 4, 4)
w = np.ones((1, 1, 2, 2))
out = conv2d(x, w)
expected = np.array([[[[10, 14, 18], [26, 30, 34], [42, 46, 50]]]])
assert isinstance(out, np.ndarray) and out.shape == (1, 1, 3, 3), \
    f"conv2d of a 4x4 image with a 2x2 kernel should have shape (1, 1, 3, 3), got {getattr(out, 'shape', out)}"
assert np.allclose(out, expected), f"2x2 window sums of arange(16): got\n{out[0, 0]}\nexpected\n{expected[0, 0]}"

out = conv2d(x, w, bias=np.array([0.5]), stride=2)
assert out.shape == (1, 1, 2, 2), f"stride 2 on a 4x4 image with a 2x2 kernel gives (1, 1, 2, 2), got {out.shape}"
assert np.allclose(out, [[[[10.5, 18.5], [42.5, 50.5]]]]), f"stride 2 plus bias 0.5: got\n{out[0, 0]}"

out = conv2d(x, w, padding=1)
assert out.shape == (1, 1, 5, 5), f"padding 1 with a 2x2 kernel on 4x4 gives (1, 1, 5, 5), got {out.shape}"
assert out[0, 0, 0, 0] == 0 and out[0, 0, 4, 4] == 15, "with padding 1 the corners see only x[0, 0] and x[3, 3]"

two_channels = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3))])[None]   # (1, 2, 3, 3)
filters = np.ones((4, 2, 3, 3))                                          # 4 filters over 2 channels
out = conv2d(two_channels, filters)
assert out.shape == (1, 4, 1, 1), f"4 filters over 2 channels on a 3x3 input: expected (1, 4, 1, 1), got {out.shape}"
assert np.allclose(out, 27), f"each filter should sum both channels: 9 * 1 + 9 * 2 = 27, got {out.ravel()}"
print("conv2d: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_reference", "locked": true, "points": 13, "schema_version": 3, "solution": false, "task": false}
# Part C: hidden tests compare conv2d with a reference on random batches with several channels and filters,
# strides, padding, int and pair arguments, integer and float32 inputs (13 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d")
rng = _np.random.default_rng(42)
cases = [
    # (N, C_in, H, W), (C_out, kH, kW), bias, stride, padding
    ((2, 3, 7, 9), (4, 3, 2), True, 1, 0),
    ((1, 2, 6, 5), (3, 1, 1), True, 1, 0),
    ((3, 1, 5, 6), (2, 5, 6), True, 1, 0),
    ((2, 2, 9, 8), (3, 2, 2), False, 3, 0),
    ((2, 3, 7, 6), (2, 3, 3), True, 2, 1),
    ((1, 2, 8, 7), (3, 3, 2), True, (2, 1), (0, 2)),
    ((2, 1, 5, 5), (2, 3, 3), True, (1, 2), 1),
    ((1, 4, 6, 9), (5, 4, 3), True, 1, (2, 1)),
]
for xshape, (C_out, kH, kW), has_bias, stride, padding in cases:
    x = rng.normal(size=xshape)
    w = rng.normal(size=(C_out, xshape[1], kH, kW))
    b = rng.normal(size=C_out) if has_bias else None
    _grader.compare("conv2d", (x, w, b), dict(stride=stride, padding=padding))
_grader.compare("conv2d", (rng.integers(-4, 5, size=(2, 2, 5, 6)), rng.integers(-2, 3, size=(3, 2, 2, 2)),
                           rng.integers(-2, 3, size=3)), dict(stride=1, padding=1))
_grader.compare("conv2d", (rng.normal(size=(2, 3, 6, 7)).astype(_np.float32), rng.normal(size=(2, 3, 3, 3)).astype(_np.float32),
                           rng.normal(size=2).astype(_np.float32)), dict(stride=2, padding=1))
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_errors", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Part C: invalid inputs raise ValueError (5 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d")
### END HIDDEN TESTS
bad_calls = [
    ((np.ones((3, 5, 5)), np.ones((1, 3, 2, 2))), {}, "x is 3-D, not (N, C_in, H, W)"),
    ((np.ones((1, 3, 5, 5)), np.ones((1, 2, 2, 2))), {}, "x has 3 channels but weight expects 2"),
    ((np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 4))), {}, "the 4x4 kernel is larger than the 3x3 input"),
]
for args, kwargs, why in bad_calls:
    try:
        conv2d(*args, **kwargs)
    except ValueError:
        pass
    else:
        raise AssertionError(f"conv2d should raise ValueError when {why}")
print("conv2d: invalid inputs raise ValueError.")
### BEGIN HIDDEN TESTS
_grader.expect_value_error("conv2d", _np.ones((1, 1, 4, 4)), _np.ones((1, 2, 2)))
_grader.expect_value_error("conv2d", _np.ones((2, 1, 3, 3)), _np.ones((1, 1, 4, 4)), padding=0)
_grader.expect_value_error("conv2d", _np.ones((1, 1, 3, 8)), _np.ones((1, 1, 5, 2)), padding=(0, 1))
_grader.expect_value_error("conv2d", _np.ones((1, 4, 5, 5)), _np.ones((2, 3, 3, 3)))
_grader.expect_value_error("conv2d", _np.ones((1, 3, 4, 4)), _np.ones((2, 1, 2, 2)))
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_loops", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Part C: the for-loop rule (2 points). Write conv2d with explicit for-loops;
# library convolution and windowing functions (np.convolve, np.correlate, scipy.signal, sliding_window_view,
# as_strided, torch) are not allowed. When your notebook is graded, a hidden test reads your code to check this.
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d")
_grader.check_loops("conv2d")
### END HIDDEN TESTS
print("conv2d: the for-loop rule is checked when your notebook is graded.")

# %% [markdown]
# ## 4. A convolution layer, and what weight sharing buys
#
# A layer bundles the operation with its **parameters**. `Conv2D` owns a weight of shape
# `(out_channels, in_channels, kH, kW)` and a bias of shape `(out_channels,)`.
#
# **Initialisation.** With ReLU activations, weights drawn from a normal distribution with standard deviation
# $\sqrt{2 / \text{fan\_in}}$, where $\text{fan\_in} = C_\text{in} \cdot k_H \cdot k_W$ is the number of inputs each
# output sees, keep the size of the activations roughly constant from layer to layer (He et al., 2015).
# Biases start at zero.
#
# ## Part D: `Conv2D` (10 points)
#
# - `__init__(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, seed=None)`: store `stride`
#   and `padding`; set `self.weight` to He-initialised values drawn from `np.random.default_rng(seed)` (the same
#   seed must give the same weights), and `self.bias` to zeros of shape `(out_channels,)`, or `None` if `bias=False`.
#   `kernel_size` is an `int` or a pair.
# - `forward(x)` returns `conv2d(x, self.weight, self.bias, self.stride, self.padding)`.
# - `parameters()` returns the list of parameter arrays: `[weight, bias]`, or `[weight]` without a bias.

# %% nbgrader={"grade": false, "grade_id": "Conv2D", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Conv2D:
    # A 2-D convolution layer: He-initialised weight (out, in, kH, kW) and zero bias (out,).

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, seed=None):
        ### BEGIN SOLUTION
        kH, kW = as_pair(kernel_size)
        fan_in = in_channels * kH * kW
        rng = np.random.default_rng(seed)
        self.weight = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(out_channels, in_channels, kH, kW))
        self.bias = np.zeros(out_channels) if bias else None
        self.stride = stride
        self.padding = padding
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)
        ### END SOLUTION

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        ### BEGIN SOLUTION
        return [self.weight] if self.bias is None else [self.weight, self.bias]
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_Conv2D_layer", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
# Part D: the Conv2D layer: shapes, initialisation, forward and parameters (10 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("Conv2D")
### END HIDDEN TESTS
layer = Conv2D(3, 8, 3, padding=1, seed=0)
assert layer.weight.shape == (8, 3, 3, 3), f"weight shape {layer.weight.shape}, expected (out, in, kH, kW) = (8, 3, 3, 3)"
assert layer.bias.shape == (8,) and np.all(layer.bias == 0), "bias should be zeros of shape (out_channels,)"
assert np.array_equal(Conv2D(3, 8, 3, padding=1, seed=0).weight, layer.weight), \
    "the same seed should give the same weights: draw them from np.random.default_rng(seed)"
assert Conv2D(2, 4, (3, 5)).weight.shape == (4, 2, 3, 5), "kernel_size (3, 5) should give weight (4, 2, 3, 5)"
assert Conv2D(2, 4, 3, bias=False).bias is None, "bias=False should set self.bias to None"
out = layer(np.ones((2, 3, 6, 6)))
assert out.shape == (2, 8, 6, 6), \
    (f"Conv2D(3, 8, 3, padding=1) on (2, 3, 6, 6) should give (2, 8, 6, 6), got {out.shape}: "
     "does forward pass self.stride and self.padding to conv2d?")
params = layer.parameters()
assert len(params) == 2 and params[0] is layer.weight and params[1] is layer.bias, \
    "parameters() should return [self.weight, self.bias]"
print("Conv2D: the visible examples pass.")
### BEGIN HIDDEN TESTS
rng = _np.random.default_rng(11)
layer = Conv2D(3, 5, (3, 2), stride=2, padding=(1, 0), seed=5)
assert _np.shape(layer.weight) != (3, 5, 3, 2), \
    "Conv2D(3, 5, (3, 2)).weight is (in_channels, out_channels, kH, kW); PyTorch's order is (out_channels, in_channels, kH, kW)"
assert _np.shape(layer.weight) == (5, 3, 3, 2), \
    f"Conv2D(3, 5, (3, 2)).weight has shape {_np.shape(layer.weight)}, expected (out_channels, in_channels, kH, kW) = (5, 3, 3, 2)"
assert _grader.pair(layer.stride) == (2, 2) and _grader.pair(layer.padding) == (1, 0), \
    f"store stride and padding as given: got stride={layer.stride!r}, padding={layer.padding!r}"
layer.bias = rng.normal(size=5)
x = rng.normal(size=(2, 3, 7, 6))
_grader.check(layer.forward(x), _grader.conv2d(x, layer.weight, layer.bias, 2, (1, 0)),
              "Conv2D(3, 5, (3, 2), stride=2, padding=(1, 0)).forward(x)",
              {"forward ignores the layer's stride and padding: pass self.stride and self.padding to conv2d":
                   _grader.conv2d(x, layer.weight, layer.bias)})
_grader.check(layer(x), _grader.conv2d(x, layer.weight, layer.bias, 2, (1, 0)), "calling the layer")
no_bias = Conv2D(2, 3, 2, bias=False, seed=1)
assert len(no_bias.parameters()) == 1 and no_bias.parameters()[0] is no_bias.weight, \
    "without a bias, parameters() should return [self.weight]"
_grader.check(no_bias(x[:, :2]), _grader.conv2d(x[:, :2], no_bias.weight), "Conv2D(2, 3, 2, bias=False)(x)")
assert not _np.array_equal(Conv2D(3, 4, 3, seed=1).weight, Conv2D(3, 4, 3, seed=2).weight), \
    "different seeds should give different weights"
assert not _np.array_equal(Conv2D(3, 4, 3).weight, Conv2D(3, 4, 3).weight), \
    "seed=None should give fresh random weights each time"
big = Conv2D(16, 32, 3, seed=123).weight
expected_std = _np.sqrt(2.0 / (16 * 3 * 3))
assert abs(big.mean()) < 0.1 * expected_std, f"He initialisation has mean 0; your weights have mean {big.mean():.3g}"
assert abs(big.std() / expected_std - 1) < 0.05, \
    (f"He initialisation has std sqrt(2 / fan_in) = {expected_std:.4f} for Conv2D(16, 32, 3) "
     f"(fan_in = in_channels * kH * kW = 144); your weights have std {big.std():.4f}")
### END HIDDEN TESTS

# %% [markdown]
# ### Written answer: weight sharing (10 points, graded by hand)
#
# A `Conv2D(1, 8, 3, padding=1)` layer turns a 28×28 grayscale image into 8 feature maps of 28×28.
#
# 1. How many parameters (weights and biases) does this layer have?
# 2. A `Dense` layer that maps the same 784 input pixels to the same 8 × 28 × 28 outputs: how many parameters does it have?
# 3. In two or three sentences: why does weight sharing matter, for the number of parameters and for what the layer
#    can learn? Mention one thing that a convolution *cannot* do that the dense layer can.
#
# Show the arithmetic.

# %% [markdown] nbgrader={"grade": true, "grade_id": "weight_sharing_answer", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# 1. Conv2D: 8 filters × (1 channel × 3 × 3) weights + 8 biases = 72 + 8 = **80** parameters.
# 2. Dense: 784 inputs × 6,272 outputs + 6,272 biases = 4,917,248 + 6,272 = **4,923,520** parameters,
#    about 61,000 times more.
# 3. Weight sharing reuses one small kernel at every position, so the parameter count does not depend on the image
#    size, there is far less to learn from the same data, and a feature learned in one place is detected everywhere
#    (the layer is translation-equivariant). The price: a convolution cannot treat positions differently
#    (e.g. a weight that applies only to the top-left corner) or connect distant pixels in one layer; the dense layer can.
# ### END SOLUTION

# %% [markdown]
# ## 5. Pooling
#
# A pooling layer summarises each window of a feature map by one number and has **no parameters**:
# **max pooling** keeps the strongest response ("is the feature somewhere in this window?"), **average pooling** the
# mean. By default the stride equals the window size, so windows do not overlap and a 2×2 pool halves the height and
# the width. Each channel is pooled on its own. Leftover rows or columns that do not fill a window are dropped
# (PyTorch's default "floor mode"), which is the output-size formula with $p = 0$.

# %% tags=["figure:pooling"]
def show_pooling(x, size):
    # Colour each non-overlapping window, then show the max and the mean of each window.
    blocks = np.kron(np.arange((x.shape[0] // size) * (x.shape[1] // size)).reshape(x.shape[0] // size, -1),
                     np.ones((size, size)))
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    draw_grid(axes[0], x, f"input, {size}x{size} windows")
    axes[0].imshow(blocks, cmap="Pastel1", alpha=0.6)
    windows = x.reshape(x.shape[0] // size, size, x.shape[1] // size, size)
    draw_grid(axes[1], windows.max(axis=(1, 3)), "max pooling", cmap="Greens")
    draw_grid(axes[2], windows.mean(axis=(1, 3)), "average pooling", cmap="Greens")
    fig.tight_layout()
    plt.show()


show_pooling(np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 7, 5], [1, 1, 3, 9]]), 2)


# %% [markdown]
# ## Part E: `max_pool2d` (8 points) and `avg_pool2d` (7 points)
#
# `max_pool2d(x, kernel_size, stride=None)` and `avg_pool2d(x, kernel_size, stride=None)` take `x` of shape
# `(N, C, H, W)`; `kernel_size` and `stride` are an `int` or a pair, and `stride=None` means `stride = kernel_size`.
# No padding; the output is `(N, C, H_out, W_out)` with the output-size formula. Loop over the output positions
# (you may reduce a whole `(N, C, kH, kW)` window at once with NumPy). `avg_pool2d` returns floats;
# `max_pool2d` may keep the input's dtype.

# %% nbgrader={"grade": false, "grade_id": "max_pool2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def max_pool2d(x, kernel_size, stride=None):
    # Maximum over each kH x kW window of every channel; stride defaults to kernel_size.
    ### BEGIN SOLUTION
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got {x.shape}")
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    N, C, H, W = x.shape
    H_out, W_out = conv_output_size(H, kH, sH), conv_output_size(W, kW, sW)
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW].max(axis=(2, 3))
    return out
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "avg_pool2d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def avg_pool2d(x, kernel_size, stride=None):
    # Mean over each kH x kW window of every channel; stride defaults to kernel_size.
    ### BEGIN SOLUTION
    # Another way to loop: over the kH * kW offsets inside the window, adding up strided slices of x.
    x = np.asarray(x, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    H_out, W_out = conv_output_size(x.shape[2], kH, sH), conv_output_size(x.shape[3], kW, sW)
    total = np.zeros(x.shape[:2] + (H_out, W_out))
    for a in range(kH):
        for b in range(kW):
            total += x[:, :, a:a + sH * (H_out - 1) + 1:sH, b:b + sW * (W_out - 1) + 1:sW]
    return total / (kH * kW)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_max_pool2d", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
# Part E: max_pool2d (7 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("max_pool2d")
rng = _np.random.default_rng(5)
for shape, k, s in [((2, 3, 6, 8), 2, None), ((1, 2, 7, 9), 3, None), ((2, 2, 7, 6), (2, 3), None),
                    ((1, 3, 8, 8), 3, 2), ((2, 1, 9, 7), (3, 2), (2, 1)), ((1, 1, 5, 5), 5, None), ((1, 2, 6, 5), 1, None)]:
    _grader.compare("max_pool2d", (rng.normal(size=shape), k), dict(stride=s), floating=False)
_grader.compare("max_pool2d", (-rng.random(size=(2, 2, 4, 6)) - 1, 2), floating=False)
_grader.compare("max_pool2d", (rng.integers(-9, 10, size=(2, 2, 6, 6)), 3), floating=False)
### END HIDDEN TESTS
x = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 7, 5], [1, 1, 3, 9]], dtype=float)[None, None]
out = max_pool2d(x, 2)
assert isinstance(out, np.ndarray) and out.shape == (1, 1, 2, 2), \
    f"2x2 max pooling of a 4x4 map should give (1, 1, 2, 2), got {getattr(out, 'shape', out)}"
assert np.array_equal(out[0, 0], [[6, 2], [2, 9]]), f"max_pool2d(x, 2) returned\n{out[0, 0]}\nexpected\n[[6 2]\n [2 9]]"
assert max_pool2d(x, 2, stride=1).shape == (1, 1, 3, 3), "kernel 2 with stride 1 on 4x4 gives 3x3"
assert max_pool2d(np.ones((2, 3, 5, 7)), 2).shape == (2, 3, 2, 3), \
    "pooling (2, 3, 5, 7) by 2 keeps N and C and drops the leftover row and column: (2, 3, 2, 3)"
print("max_pool2d: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_avg_pool2d", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
# Part E: avg_pool2d (6 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("avg_pool2d")
rng = _np.random.default_rng(6)
for shape, k, s in [((2, 3, 6, 8), 2, None), ((1, 2, 7, 9), 3, None), ((2, 2, 7, 6), (2, 3), None),
                    ((1, 3, 8, 8), 3, 2), ((2, 1, 9, 7), (3, 2), (2, 1)), ((1, 1, 5, 5), 5, None)]:
    _grader.compare("avg_pool2d", (rng.normal(size=shape), k), dict(stride=s))
_grader.compare("avg_pool2d", (rng.integers(0, 10, size=(2, 2, 6, 6)), 2))
_grader.compare("avg_pool2d", (rng.normal(size=(1, 2, 6, 6)).astype(_np.float32), 3))
### END HIDDEN TESTS
x = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 7, 5], [1, 1, 3, 9]], dtype=float)[None, None]
out = avg_pool2d(x, 2)
assert isinstance(out, np.ndarray) and out.shape == (1, 1, 2, 2), \
    f"2x2 average pooling of a 4x4 map should give (1, 1, 2, 2), got {getattr(out, 'shape', out)}"
assert np.allclose(out[0, 0], [[3.5, 1], [1, 6]]), f"avg_pool2d(x, 2) returned\n{out[0, 0]}\nexpected\n[[3.5 1. ]\n [1.  6. ]]"
assert np.allclose(avg_pool2d(np.arange(6.0).reshape(1, 1, 2, 3), (1, 3)), [[[[1], [4]]]]), \
    "a (1, 3) window averages each row of three"
print("avg_pool2d: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_max_pool2d_loops", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Part E: the for-loop rule (1 point). Write max_pool2d with explicit for-loops;
# library convolution and windowing functions (np.convolve, np.correlate, scipy.signal, sliding_window_view,
# as_strided, torch) are not allowed. When your notebook is graded, a hidden test reads your code to check this.
### BEGIN HIDDEN TESTS
_grader.grade_alone("max_pool2d")
_grader.check_loops("max_pool2d")
### END HIDDEN TESTS
print("max_pool2d: the for-loop rule is checked when your notebook is graded.")

# %% nbgrader={"grade": true, "grade_id": "test_avg_pool2d_loops", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Part E: the for-loop rule (1 point). Write avg_pool2d with explicit for-loops;
# library convolution and windowing functions (np.convolve, np.correlate, scipy.signal, sliding_window_view,
# as_strided, torch) are not allowed. When your notebook is graded, a hidden test reads your code to check this.
### BEGIN HIDDEN TESTS
_grader.grade_alone("avg_pool2d")
_grader.check_loops("avg_pool2d")
### END HIDDEN TESTS
print("avg_pool2d: the for-loop rule is checked when your notebook is graded.")

# %% [markdown]
# ## 6. A small convolutional network
#
# The remaining building blocks are provided: `ReLU` (zero out negatives), `Flatten` (turn each example's feature maps
# into one long vector, row-major), `Dense` (`y = x @ weight + bias`, with `weight` of shape `(in_features,
# out_features)`), and layer wrappers `MaxPool2D` / `AvgPool2D` around your pooling functions. Every layer is called
# like a function and has `parameters()`.

# %% nbgrader={"grade": false, "grade_id": "provided_layers", "locked": true, "schema_version": 3, "solution": false, "task": false}
class ReLU:
    def forward(self, x):
        return np.maximum(x, 0)

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        return []


class Flatten:
    # (N, d1, d2, ...) -> (N, d1 * d2 * ...), row-major.
    def forward(self, x):
        return np.asarray(x).reshape(len(x), -1)

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        return []


class Dense:
    # y = x @ weight + bias, weight (in_features, out_features) He-initialised, bias zeros.
    def __init__(self, in_features, out_features, seed=None):
        rng = np.random.default_rng(seed)
        self.weight = rng.normal(0.0, np.sqrt(2.0 / in_features), size=(in_features, out_features))
        self.bias = np.zeros(out_features)

    def forward(self, x):
        return x @ self.weight + self.bias

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        return [self.weight, self.bias]


class MaxPool2D:
    def __init__(self, kernel_size, stride=None):
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride)

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        return []


class AvgPool2D(MaxPool2D):
    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride)


# %% [markdown]
# ## Part F: `SimpleConvNet` (12 points)
#
# Build the network
#
# ```
# Conv2D(in_channels, 8, 3, padding=1) → ReLU → MaxPool2D(2) → Flatten → Dense(8 * (H // 2) * (W // 2), num_classes)
# ```
#
# for images of size `image_size = (H, W)`:
#
# - `__init__` stores the five layers, in this order, in the list `self.layers`. Pass seeds to `Conv2D` and `Dense`
#   derived from `seed` (for instance from `np.random.default_rng(seed)`) so that the same `seed` builds the same network.
# - `forward(x)` takes `(N, in_channels, H, W)` and applies the layers in order, returning logits of shape
#   `(N, num_classes)`.
#
# Why `8 * (H // 2) * (W // 2)`? Padding 1 keeps the 3×3 convolution's output at H×W, pooling halves it (rounding
# down), and there are 8 channels to flatten.

# %% nbgrader={"grade": false, "grade_id": "SimpleConvNet", "locked": false, "schema_version": 3, "solution": true, "task": false}
class SimpleConvNet:
    # Conv2D(in, 8, 3, padding=1) -> ReLU -> MaxPool2D(2) -> Flatten -> Dense(8 * (H//2) * (W//2), num_classes)

    def __init__(self, in_channels=1, image_size=(28, 28), num_classes=10, seed=None):
        ### BEGIN SOLUTION
        H, W = image_size
        conv_seed, dense_seed = np.random.default_rng(seed).integers(2**32, size=2)
        self.layers = [
            Conv2D(in_channels, 8, 3, padding=1, seed=conv_seed),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(8 * (H // 2) * (W // 2), num_classes, seed=dense_seed),
        ]
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer(x)
        return x
        ### END SOLUTION

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


# %% nbgrader={"grade": true, "grade_id": "test_SimpleConvNet", "locked": true, "points": 12, "schema_version": 3, "solution": false, "task": false}
# Part F: SimpleConvNet's layers and forward pass (12 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("SimpleConvNet")
### END HIDDEN TESTS
net = SimpleConvNet(seed=0)
expected_kinds = [Conv2D, ReLU, MaxPool2D, Flatten, Dense]
missing = [kind.__name__ for kind in expected_kinds if not any(isinstance(layer, kind) for layer in net.layers)]
assert len(net.layers) == 5 and all(isinstance(layer, kind) for layer, kind in zip(net.layers, expected_kinds)), \
    (f"layers should be Conv2D, ReLU, MaxPool2D, Flatten, Dense in this order; got {[type(l).__name__ for l in net.layers]}"
     + (f"; missing: {', '.join(missing)}" if missing else ""))
assert net.layers[0].weight.shape == (8, 1, 3, 3), f"the Conv2D weight should be (8, 1, 3, 3), got {net.layers[0].weight.shape}"
assert as_pair(net.layers[0].padding) == (1, 1), "the convolution should use padding=1, so that it keeps the image's H x W"
assert net.layers[4].weight.shape == (8 * 14 * 14, 10), \
    f"the Dense weight should be (8 * 14 * 14, 10) = (1568, 10), got {net.layers[4].weight.shape}"
logits = net(np.ones((2, 1, 28, 28)))
assert logits.shape == (2, 10), f"logits should have shape (N, num_classes) = (2, 10), got {logits.shape}"
print("SimpleConvNet: the visible examples pass.")
### BEGIN HIDDEN TESTS
rng = _np.random.default_rng(9)
for in_channels, size, classes in [(2, (10, 8), 5), (3, (7, 9), 4), (1, (6, 6), 3)]:
    net = SimpleConvNet(in_channels=in_channels, image_size=size, num_classes=classes, seed=4)
    conv, dense = net.layers[0], net.layers[4]
    assert isinstance(conv, Conv2D) and isinstance(net.layers[2], MaxPool2D) and isinstance(dense, Dense), \
        "layers should be Conv2D, ReLU, MaxPool2D, Flatten, Dense in this order"
    assert conv.weight.shape == (8, in_channels, 3, 3), f"Conv2D weight for {in_channels} input channels: got {conv.weight.shape}"
    assert _grader.pair(conv.padding) == (1, 1) and _grader.pair(conv.stride) == (1, 1), \
        "the convolution should use padding=1 and stride 1"
    assert _grader.pair(net.layers[2].kernel_size) == (2, 2), "pool with MaxPool2D(2)"
    features = 8 * (size[0] // 2) * (size[1] // 2)
    assert dense.weight.shape == (features, classes), \
        f"image_size={size}: the Dense layer needs 8 * (H // 2) * (W // 2) = {features} inputs, got {dense.weight.shape[0]}"
    # The grader's own parameters go into the student's layers, and the expected output comes from the grader's
    # copies, never from values read back (a layer object could report any weights it likes).
    conv_weight, conv_bias = rng.normal(size=(8, in_channels, 3, 3)), rng.normal(size=8)
    dense_weight, dense_bias = rng.normal(size=(features, classes)), rng.normal(size=classes)
    conv.weight, conv.bias, dense.weight, dense.bias = conv_weight, conv_bias, dense_weight, dense_bias
    x = rng.normal(size=(3, in_channels) + size)
    feature_maps = _grader.conv2d(x, conv_weight, conv_bias, 1, 1)
    expected = lambda maps, pool: pool(maps, 2).reshape(3, -1) @ dense_weight + dense_bias
    _grader.check(net.forward(x), expected(_np.maximum(feature_maps, 0), _grader.max_pool2d),
                  f"SimpleConvNet(in_channels={in_channels}, image_size={size}).forward(x)",
                  {"the ReLU is missing": expected(feature_maps, _grader.max_pool2d),
                   "you used average pooling instead of max pooling": expected(_np.maximum(feature_maps, 0), _grader.avg_pool2d)})
x = rng.normal(size=(2, 1, 12, 12))
first, second = SimpleConvNet(image_size=(12, 12), seed=8), SimpleConvNet(image_size=(12, 12), seed=8)
assert _grader.close(_np.asarray(second(x), dtype=float), _np.asarray(first(x), dtype=float)), \
    ("SimpleConvNet(seed=8) built twice gives different outputs: the same seed should build the same network, "
     "so pass seeds derived from `seed` to Conv2D and Dense")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Use it: edges in a real photograph
#
# Time to point your code at a real image: Grace Hopper's portrait, which ships with matplotlib. The **Sobel**
# kernels from the start of this notebook respond to horizontal and vertical changes of brightness; their combined
# magnitude $\sqrt{g_x^2 + g_y^2}$ outlines the edges. Both filters run in one call of your `conv2d`, as two output
# channels of one layer.

# %% tags=["figure:edges"]
photo = plt.imread(get_sample_data("grace_hopper.jpg", asfileobj=False)).mean(axis=2) / 255   # (600, 512) gray
photo = photo[::4, ::4]                                                                        # (150, 128)

sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
sobel_filters = np.stack([sobel_x, sobel_x.T])[:, None]          # (2 filters, 1 channel, 3, 3)
edges = conv2d(photo[None, None], sobel_filters, padding=1)[0]    # (2, 150, 128)

fig, axes = plt.subplots(1, 4, figsize=(14, 4.5))
panels = [(photo, "input", "gray"), (edges[0], "Sobel x: vertical edges", "RdBu"),
          (edges[1], "Sobel y: horizontal edges", "RdBu"), (np.hypot(*edges), "edge magnitude", "magma")]
for ax, (image, title, cmap) in zip(axes, panels):
    ax.imshow(image, cmap=cmap)
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 8. Understand it: what the first layer of `SimpleConvNet` sees
#
# Before training, the first layer's 8 filters are random, and so are its feature maps: some respond to
# brightness, some weakly to edges, and some hardly at all, because ReLU zeroes every negative response. Training would shape the filters into detectors like the Sobel kernels. To see
# what good filters do, we hand the same layer eight designed kernels: edge detectors in four directions, a blur,
# a sharpen, a Laplacian (spots and outlines) and the identity. The rows show the layer's output after ReLU and
# pooling, exactly what the `Dense` layer receives.

# %% tags=["figure:feature-maps"]
small = photo[::2, ::2]                                              # (75, 64)
net = SimpleConvNet(in_channels=1, image_size=small.shape, seed=0)
conv, relu, pool = net.layers[:3]

designed = {
    "vertical edge": sobel_x, "horizontal edge": sobel_x.T,
    "diagonal \\": np.array([[2, 1, 0], [1, 0, -1], [0, -1, -2]]), "diagonal /": np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]]),
    "blur": np.ones((3, 3)) / 9, "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "Laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]]), "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
}

fig, axes = plt.subplots(2, 8, figsize=(16, 4.6))
for row, label in enumerate(["random filters (untrained)", "designed filters"]):
    if row == 1:
        conv.weight = np.stack(list(designed.values())).astype(float)[:, None]
    maps = pool(relu(conv(small[None, None])))[0]                   # (8, 37, 32)
    for k, ax in enumerate(axes[row]):
        ax.imshow(maps[k], cmap="viridis")
        ax.set_title(list(designed)[k] if row else f"filter {k}", fontsize=9)
        ax.axis("off")
    axes[row, 0].text(-0.15, 0.5, label, transform=axes[row, 0].transAxes, rotation=90, ha="right", va="center")
plt.show()
print("logits for this photo (untrained, so meaningless for now):", net(small[None, None]).round(2))


# %% [markdown]
# ## 9. Stretch (ungraded): loops versus vectorised code
#
# Your `conv2d` runs one Python iteration per output position, and Python iterations are slow. Deep-learning
# libraries rearrange the computation into one big matrix product ("im2col"). A neat way to do it with NumPy:
# **loop over the kernel instead of the image**. For each of the $k_H k_W$ offsets $(a, b)$, the slice
# `padded[:, :, a : a + sH*H_out : sH, b : b + sW*W_out : sW]` holds, for every output position at once, the input
# value that meets `weight[:, :, a, b]`. Stack those slices and contract them with the weights using
# `np.tensordot` or `np.einsum`: only $k_H k_W$ Python iterations remain, however large the image.
#
# If you like, implement `conv2d_vectorized` below; the next cell times it against your `conv2d`. This part is not
# graded (and remember that Parts A to F must keep their loops).

# %% nbgrader={"grade": false, "grade_id": "conv2d_vectorized", "locked": false, "schema_version": 3, "solution": true, "task": false}
def conv2d_vectorized(x, weight, bias=None, stride=1, padding=0):
    # Same result as conv2d, with Python loops only over the kernel offsets.
    ### BEGIN SOLUTION
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    sH, sW = as_pair(stride)
    ph, pw = as_pair(padding)
    N, C, H, W = x.shape
    C_out, _, kH, kW = weight.shape
    H_out, W_out = (H + 2 * ph - kH) // sH + 1, (W + 2 * pw - kW) // sW + 1
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    columns = np.empty((C, kH, kW, N, H_out, W_out))
    for a in range(kH):
        for b in range(kW):
            columns[:, a, b] = padded[:, :, a:a + sH * H_out:sH, b:b + sW * W_out:sW].transpose(1, 0, 2, 3)
    out = np.tensordot(weight, columns, axes=3).transpose(1, 0, 2, 3)   # (C_out, N, ...) -> (N, C_out, ...)
    return out if bias is None else out + np.asarray(bias)[None, :, None, None]
    ### END SOLUTION


# %% tags=["figure:timing"]
sizes = [8, 16, 24, 32, 48]
rng = np.random.default_rng(1)
weights = rng.normal(size=(4, 3, 3, 3))
timings = {"your conv2d (loops)": [], "conv2d_vectorized": []}
for size in sizes:
    images = rng.normal(size=(2, 3, size, size))
    for name, function in [("your conv2d (loops)", conv2d), ("conv2d_vectorized", conv2d_vectorized)]:
        try:
            start = time.perf_counter()
            result = function(images, weights, padding=1)
            timings[name].append(time.perf_counter() - start)
        except NotImplementedError:
            timings[name].append(np.nan)
    if not np.isnan(timings["conv2d_vectorized"][-1]):
        assert np.allclose(result, conv2d(images, weights, padding=1)), "conv2d_vectorized disagrees with conv2d"

plt.figure(figsize=(6, 4))
for name, seconds in timings.items():
    plt.plot(sizes, seconds, "o-", label=name)
plt.yscale("log")
plt.xlabel("image height = width (2 images, 3 → 4 channels, 3×3 kernel)")
plt.ylabel("seconds")
plt.legend()
plt.title("Loops versus vectorised convolution")
plt.show()
if np.isnan(timings["conv2d_vectorized"]).all():
    print("Implement conv2d_vectorized above to see its curve.")
else:
    print(f"at {sizes[-1]}x{sizes[-1]}: the vectorised version is "
          f"{timings['your conv2d (loops)'][-1] / timings['conv2d_vectorized'][-1]:.0f}x faster")

# %% [markdown]
# ## Summary
#
# - A convolution slides one small kernel over the input (**local connectivity**) and uses the same weights at
#   every position (**weight sharing**); deep-learning "convolution" is cross-correlation: no flip.
# - Output size along each axis: $\lfloor (n + 2p - k)/s \rfloor + 1$.
# - A multi-channel filter sums over all input channels; a layer with `C_out` filters makes `C_out` feature maps.
# - Pooling summarises windows without parameters; a CNN stacks convolution, non-linearity and pooling, then
#   classifies the flattened features with a dense layer.
#
# **Going further**
# 1. Add a `dilation` argument to `conv2d` (gaps between kernel elements) and adapt the output-size formula.
# 2. Implement `groups` (each filter sees only a slice of the channels); what do you get with `groups = C_in = C_out`?
# 3. Write the backward pass of `conv2d`: the gradient with respect to the input is itself a convolution. Which one?
#
# Before you submit: *Kernel → Restart & Run All*, and check that every test cell above runs without an error.
