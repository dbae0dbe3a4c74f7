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
# - implement `conv2d` with the semantics of PyTorch's `torch.nn.functional.conv2d` for an `int` or `(h, w)`
#   `stride` and `padding` (PyTorch's `dilation`, `groups` and `padding="same"` are left out);
# - say how far a unit of a stacked network can see (its receptive field), and show that gradient descent on the
#   loss turns a random kernel into an edge detector.
#
# | Part | What you write | Points | Time (estimate) |
# |---|---|---|---|
# | 1 | Reading: why convolution, the sliding window | | 15 min |
# | A | `conv2d_naive`: one channel, one kernel | 15 | 30 min |
# | B | `conv_output_size` and `pad2d`: stride and padding | 13 | 30 min |
# | C | `conv2d`: batches, channels, filters, bias | 25 | 50 min |
# | D | `Conv2D` layer, and a written answer on weight sharing | 20 | 35 min |
# | E | `max_pool2d` and `avg_pool2d` | 15 | 25 min |
# | F | `SimpleConvNet`: Conv2D → ReLU → pool → Flatten → Dense | 12 | 20 min |
# | 7–11 | Reading and running: edges, feature maps, translation, receptive fields, learning a kernel | | 30 min |
# | | **Total** | **100** | **about 4 hours** |
#
# The times are for a student who knows NumPy slicing and has not written a convolution before; debugging a
# shape or an off-by-one error is most of them. The ungraded stretch at the end (`conv2d_vectorized`) takes
# another 30 to 60 minutes.
#
# **How this notebook works**
# - Write your code where it says `# YOUR CODE HERE` and delete the `raise NotImplementedError()` line.
#   Keep the function signatures as they are: the grader calls them.
# - Each part is followed by test cells. The tests you see are small examples you can check by hand, and between
#   them they try every rule that the hidden tests grade: `(h, w)` pairs, integer inputs, non-square images,
#   strides that do not tile the input, inputs left unchanged, the `ValueError`s. When you submit, hidden tests
#   also compare your code with a reference on many random inputs. Passing the visible tests is a good sign, not
#   a guarantee.
# - Grading runs your notebook in a sandbox (no network, no files but your own), then checks every test you
#   passed a second time, calling your functions from outside your notebook's kernel. A test counts only if it
#   passes both times, so code that changes NumPy or the tests cannot earn points.
# - Each part is graded on its own: if your `pad2d` has a bug, your `conv2d` is still graded as if `pad2d` were right.
# - Use explicit Python `for`-loops where a part asks for them. That is the point of the exercise: the loops
#   *are* the convolution. (Inside a loop you may multiply a whole window by the kernel with NumPy.) A few points
#   of `conv2d_naive`, `conv2d` and the pooling functions go to this rule: no library convolution or windowing
#   function (`np.convolve`, `scipy.signal`, `sliding_window_view`, ...) in those parts. The `*_loops` test cells
#   preview the rule on your code.
# - Run the cells in order (*Run → Run All Cells* after a kernel restart is a good final check), and do not
#   delete or copy the test cells.

# %%
import ast
import inspect
import textwrap
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
# positions, form the output **feature map**. Watch it happen below: the kernel once, then one step per column,
# with the window on the input at the top and the output filled so far underneath.

# %% nbgrader={"grade": false, "grade_id": "figure_helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Helpers for the figures and for the test cells' for-loop preview. There is nothing for you to do here.
def draw_grid(ax, values, title="", window=None, cmap="Blues", vmin=None, vmax=None, dim_outside=False):
    # Draw a small matrix as numbered squares. `window` = (row, col, height, width) is outlined in orange on top of
    # the grid lines and never clipped; with dim_outside=True the cells outside it are faded. vmin and vmax fix
    # the colour scale (by default it spans the values). NaN cells are left empty.
    values = np.asarray(values, dtype=float)
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
            ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=10, zorder=3, alpha=0.4 if outside else 1,
                    color="white" if dark else "black")
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


def show_sliding_window(image, kernel):
    # The kernel once, then one column per output position: the window on the input (the rest faded) and the
    # output map filled so far, all output steps on one colour scale centred at 0.
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    shape = (image.shape[0] - kh + 1, image.shape[1] - kw + 1)
    final = np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(shape[1])] for i in range(shape[0])])
    limit = np.abs(final).max()
    fig, axes = plt.subplots(2, final.size + 1, figsize=(2.7 * (final.size + 1), 5.2), layout="constrained",
                             gridspec_kw={"height_ratios": [image.shape[0], image.shape[0]]})
    draw_grid(axes[0, 0], kernel, "the kernel K\n(the same at every step)", cmap="PuOr",
              vmin=-np.abs(kernel).max() - 1, vmax=np.abs(kernel).max() + 1)
    axes[1, 0].axis("off")
    out = np.full(shape, np.nan)
    for step, (i, j) in enumerate(np.ndindex(shape), start=1):
        out[i, j] = final[i, j]
        draw_grid(axes[0, step], image, f"step {step}: window at ({i}, {j})", window=(i, j, kh, kw), dim_outside=True)
        draw_grid(axes[1, step], out, f"out[{i}, {j}] = sum(window * K) = {final[i, j]:g}", window=(i, j, 1, 1),
                  cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[1, step].title.set_fontsize(8.5)
    fig.colorbar(axes[1, -1].images[0], ax=axes[1, :], shrink=0.8, label="output value (one scale for every step)")
    plt.show()


def show_positions_1d(ax, size, kernel_size, stride, padding):
    # The window positions along one axis: zero padding in grey, one bracket per output element.
    total = size + 2 * padding
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


def window_counts(size, kernel_size, padding):
    # How many window positions of a square convolution cover each pixel of a size x size input.
    counts = np.zeros((size, size), dtype=int)
    starts = range(-padding, size + padding - kernel_size + 1)
    for i in starts:
        for j in starts:
            counts[max(i, 0):i + kernel_size, max(j, 0):j + kernel_size] += 1
    return counts


def loop_rule_preview(function):
    # A preview of the for-loop rule that the grader checks on your code: `function`, or a function of yours
    # that it calls, has a for- or while-loop, and none of them uses a library convolution or windowing function.
    banned = {"convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve", "sliding_window_view",
              "as_strided", "stride_tricks", "scipy", "torch", "tensorflow", "jax", "cv2", "skimage"}
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
                    raise AssertionError(f"{function.__name__} uses `{name}` (in {current.__name__}): this part asks "
                                         "for explicit for-loops, not a library convolution or windowing function")
            helper = current.__globals__.get(node.id) if isinstance(node, ast.Name) else None
            if inspect.isfunction(helper) and helper.__module__ == current.__module__ and helper is not loop_rule_preview:
                todo.append(helper)
    assert has_loop, (f"{function.__name__} has no for-loop: this part asks you to slide the window with explicit "
                      "for-loops over the output positions")


# %%
X = np.array([[1, 2, 0, 3],
              [4, 1, 1, 0],
              [0, 2, 5, 1],
              [3, 1, 0, 2]])
K = np.array([[1, 0, -1],
              [2, 0, -2],
              [1, 0, -1]])   # responds to changes from left to right: a "vertical edge" detector

# %% tags=["figure:sliding-window"]
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
                           (np.ones((3, 3)), np.ones((2, 4)), "the kernel is wider than the image"),
                           (np.ones(5), np.ones((2, 2)), "the image is 1-D"),
                           (np.ones((1, 3, 3)), np.ones((2, 2)), "the image is 3-D")]:
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
# image-sized kernels, integer and float32 inputs (5 points). The visible checks below try the same
# contracts on small cases you can check by hand: a non-square image, integers in and floats out, inputs unchanged.
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
image = np.array([[0, 1, 2, 3],
                  [4, 5, 6, 7]])            # 2 x 4, integers
kernel = np.array([[1, 2]])                 # 1 x 2: out[i, j] = image[i, j] + 2 * image[i, j + 1]
image_before, kernel_before = image.copy(), kernel.copy()
out = conv2d_naive(image, kernel)
assert out.shape == (2, 3), \
    f"a (2, 4) image and a (1, 2) kernel give (H - kH + 1, W - kW + 1) = (2, 3), got {out.shape}: rows and columns swapped?"
assert np.allclose(out, [[2, 5, 8], [14, 17, 20]]), f"conv2d_naive(image, [[1, 2]]) returned\n{out}\nexpected\n[[ 2.  5.  8.]\n [14. 17. 20.]]"
assert np.issubdtype(out.dtype, np.floating), \
    (f"conv2d_naive returned dtype {out.dtype} for an integer image and kernel; it should return floats: create the "
     "output with np.zeros(shape), which is float (np.zeros_like(image) copies the image's integer dtype)")
half = conv2d_naive(image, np.array([[0.5]]))
assert np.allclose(half, image / 2), \
    f"conv2d_naive(image, [[0.5]]) returned\n{half}\nexpected image / 2: integer outputs truncate 0.5 to 0"
assert np.array_equal(image, image_before) and np.array_equal(kernel, kernel_before), \
    "conv2d_naive modified its input in place; compute each window into a new value instead"
print("conv2d_naive: non-square, integer and unchanged-input examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_naive_loops", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Part A: the for-loop rule (2 points). Write conv2d_naive with explicit for-loops;
# library convolution and windowing functions (np.convolve, np.correlate, scipy.signal, sliding_window_view,
# as_strided, torch) are not allowed. The visible preview reads your code in your notebook; when your notebook is
# graded, a hidden test checks the rule again on your code's text.
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d_naive")
_grader.check_loops("conv2d_naive")
### END HIDDEN TESTS
if inspect.isfunction(conv2d_naive):   # in your notebook: a preview of the rule, read from your code
    loop_rule_preview(conv2d_naive)
print("conv2d_naive: the for-loop rule preview passes (the grader checks the rule again).")

# %% [markdown]
# Flipping the kernel (rotating it by 180°) turns cross-correlation into the textbook convolution. For `K` the
# flip is the same as a change of sign (`K[::-1, ::-1]` equals `-K`), so its true convolution is exactly the
# negated map: the left-to-right detector becomes a right-to-left one. That is a property of this kernel, not of
# convolution: `L = [[1, 2], [0, 0]]` is not negated by the flip, and its true convolution is neither its
# cross-correlation nor the negation of it.

# %%
print("K flipped equals -K:", np.array_equal(K[::-1, ::-1], -K))
print("cross-correlation with K (what CNNs compute):\n", conv2d_naive(X, K))
print("true convolution with K = cross-correlation with the flipped K:\n", conv2d_naive(X, K[::-1, ::-1]))
L = np.array([[1, 2], [0, 0]])
print("cross-correlation with L:\n", conv2d_naive(X, L))
print("true convolution with L:\n", conv2d_naive(X, L[::-1, ::-1]))

# %% [markdown]
# ## 2. Stride and padding
#
# Two knobs change where the window goes:
#
# - **Stride** $s$: move the window $s$ pixels at a time instead of 1. The output shrinks by about a factor of $s$.
# - **Padding** $p$: surround the input with $p$ rows/columns of zeros on every side before sliding. With a
#   3×3 kernel, $p=1$ keeps the output the same size as the input ("same" padding).
#
# Below, one axis of length 7 with a kernel of 3. Count the brackets: each is one output element.

# %% tags=["figure:stride-padding"]
fig, axes = plt.subplots(2, 1, figsize=(7, 4.6), layout="constrained")
show_positions_1d(axes[0], size=7, kernel_size=3, stride=1, padding=0)
show_positions_1d(axes[1], size=7, kernel_size=3, stride=2, padding=1)
plt.show()

# %% [markdown]
# Padding gives every pixel a window centred on it, but it does not make the border count as much as the middle.
# Count, for a 6×6 input and a 3×3 kernel, how many window positions cover each pixel. Without padding a corner
# pixel is in 1 window and a pixel two steps in from every side is in 9. With $p = 1$ a corner pixel is in 4 windows,
# a pixel elsewhere on the border in 6 and an interior pixel in 9: along each axis a window covers a pixel if it
# starts 0, 1 or 2 cells before it, and at the border one of those three starts would lie outside the padding, so
# $2 \times 2 = 4$ at a corner, $2 \times 3 = 6$ on an edge, $3 \times 3 = 9$ inside.

# %% tags=["figure:padding-coverage"]
fig, axes = plt.subplots(1, 2, figsize=(8, 4.4), layout="constrained")
for ax, padding in zip(axes, (0, 1)):
    counts = window_counts(6, 3, padding)
    edge, inside = (sorted(set(part.ravel().tolist())) for part in (counts[0, 1:-1], counts[1:-1, 1:-1]))
    draw_grid(ax, counts, f"k = 3, p = {padding}: {(6 + 2 * padding - 3 + 1) ** 2} window positions\n"
              f"corner {counts[0, 0]}, edge {'/'.join(map(str, edge))}, inside {'/'.join(map(str, inside))}",
              cmap="Greens", vmin=0, vmax=12)
fig.suptitle("How many windows cover each pixel of a 6×6 input")
plt.show()


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
         ((28, 2), dict(stride=2), 14), ((5, 5), {}, 1),
         ((8, 3), dict(stride=2), 3),               # the stride does not tile: (8 - 3) / 2 = 2.5 rounds down
         ((3, 5), dict(padding=1), 1)]              # a kernel larger than the input fits the padded input
for args, kwargs, expected in cases:
    got = conv_output_size(*args, **kwargs)
    assert got == expected, f"conv_output_size{args} with {kwargs} returned {got}, expected {expected}"
for args in [(7, 3), (8, 3, 2)]:
    assert isinstance(conv_output_size(*args), (int, np.integer)), \
        f"conv_output_size{args} returned {conv_output_size(*args)!r}; return an int (use //, not /)"
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
assert padded.dtype == small.dtype, \
    f"pad2d changed the dtype from {small.dtype} to {padded.dtype}; keep x's dtype (np.zeros(..., dtype=x.dtype))"
same = pad2d(small, 0)
assert np.array_equal(same, small) and not np.shares_memory(same, small), \
    "pad2d(x, 0) should return a new array equal to x, not x itself (or a view of it)"
assert pad2d(np.ones((2, 3, 4)), (1, 2)).shape == (2, 5, 8), "a 3-D (C, H, W) input is padded on its last two axes only"
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
    fig, axes = plt.subplots(3, len(x) + 1, figsize=(2.4 * (len(x) + 1), 7), layout="constrained")
    # One colour scale per row, so that equal numbers look equal; signed rows are centred at 0.
    out = sum(maps) + bias
    weight_limit, map_limit = np.abs(filt).max() + 1, max(np.abs(maps).max(), np.abs(out).max()) + 1
    for c in range(len(x)):
        draw_grid(axes[0, c], x[c], f"input channel {c}", vmin=-1, vmax=x.max() + 1)
        draw_grid(axes[1, c], filt[c], f"filter slice {c}", cmap="PuOr", vmin=-weight_limit, vmax=weight_limit)
        draw_grid(axes[2, c], maps[c], f"channel {c} ⋆ slice {c}", cmap="RdBu_r", vmin=-map_limit, vmax=map_limit)
    draw_grid(axes[2, -1], out, f"sum + bias ({bias:g})\n= output map", cmap="RdBu_r", vmin=-map_limit, vmax=map_limit)
    axes[0, -1].axis("off")
    axes[1, -1].axis("off")
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
# Implement `conv2d(x, weight, bias=None, stride=1, padding=0)`: it computes what PyTorch's
# `torch.nn.functional.conv2d` computes for the same arguments (PyTorch also has `dilation`, `groups` and
# `padding="same"`, which are left out here):
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
# strides, padding, int and pair arguments, integer and float32 inputs (13 points). The visible checks below try
# each of those contracts on a case you can check by hand.
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
# An integer, non-square image and a kernel that is not symmetric: out[i, j] = 0.5 * x[i, j] + x[i, j + 1].
x = np.arange(8).reshape(1, 1, 2, 4)
w = np.array([[[[0.5, 1.0]]]])
x_before, w_before = x.copy(), w.copy()
out = conv2d(x, w)
assert out.shape == (1, 1, 2, 3), f"a (2, 4) image and a (1, 2) kernel give (1, 1, 2, 3), got {out.shape}: H and W swapped?"
assert np.issubdtype(out.dtype, np.floating), \
    f"conv2d returned dtype {out.dtype} for an integer x; it should return floats (create the output with np.zeros)"
expected = np.array([[1, 2.5, 4], [7, 8.5, 10]])
if np.allclose(out[0, 0], [[0.5, 2, 3.5], [6.5, 8, 9.5]]):
    raise AssertionError("conv2d flipped the kernel (true convolution); use the kernel as it is")
assert np.allclose(out[0, 0], expected), f"conv2d(x, [[0.5, 1]]) returned\n{out[0, 0]}\nexpected\n{expected}"
assert np.array_equal(x, x_before) and np.array_equal(w, w_before), "conv2d modified its input in place"

# stride and padding as (h, w) pairs: stride 2 down and 1 across, no padding above and below, 1 left and right.
x = np.arange(16.0).reshape(1, 1, 4, 4)
try:
    out = conv2d(x, np.ones((1, 1, 2, 2)), stride=(2, 1), padding=(0, 1))
except (TypeError, ValueError, IndexError) as error:
    raise AssertionError(f"conv2d(x, w, stride=(2, 1), padding=(0, 1)) raised {type(error).__name__}: {error}; "
                         "stride and padding may be (h, w) pairs: read them with as_pair") from None
assert out.shape == (1, 1, 2, 5), \
    (f"stride=(2, 1), padding=(0, 1) on a 4x4 image with a 2x2 kernel gives H_out = (4 - 2) // 2 + 1 = 2 and "
     f"W_out = (4 + 2 - 2) // 1 + 1 = 5, got {out.shape[2:]}: is a pair read as (h, w)?")
expected = np.array([[4, 10, 14, 18, 10], [20, 42, 46, 50, 26]])
assert np.allclose(out[0, 0], expected), f"stride=(2, 1), padding=(0, 1): got\n{out[0, 0]}\nexpected\n{expected}"

# Three filters over two channels, one bias each, and a stride that does not tile the 3x5 input (the last row and
# column fit no window): every window sums 4 * 1 + 4 * 2 = 12, plus its filter's bias.
two_channels = np.stack([np.ones((3, 5)), 2 * np.ones((3, 5))])[None]   # (1, 2, 3, 5)
out = conv2d(two_channels, np.ones((3, 2, 2, 2)), np.array([0.0, 10.0, 20.0]), stride=2)
assert out.shape == (1, 3, 1, 2), f"stride 2 with a 2x2 kernel on 3x5 gives (1, 3, 1, 2), got {out.shape}"
assert np.allclose(out[0, :, 0, 0], [12, 22, 32]), \
    (f"filters with biases [0, 10, 20] should give [12, 22, 32], got {out[0, :, 0, 0]}: add bias[o], once, to "
     "every output of filter o")
print("conv2d: integer, non-square, pair and bias examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_conv2d_errors", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Part C: invalid inputs raise ValueError (5 points).
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d")
### END HIDDEN TESTS
bad_calls = [
    ((np.ones((3, 5, 5)), np.ones((1, 3, 2, 2))), {}, "x is 3-D, not (N, C_in, H, W)"),
    ((np.ones((1, 3, 5, 5)), np.ones((1, 2, 2, 2))), {}, "x has 3 channels but weight expects 2"),
    ((np.ones((1, 3, 5, 5)), np.ones((2, 1, 2, 2))), {}, "x has 3 channels but weight expects 1 (NumPy would broadcast)"),
    ((np.ones((1, 1, 4, 4)), np.ones((1, 2, 2))), {}, "weight is 3-D, not (C_out, C_in, kH, kW)"),
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
# as_strided, torch) are not allowed. The visible preview reads your code in your notebook; when your notebook is
# graded, a hidden test checks the rule again on your code's text.
### BEGIN HIDDEN TESTS
_grader.grade_alone("conv2d")
_grader.check_loops("conv2d")
### END HIDDEN TESTS
if inspect.isfunction(conv2d):   # in your notebook: a preview of the rule, read from your code
    loop_rule_preview(conv2d)
print("conv2d: the for-loop rule preview passes (the grader checks the rule again).")

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
std, he = np.std(Conv2D(16, 32, 3, seed=0).weight), np.sqrt(2 / (16 * 3 * 3))
assert abs(std / he - 1) < 0.05, \
    (f"Conv2D(16, 32, 3) weights have std {std:.4f}; He initialisation has std sqrt(2 / fan_in) = {he:.4f} "
     "with fan_in = in_channels * kH * kW = 144")
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
    # Outline each non-overlapping window, then show the max and the mean of each window, all on one colour scale.
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.2), layout="constrained")
    scale = dict(cmap="Greens", vmin=-1, vmax=x.max() + 1)
    draw_grid(axes[0], x, f"input, {size}x{size} windows", **scale)
    for r in range(0, x.shape[0] - size + 1, size):
        for c in range(0, x.shape[1] - size + 1, size):
            axes[0].add_patch(Rectangle((c - 0.5, r - 0.5), size, size, fill=False, edgecolor="tab:orange",
                                        linewidth=3, zorder=4, clip_on=False))
    windows = x.reshape(x.shape[0] // size, size, x.shape[1] // size, size)
    draw_grid(axes[1], windows.max(axis=(1, 3)), "max pooling", **scale)
    draw_grid(axes[2], windows.mean(axis=(1, 3)), "average pooling", **scale)
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
batch = np.concatenate([x, -x])                  # (2, 1, 4, 4): the second image is the first one negated
out = max_pool2d(batch, 2)
assert out.shape == (2, 1, 2, 2) and np.array_equal(out[1, 0], [[-1, 0], [0, -3]]), \
    (f"max_pool2d of the negated image should give [[-1, 0], [0, -3]], got\n{out[1, 0]}\n"
     "pool each image and each channel on its own: reduce over the window's last two axes only")
assert max_pool2d(x, (2, 1), stride=(2, 1)).shape == (1, 1, 2, 4), "kernel (2, 1) with stride (2, 1) on 4x4 gives 2x4"
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
out = avg_pool2d(np.array([[[[1, 2], [3, 5]]]]), 2)
assert np.issubdtype(out.dtype, np.floating) and np.allclose(out, 2.75), \
    f"avg_pool2d of the integers [[1, 2], [3, 5]] should be the float 2.75, got {out.ravel()} ({out.dtype})"
print("avg_pool2d: the visible examples pass.")

# %% nbgrader={"grade": true, "grade_id": "test_max_pool2d_loops", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Part E: the for-loop rule (1 point). Write max_pool2d with explicit for-loops;
# library convolution and windowing functions (np.convolve, np.correlate, scipy.signal, sliding_window_view,
# as_strided, torch) are not allowed. The visible preview reads your code in your notebook; when your notebook is
# graded, a hidden test checks the rule again on your code's text.
### BEGIN HIDDEN TESTS
_grader.grade_alone("max_pool2d")
_grader.check_loops("max_pool2d")
### END HIDDEN TESTS
if inspect.isfunction(max_pool2d):   # in your notebook: a preview of the rule, read from your code
    loop_rule_preview(max_pool2d)
print("max_pool2d: the for-loop rule preview passes (the grader checks the rule again).")

# %% nbgrader={"grade": true, "grade_id": "test_avg_pool2d_loops", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Part E: the for-loop rule (1 point). Write avg_pool2d with explicit for-loops;
# library convolution and windowing functions (np.convolve, np.correlate, scipy.signal, sliding_window_view,
# as_strided, torch) are not allowed. The visible preview reads your code in your notebook; when your notebook is
# graded, a hidden test checks the rule again on your code's text.
### BEGIN HIDDEN TESTS
_grader.grade_alone("avg_pool2d")
_grader.check_loops("avg_pool2d")
### END HIDDEN TESTS
if inspect.isfunction(avg_pool2d):   # in your notebook: a preview of the rule, read from your code
    loop_rule_preview(avg_pool2d)
print("avg_pool2d: the for-loop rule preview passes (the grader checks the rule again).")

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
assert not isinstance(net.layers[2], AvgPool2D), "pool with MaxPool2D(2), not AvgPool2D (a subclass of MaxPool2D)"
assert net.layers[4].weight.shape == (8 * 14 * 14, 10), \
    f"the Dense weight should be (8 * 14 * 14, 10) = (1568, 10), got {net.layers[4].weight.shape}"
logits = net(np.ones((2, 1, 28, 28)))
assert logits.shape == (2, 10), f"logits should have shape (N, num_classes) = (2, 10), got {logits.shape}"
x = np.linspace(-1, 1, 28 * 28).reshape(1, 1, 28, 28)
logits, by_hand = net(x), x
for k in range(5):
    by_hand = net.layers[k](by_hand)
assert np.allclose(logits, by_hand), "forward(x) should apply every layer of self.layers, in order, to x"
assert np.allclose(SimpleConvNet(seed=0)(x), logits), \
    "SimpleConvNet(seed=0) built twice gives different outputs: pass seeds derived from `seed` to Conv2D and Dense"
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
#
# We pad by 1 so that the maps line up with the photograph, and then crop the outermost ring of each map: there
# the window hangs over the zero padding, and the photograph's bright border meeting the zeros looks like an edge
# nearly as strong as the strongest in the picture (the cell prints both). Signed maps are drawn on a colour scale centred at 0:
# red where brightness falls from left to right (or from top to bottom), blue where it rises.

# %% tags=["figure:edges"]
photo = plt.imread(get_sample_data("grace_hopper.jpg", asfileobj=False)).mean(axis=2) / 255   # (600, 512) gray
photo = photo[::4, ::4]                                                                        # (150, 128)

sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
sobel_filters = np.stack([sobel_x, sobel_x.T])[:, None]          # (2 filters, 1 channel, 3, 3)
edges = conv2d(photo[None, None], sobel_filters, padding=1)[0]    # (2, 150, 128)
magnitude = np.hypot(*edges)
ring = np.ones(magnitude.shape, dtype=bool)
ring[1:-1, 1:-1] = False
print(f"edge magnitude on the outermost ring (the zero padding): up to {magnitude[ring].max():.2f}; "
      f"inside: up to {magnitude[~ring].max():.2f}")
edges, magnitude = edges[:, 1:-1, 1:-1], magnitude[1:-1, 1:-1]  # crop the ring

limit = np.abs(edges).max()
fig, axes = plt.subplots(1, 4, figsize=(15, 4.6), layout="constrained")
axes[0].imshow(photo, cmap="gray")
axes[0].set_title("input (150 × 128)")
for ax, image, title in [(axes[1], edges[0], "Sobel x: vertical edges"), (axes[2], edges[1], "Sobel y: horizontal edges")]:
    shown = ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(title + "\n(outer ring cropped)")
fig.colorbar(shown, ax=axes[1:3], shrink=0.8, label="response (one scale, centred at 0)")
shown = axes[3].imshow(magnitude, cmap="magma", vmin=0)
axes[3].set_title("edge magnitude √(gx² + gy²)")
fig.colorbar(shown, ax=axes[3], shrink=0.8)
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 8. Understand it: what the first layer of `SimpleConvNet` sees
#
# Before training, the first layer's 8 filters are random, and so are its feature maps. To see what good filters
# do, we then hand the same layer eight designed kernels: edge detectors in four directions, a blur, a sharpen, a
# Laplacian (spots and outlines) and the identity; training would shape the random filters into detectors like these
# (section 11 shows it for one kernel). Each kernel is drawn above its feature map. The maps are the
# convolution's output *before* the ReLU (the outer ring, where the window meets the zero padding, cropped as in
# section 7), all sixteen on one colour scale centred at 0, so you can compare their strength and sign. The ReLU
# keeps only the red parts: a filter whose map is blue almost everywhere, like one of the random ones here, is
# nearly silent after it (the cell prints the share each random filter keeps). Most random filters give faint
# copies of the photograph; the designed ones pick out one kind of structure each.

# %% tags=["figure:feature-maps"]
small = photo[::2, ::2]                                              # (75, 64)
net = SimpleConvNet(in_channels=1, image_size=small.shape, seed=0)
conv = net.layers[0]
random_maps = conv(small[None, None])                               # (1, 8, 75, 64), before the ReLU
logits = net.layers[4](net.layers[3](net.layers[2](net.layers[1](random_maps))))   # = net(small[None, None])
print("logits of the untrained network for this photo (meaningless until it is trained):", logits.round(2))
random_kernels = conv.weight[:, 0].copy()

designed = {
    "vertical edge": sobel_x, "horizontal edge": sobel_x.T,
    "diagonal edge /": np.array([[2, 1, 0], [1, 0, -1], [0, -1, -2]]),
    "diagonal edge \\": np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]]),
    "blur": np.ones((3, 3)) / 9, "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "Laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]]), "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
}
conv.weight = np.stack(list(designed.values())).astype(float)[:, None]
designed_maps = conv(small[None, None])

random_maps, designed_maps = random_maps[0, :, 1:-1, 1:-1], designed_maps[0, :, 1:-1, 1:-1]   # ring cropped
kept = (random_maps > 0).mean(axis=(1, 2))
print("share of each random filter's map that the ReLU keeps (> 0):", kept.round(2))
map_limit = np.percentile(np.abs(np.concatenate([random_maps, designed_maps])), 99)
fig, axes = plt.subplots(4, 8, figsize=(16, 9.4), layout="constrained",
                         gridspec_kw={"height_ratios": [0.7, 1, 0.7, 1]})
rows = [(random_kernels, random_maps, [f"random filter {k}" for k in range(8)]),
        (conv.weight[:, 0], designed_maps, list(designed))]
for block, (kernels, maps, names) in enumerate(rows):
    kernel_limit = np.abs(kernels).max()
    for k in range(8):
        top, bottom = axes[2 * block, k], axes[2 * block + 1, k]
        kernel_image = top.imshow(kernels[k], cmap="PuOr", vmin=-kernel_limit, vmax=kernel_limit)
        top.set_title(names[k], fontsize=9)
        map_image = bottom.imshow(maps[k], cmap="RdBu_r", vmin=-map_limit, vmax=map_limit)
        top.axis("off")
        bottom.axis("off")
    fig.colorbar(kernel_image, ax=axes[2 * block, :], shrink=0.9, label="kernel weight")
fig.colorbar(map_image, ax=axes[:, :], location="bottom", shrink=0.5, aspect=40,
             label=f"response before the ReLU, one scale for all 16 maps (saturates beyond ±{map_limit:.2f}, 1% of values)")
plt.show()
print("diagonal kernels on a '/' edge (bright above-left, dark below-right) and on a '\\' edge:")
slash, backslash = np.triu(np.ones((3, 3)))[:, ::-1], np.triu(np.ones((3, 3)))
for name in ("diagonal edge /", "diagonal edge \\"):
    print(f"  {name}: {np.sum(designed[name] * slash):g} and {np.sum(designed[name] * backslash):g}")

# %% [markdown]
# ## 9. Translation: shift the image, and the feature map shifts with it
#
# Weight sharing has a consequence you can test: the same kernel at every position means that shifting the input
# shifts the output by the same amount. The convolution is **translation-equivariant**. Below, the second image is
# the same part of the photograph moved 3 pixels down and 5 to the right (taken from the full photograph, so
# no pixels wrap around). Shift its feature map back by (3, 5) and, wherever the two images show the same pixels,
# it equals the first map exactly (the cell prints the largest difference); only the moved map's top 3 rows and
# left 5 columns differ, because there it sees pixels that the first image does not contain. The crosses mark one
# point of the scene: where it is in the first image (+) and where it moved to (×).
#
# Pooling adds a little **invariance**: a 4×4 max pool reports the strongest response in each window, so it
# changes less than the map itself when the image moves by a pixel or two. But only a little, and it does not
# last: the right-hand plot moves the image 0 to 8 pixels to the right and measures how much each output changes
# (the norm of the change over the norm of the output), without shifting back. The max-pooled map changes less
# than the map before pooling (the cell prints both for a one-pixel move), but it does change, and more with every
# pixel up to the size of the pooling window. A CNN is only approximately shift-invariant.

# %% tags=["figure:translation"]
top, left, size, dy, dx = 40, 30, 48, 3, 5
view = photo[top:top + size, left:left + size]
moved = photo[top - dy:top - dy + size, left - dx:left - dx + size]   # moved[i + dy, j + dx] == view[i, j]
view_map, moved_map = conv2d_naive(view, sobel_x), conv2d_naive(moved, sobel_x)   # (46, 46) each
difference = np.abs(moved_map[dy:, dx:] - view_map[:-dy, :-dx]).max()
print(f"largest difference between the moved map shifted back and the original map: {difference:g}")

# For the right-hand plot: one map of a wider strip, cut at every shift (the slice is the map of the moved image,
# which is equivariance once more).
strip_map = np.maximum(conv2d_naive(photo[top:top + size, left - 8:left + size], sobel_x), 0)[None, None]
shifts = np.arange(9)
change = {"ReLU map": [], "after 4×4 max pooling": []}
base = strip_map[..., 8:]
for shift in shifts:
    current = strip_map[..., 8 - shift:8 - shift + base.shape[-1]]
    change["ReLU map"].append(np.linalg.norm(current - base) / np.linalg.norm(base))
    change["after 4×4 max pooling"].append(np.linalg.norm(max_pool2d(current, 4) - max_pool2d(base, 4))
                                           / np.linalg.norm(max_pool2d(base, 4)))

print(f"moved 1 pixel right: the ReLU map changes by {change['ReLU map'][1]:.0%}, "
      f"the max-pooled map by {change['after 4×4 max pooling'][1]:.0%}")
fig, axes = plt.subplots(1, 5, figsize=(17, 3.8), layout="constrained",
                         gridspec_kw={"width_ratios": [1, 1, 1, 1, 1.5]})
limit = np.abs(view_map).max()
for ax, image, title in [(axes[0], view, "image"), (axes[1], moved, f"moved {dy} down, {dx} right")]:
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
for ax, image, title in [(axes[2], view_map, "Sobel x of the image"), (axes[3], moved_map, "Sobel x of the moved image")]:
    shown = ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(title)
for ax, offset in zip(axes[:4], (0, 0, 1, 1)):   # map position (i, j) is the window centred on pixel (i + 1, j + 1)
    ax.plot(20 - offset, 20 - offset, "+", color="lime", markersize=14, markeredgewidth=2)   # a point of the scene
for ax, offset, colour in [(axes[1], 0, "yellow"), (axes[3], 1, "black")]:
    ax.plot(20 + dx - offset, 20 + dy - offset, "x", color=colour, markersize=10, markeredgewidth=2)   # where it moved
for ax in axes[:4]:
    ax.axis("off")
fig.colorbar(shown, ax=axes[2:4], shrink=0.8, label="response")
for label, values in change.items():
    axes[4].plot(shifts, values, "o-", label=label)
axes[4].set_xlabel("image moved right by (pixels)")
axes[4].set_ylabel("relative change of the output")
axes[4].set_title("pooling changes less, but it changes")
axes[4].legend()
plt.show()

# %% [markdown]
# ## 10. How far a unit sees: receptive fields, and the 1×1 convolution
#
# A unit's **receptive field** is the patch of the input that can change it. One 3×3 convolution sees 3×3 pixels.
# Stack a second 3×3 convolution on top and each of its units sees a 3×3 window of the first layer, each of which
# sees 3×3 pixels: together a 5×5 patch of the input (each extra 3×3 layer adds 2). Put a 2×2 max pool (stride 2)
# between the two convolutions and the second layer's 3×3 window spans 6×6 first-layer units, so its receptive
# field grows to 8×8. That is why CNNs alternate convolution and pooling: a few layers see the whole object. The
# numbers count the paths from each input pixel to the one unit at the top: the centre of the receptive field
# reaches it in many ways, its rim in one.

# %% tags=["figure:receptive-field"]
def paths_to_one_unit(window_above, kernel_size):
    # For each cell of the layer below, the number of paths to the unit: the counts above, spread by a kernel of ones.
    rows, cols = window_above.shape
    below = np.zeros((rows + kernel_size - 1, cols + kernel_size - 1), dtype=int)
    for (r, c), count in np.ndenumerate(window_above):
        below[r:r + kernel_size, c:c + kernel_size] += count
    return below


one = np.ones((1, 1), dtype=int)
fields = {"one 3×3 convolution": paths_to_one_unit(one, 3),
          "two 3×3 convolutions": paths_to_one_unit(paths_to_one_unit(one, 3), 3),
          "3×3 conv → 2×2 max pool → 3×3 conv": paths_to_one_unit(np.kron(paths_to_one_unit(one, 3), np.ones((2, 2), dtype=int)), 3)}
fig, axes = plt.subplots(1, 3, figsize=(14, 5.2), layout="constrained")
for ax, (title, counts) in zip(axes, fields.items()):
    canvas = np.full((10, 10), np.nan)                                  # the same 10 x 10 patch of input pixels
    start = (10 - len(counts)) // 2
    canvas[start:start + len(counts), start:start + len(counts)] = counts
    draw_grid(ax, canvas, f"{title}:\nsees {counts.shape[0]}×{counts.shape[1]} input pixels", cmap="Greens",
              vmin=0, vmax=11)
fig.suptitle("The receptive field of one unit, on the same patch of input pixels (numbers: paths to the unit)")
plt.show()

# %% [markdown]
# A **1×1 convolution** is the other extreme: its receptive field is one pixel, and it mixes channels only. At
# every position it computes `weight[:, :, 0, 0] @ x[n, :, i, j]`: the same dense layer from `C_in` to `C_out`
# numbers, applied to every pixel. Networks use it to change the number of channels cheaply. The cell checks it
# with your `conv2d`.

# %%
rng = np.random.default_rng(2)
x, w = rng.normal(size=(1, 3, 4, 5)), rng.normal(size=(2, 3, 1, 1))
per_pixel_dense = np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x)
print("a 1x1 convolution equals a dense layer applied at every pixel:", np.allclose(conv2d(x, w), per_pixel_dense))

# %% [markdown]
# ## 11. Learn a kernel
#
# Section 8 said that training shapes random filters into detectors. Here is the smallest version of that, with
# your `conv2d_naive`. Take a crop $X$ of the photograph and a target $T$: the output of a Sobel kernel that the
# learner never sees. Start from a random 3×3 kernel $K$, compute $Y = $ `conv2d_naive(X, K)` and the loss
# $L = \frac{1}{2n}\sum_{i,j}(Y_{ij} - T_{ij})^2$ over the $n$ output positions. Since
# $Y_{ij} = \sum_{a,b} X_{i+a,\,j+b} K_{ab}$,
#
# $$\frac{\partial L}{\partial K_{ab}} = \sum_{i,j} \frac{\partial L}{\partial Y_{ij}}\, X_{i+a,\,j+b}
# \qquad\text{that is,}\qquad \frac{\partial L}{\partial K} = \texttt{conv2d\_naive}\Big(X,\ \frac{\partial L}{\partial Y}\Big),
# \qquad \frac{\partial L}{\partial Y} = \frac{Y - T}{n}:$$
#
# the gradient with respect to the kernel is itself a cross-correlation, of the input with the output's gradient
# (a "kernel" as large as the output, which leaves a 3×3 result). The cell checks one entry of it against a finite
# difference, then takes 40 steps of gradient descent $K \leftarrow K - \eta\, \partial L / \partial K$. The crop is
# standardised (mean 0, standard deviation 1) so that one step size $\eta = 0.5$ suits every entry of the kernel.

# %% tags=["figure:learn-kernel"]
crop = photo[48:64, 78:94]                                   # 16 x 16: an eye behind the glasses
X_crop = (crop - crop.mean()) / crop.std()
target = conv2d_naive(X_crop, sobel_x)                       # what the hidden kernel makes of the crop


def loss_and_gradient(kernel):
    residual = conv2d_naive(X_crop, kernel) - target
    return 0.5 * np.mean(residual ** 2), conv2d_naive(X_crop, residual / residual.size)


kernel = np.random.default_rng(0).normal(size=(3, 3))
start_kernel = kernel.copy()
loss, gradient = loss_and_gradient(kernel)
nudged = kernel.copy()
nudged[0, 2] += 1e-6
print(f"dL/dK[0, 2]: from the formula {gradient[0, 2]:.6f}, "
      f"from a finite difference {(loss_and_gradient(nudged)[0] - loss) / 1e-6:.6f}")
losses = []
for step in range(40):
    loss, gradient = loss_and_gradient(kernel)
    losses.append(loss)
    kernel = kernel - 0.5 * gradient
print(f"loss {losses[0]:.3g} at the start, {losses[-1]:.2g} after {len(losses)} steps; "
      f"largest error of the learned kernel: {np.abs(kernel - sobel_x).max():.1g}")

fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), layout="constrained", gridspec_kw={"width_ratios": [1.6, 1, 1, 1]})
axes[0].semilogy(losses, "o-", markersize=3)
axes[0].set_xlabel("gradient-descent step")
axes[0].set_ylabel("loss L (log scale)")
axes[0].set_title("the loss falls, and the kernel turns into Sobel x")
for ax, values, title in [(axes[1], start_kernel, "random start"), (axes[2], kernel, f"learned after {len(losses)} steps"),
                          (axes[3], sobel_x, "hidden target (Sobel x)")]:
    draw_grid(ax, np.round(values, 2) + 0.0, title, cmap="PuOr", vmin=-2.5, vmax=2.5)   # + 0.0: no "-0"
plt.show()

# %% [markdown]
# This is what training does to every filter of a CNN: the gradient of the loss with respect to each kernel is a
# cross-correlation like the one above, and gradient descent follows it. The next assignment computes these
# gradients through the whole network (backpropagation through `conv2d`, pooling and the dense layer) and so trains
# `SimpleConvNet`.

# %% [markdown]
# ## 12. Stretch (ungraded): loops versus vectorised code
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
# - Convolution is translation-equivariant (shift the input, the map shifts); max pooling makes the output only
#   approximately invariant to small shifts.
# - Stacked 3×3 convolutions see 5×5, 7×7, ...; pooling between them grows the receptive field faster. A 1×1
#   convolution is a dense layer across channels, applied at every pixel.
# - The gradient of the loss with respect to a kernel is a cross-correlation of the input with the output's gradient;
#   gradient descent on it turns a random kernel into the detector the data asks for.
#
# **Going further**
# 1. Add a `dilation` argument to `conv2d` (gaps between kernel elements) and adapt the output-size formula.
# 2. Implement `groups` (each filter sees only a slice of the channels); what do you get with `groups = C_in = C_out`?
# 3. Section 11 found the gradient with respect to the kernel. The gradient with respect to the input is a convolution
#    too: which one? Check your answer with a finite difference, as section 11 does.
#
# Before you submit: *Kernel → Restart & Run All*, and check that every test cell above runs without an error.
