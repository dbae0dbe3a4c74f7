"""Realistic mistakes, written as edits of the instructor's solution (an edit that stops matching raises).

Each entry's hint is what its feedback must say: the words of the message that name the mistake.
"""
from ..entry import wrong

NAIVE_LOOPS = ("            total = 0.0\n            for a in range(kH):\n                for b in range(kW):\n"
               "                    total += image[i + a, j + b] * kernel[a, b]\n            out[i, j] = total")
NAIVE_CHECKS = ('    if image.ndim != 2 or kernel.ndim != 2:\n'
                '        raise ValueError(f"image and kernel must be 2-D, got {image.ndim}-D and {kernel.ndim}-D")\n')
NAIVE_SIZE_CHECK = ('    if kH > H or kW > W:\n'
                    '        raise ValueError(f"kernel {kernel.shape} is larger than image {image.shape}")\n')
SIZE = "(input_size + 2 * padding - kernel_size) // stride + 1"
PAD_COPY = "    out[..., ph:ph + H, pw:pw + W] = x\n"
PAD_SHAPE = "(H + 2 * ph, W + 2 * pw)"
CONV_PRODUCT = "np.sum(window * weight[o])"
CONV_BIAS = "            if bias is not None:\n                out[n, o] += bias[o]\n"
CONV_OUT = "out = np.zeros((N, C_out, H_out, W_out))"
POOL_STRIDE = "as_pair(kernel_size if stride is None else stride)"
AVG_SUM = "            total += x[:, :, a:a + sH * (H_out - 1) + 1:sH, b:b + sW * (W_out - 1) + 1:sW]"

CONV2D_NAIVE = (
    wrong("naive_flipped_kernel", "conv2d_naive", "true convolution: the kernel indexed back to front",
          "true convolution (kernel flipped)", ("kernel[a, b]", "kernel[kH - 1 - a, kW - 1 - b]")),
    wrong("naive_transposed", "conv2d_naive", "writes out[j, i]: H and W swapped on non-square images",
          "your output is transposed",
          ("out = np.zeros((H - kH + 1, W - kW + 1))", "out = np.zeros((W - kW + 1, H - kH + 1))"),
          ("out[i, j] = total", "out[j, i] = total")),
    wrong("naive_off_by_one", "conv2d_naive", "loops and output one position short (no +1)", "don't forget the +1",
          ("out = np.zeros((H - kH + 1, W - kW + 1))", "out = np.zeros((H - kH, W - kW))"),
          ("range(H - kH + 1)", "range(H - kH)"), ("range(W - kW + 1)", "range(W - kW)")),
    wrong("naive_integer_output", "conv2d_naive", "output created with the image's dtype: integers truncate",
          "integer outputs truncate",
          ("out = np.zeros((H - kH + 1, W - kW + 1))", "out = np.zeros((H - kH + 1, W - kW + 1), dtype=image.dtype)")),
    wrong("naive_modifies_input", "conv2d_naive", "multiplies each window of the image in place",
          "modified its input in place",
          (NAIVE_LOOPS, "            window = image[i:i + kH, j:j + kW]\n            window *= kernel\n"
                        "            out[i, j] = window.sum()")),
    wrong("naive_no_checks", "conv2d_naive", "raises no ValueError for a kernel wider than the image",
          "should raise ValueError", (NAIVE_CHECKS, ""), (NAIVE_SIZE_CHECK, "")),
    wrong("naive_scipy_correlate2d", "conv2d_naive", "right values from scipy.signal.correlate2d, no loops",
          "not a library convolution or windowing function", code='''\
from scipy.signal import correlate2d


def conv2d_naive(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    return correlate2d(image, kernel, mode="valid")
'''),
    wrong("naive_rejects_full_kernel", "conv2d_naive", "refuses a kernel as large as the image",
          "a kernel as large as the image gives a 1x1 output", ("if kH > H or kW > W:", "if kH >= H or kW >= W:")),
    wrong("naive_zeros_like_image", "conv2d_naive", "output built on np.zeros_like(image): integer for an integer image",
          "integer outputs truncate",
          ("out = np.zeros((H - kH + 1, W - kW + 1))", "out = np.zeros_like(image[:H - kH + 1, :W - kW + 1])")),
)

CONV_OUTPUT_SIZE = (
    wrong("size_no_plus_one", "conv_output_size", "formula without the +1", "the +1 is missing", (SIZE, SIZE[:-4])),
    wrong("size_padding_once", "conv_output_size", "pads one side only in the formula", "the padding is counted once",
          ("input_size + 2 * padding", "input_size + padding")),
    wrong("size_rounds_up", "conv_output_size", "rounds the division up", "you rounded up",
          (SIZE, "int(np.ceil((input_size + 2 * padding - kernel_size) / stride)) + 1")),
    wrong("size_stride_on_input", "conv_output_size", "divides only the input size by the stride",
          "the stride divides only the input size", (SIZE, "input_size // stride + 2 * padding - kernel_size + 1")),
    wrong("size_true_division", "conv_output_size", "uses / and returns a float", "use //, not /",
          (SIZE, "(input_size + 2 * padding - kernel_size) / stride + 1")),
    wrong("size_no_checks", "conv_output_size", "raises no ValueError at all", "it should raise ValueError",
          ('    if stride < 1:\n        raise ValueError(f"stride must be at least 1, got {stride}")\n', ""),
          ('    if padding < 0:\n        raise ValueError(f"padding must be non-negative, got {padding}")\n', ""),
          ('    if size < 1:\n        raise ValueError(f"a kernel of {kernel_size} does not fit in {input_size} + 2 * '
           '{padding} padding")\n', "")),
)

PAD2D = (
    wrong("pad_one_side", "pad2d", "zeros below and to the right only", "you padded only below and to the right",
          (PAD_SHAPE, "(H + ph, W + pw)"), (PAD_COPY, "    out[..., :H, :W] = x\n")),
    wrong("pad_twice", "pad2d", "2 * padding zeros on each side", "you padded twice as much",
          (PAD_SHAPE, "(H + 4 * ph, W + 4 * pw)"), (PAD_COPY, "    out[..., 2 * ph:2 * ph + H, 2 * pw:2 * pw + W] = x\n")),
    wrong("pad_with_ones", "pad2d", "starts from np.ones", "the border should be zeros, not ones",
          ("out = np.zeros(", "out = np.ones(")),
    wrong("pad_first_axes", "pad2d", "np.pad on the first two axes, right only for 2-D input",
          "you padded the first two axes",
          ("    H, W = x.shape[-2:]\n", ""), (f"    out = np.zeros(x.shape[:-2] + {PAD_SHAPE}, dtype=x.dtype)\n", ""),
          (PAD_COPY + "    return out", "    return np.pad(x, [(ph, ph), (pw, pw)] + [(0, 0)] * (x.ndim - 2))")),
    wrong("pad_float64_output", "pad2d", "always returns float64", "keep x's dtype", (", dtype=x.dtype)", ")")),
    wrong("pad_returns_input", "pad2d", "returns x itself for padding 0", "returned x itself",
          ("    H, W = x.shape[-2:]\n", "    if ph == 0 and pw == 0:\n        return x\n    H, W = x.shape[-2:]\n")),
    wrong("pad_swapped_pair", "pad2d", "reads padding (ph, pw) as (pw, ph)", "the padding pair is swapped",
          ("ph, pw = as_pair(padding)", "pw, ph = as_pair(padding)")),
)

CONV2D = (
    wrong("conv_flipped_kernel", "conv2d", "true convolution: every filter flipped", "true convolution (kernel flipped)",
          ("window * weight[o]", "window * weight[o, :, ::-1, ::-1]")),
    wrong("conv_no_bias", "conv2d", "never adds the bias", "the bias is missing", (CONV_BIAS, "")),
    wrong("conv_bias_per_input_channel", "conv2d", "adds the bias inside the loop over input channels",
          "the bias is added once per input channel", (CONV_BIAS, ""),
          (f"out[n, o, i, j] = {CONV_PRODUCT}",
           "out[n, o, i, j] = sum(np.sum(window[c] * weight[o, c]) + (0 if bias is None else bias[o])\n"
           "                                         for c in range(C_in))")),
    wrong("conv_same_bias", "conv2d", "adds bias[0] to every output channel",
          "every output channel gets the same bias", ("out[n, o] += bias[o]", "out[n, o] += bias[0]")),
    wrong("conv_first_channel_only", "conv2d", "uses input channel 0 only", "only the first input channel is used",
          ("window * weight[o]", "window[0] * weight[o, 0]")),
    wrong("conv_mean_not_sum", "conv2d", "averages the window products", "you averaged the window",
          (CONV_PRODUCT, "np.mean(window * weight[o])")),
    wrong("conv_stride_ignored", "conv2d", "treats every stride as 1", "the stride is ignored",
          ("sh, sw = as_pair(stride)", "sh, sw = 1, 1")),
    wrong("conv_window_steps_one", "conv2d", "sizes the output with the stride but slides the window by 1",
          "the window moves one step at a time",
          ("padded[n, :, i * sh:i * sh + kH, j * sw:j * sw + kW]", "padded[n, :, i:i + kH, j:j + kW]")),
    wrong("conv_padding_ignored", "conv2d", "treats every padding as 0", "the padding is ignored",
          ("ph, pw = as_pair(padding)", "ph, pw = 0, 0")),
    wrong("conv_size_without_padding", "conv2d", "pads the input after sizing the output without the padding",
          "the output size leaves out the padding",
          ("conv_output_size(H, kH, sh, ph)", "conv_output_size(H, kH, sh)"),
          ("conv_output_size(W, kW, sw, pw)", "conv_output_size(W, kW, sw)")),
    wrong("conv_stride_pair_swapped", "conv2d", "reads stride (sh, sw) as (sw, sh)", "the stride pair is swapped",
          ("sh, sw = as_pair(stride)", "sw, sh = as_pair(stride)")),
    wrong("conv_output_transposed", "conv2d", "writes out[n, o, j, i]: H and W swapped",
          "the last two axes of your output are swapped",
          (CONV_OUT, "out = np.zeros((N, C_out, W_out, H_out))"), ("out[n, o, i, j] =", "out[n, o, j, i] =")),
    wrong("conv_weight_in_out", "conv2d", "reads the weight as (C_in, C_out, kH, kW)",
          "weight is (C_out, C_in, kH, kW)",
          ("C_out, C_w, kH, kW = weight.shape", "C_w, C_out, kH, kW = weight.shape"),
          ("window * weight[o]", "window * weight[:, o]")),
    wrong("conv_integer_output", "conv2d", "output created with the input's dtype: integers truncate",
          "integer outputs truncate", (CONV_OUT, "out = np.zeros((N, C_out, H_out, W_out), dtype=x.dtype)")),
    wrong("conv_fancy_indexing_no_loops", "conv2d", "right values from fancy indexing and einsum, no loops",
          "has no for-loop", code='''\
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("x must be (N, C, H, W) and weight (F, C, kH, kW)")
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    kH, kW = weight.shape[2:]
    H_out = conv_output_size(x.shape[2], kH, sh, ph)
    W_out = conv_output_size(x.shape[3], kW, sw, pw)
    rows = (np.arange(H_out) * sh)[:, None] + np.arange(kH)          # (H_out, kH)
    cols = (np.arange(W_out) * sw)[:, None] + np.arange(kW)          # (W_out, kW)
    windows = pad2d(x, (ph, pw))[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    out = np.einsum("nchwij,fcij->nfhw", windows, weight)
    return out if bias is None else out + np.asarray(bias)[:, None, None]
'''),
    wrong("conv_int_stride_padding_only", "conv2d", "reads stride and padding with int(): (h, w) pairs raise TypeError",
          "raised TypeError", ("sh, sw = as_pair(stride)", "sh = sw = int(stride)"),
          ("ph, pw = as_pair(padding)", "ph = pw = int(padding)")),
    wrong("conv_no_channel_check", "conv2d", "no channel-mismatch check: a one-channel filter broadcasts",
          "should raise ValueError when x has 3 channels but weight expects 1",
          ('    if C_w != C_in:\n        raise ValueError(f"x has {C_in} channels but weight expects {C_w}")\n', "")),
)

CONV2D_LAYER = (
    wrong("layer_weight_in_out", "Conv2D", "weight shaped (in, out, kH, kW)", "expected (out, in, kH, kW)",
          ("size=(out_channels, in_channels, kH, kW)", "size=(in_channels, out_channels, kH, kW)")),
    wrong("layer_unseeded", "Conv2D", "ignores the seed", "the same seed should give the same weights",
          ("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()")),
    wrong("layer_std_one_over_fan_in", "Conv2D", "std sqrt(1 / fan_in) (LeCun, not He)",
          "He initialisation has std", ("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")),
    wrong("layer_fan_in_channels_only", "Conv2D", "fan_in counts the input channels only",
          "fan_in = in_channels * kH * kW", ("fan_in = in_channels * kH * kW", "fan_in = in_channels")),
    wrong("layer_bias_always", "Conv2D", "creates a bias even with bias=False",
          "bias=False should set self.bias to None", ("np.zeros(out_channels) if bias else None", "np.zeros(out_channels)")),
    wrong("layer_forward_defaults", "Conv2D", "forward calls conv2d without the stride and padding",
          "pass self.stride and self.padding to conv2d",
          ("conv2d(x, self.weight, self.bias, self.stride, self.padding)", "conv2d(x, self.weight, self.bias)")),
    wrong("layer_parameters_without_bias", "Conv2D", "parameters() forgets the bias",
          "parameters() should return [self.weight, self.bias]",
          ("[self.weight] if self.bias is None else [self.weight, self.bias]", "[self.weight]")),
)

MAX_POOL2D = (
    wrong("max_takes_mean", "max_pool2d", "averages instead of taking the maximum",
          "you took the mean instead of the maximum", (".max(axis=(2, 3))", ".mean(axis=(2, 3))")),
    wrong("max_stride_default_one", "max_pool2d", "stride defaults to 1", "the stride defaults to 1",
          (POOL_STRIDE, "as_pair(1 if stride is None else stride)")),
    wrong("max_whole_batch", "max_pool2d", "one maximum per window over the batch and all channels",
          "over the whole batch and all channels", (".max(axis=(2, 3))", ".max()")),
    wrong("max_ceil_mode", "max_pool2d", "keeps partial windows at the edges", "you kept the partial windows",
          ("conv_output_size(H, kH, sH), conv_output_size(W, kW, sW)", "-(-(H - kH) // sH) + 1, -(-(W - kW) // sW) + 1")),
    wrong("max_sliding_window_view", "max_pool2d", "right values from sliding_window_view, no loops",
          "not a library convolution or windowing function", code='''\
def max_pool2d(x, kernel_size, stride=None):
    from numpy.lib.stride_tricks import sliding_window_view
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    windows = sliding_window_view(np.asarray(x), (kH, kW), axis=(2, 3))
    return windows[:, :, ::sH, ::sW].max(axis=(-2, -1))
'''),
)

AVG_POOL2D = (
    wrong("avg_sums", "avg_pool2d", "returns the window sums", "you returned the window sums",
          ("return total / (kH * kW)", "return total")),
    wrong("avg_wrong_count", "avg_pool2d", "divides by kH * kH", "you divided by the wrong count",
          ("return total / (kH * kW)", "return total / (kH * kH)")),
    wrong("avg_takes_max", "avg_pool2d", "takes the maximum", "you took the maximum instead of the mean",
          ("total = np.zeros(x.shape[:2] + (H_out, W_out))", "total = np.full(x.shape[:2] + (H_out, W_out), -np.inf)"),
          (AVG_SUM, AVG_SUM.replace("total += x", "total = np.maximum(total, x") + ")"),
          ("return total / (kH * kW)", "return total")),
    wrong("avg_integer_output", "avg_pool2d", "keeps integer inputs integer (floor division)",
          "it should return floats", ("x = np.asarray(x, dtype=float)", "x = np.asarray(x)"),
          ("np.zeros(x.shape[:2] + (H_out, W_out))", "np.zeros(x.shape[:2] + (H_out, W_out), dtype=x.dtype)"),
          ("return total / (kH * kW)", "return (total / (kH * kW)).astype(x.dtype)")),
    wrong("avg_stride_default_one", "avg_pool2d", "stride defaults to 1", "the stride defaults to 1",
          (POOL_STRIDE, "as_pair(1 if stride is None else stride)")),
)

SIMPLE_CONV_NET = (
    wrong("net_no_relu", "SimpleConvNet", "no ReLU layer", "missing: ReLU", ("            ReLU(),\n", "")),
    wrong("net_forward_skips_relu", "SimpleConvNet", "has a ReLU layer but forward skips it",
          "should apply every layer of self.layers, in order",
          ("            x = layer(x)\n", "            if not isinstance(layer, ReLU):\n                x = layer(x)\n")),
    wrong("net_avg_pool", "SimpleConvNet", "average pooling instead of max pooling",
          "with MaxPool2D(2), not AvgPool2D", ("MaxPool2D(2),", "AvgPool2D(2),")),
    wrong("net_dense_before_pooling_size", "SimpleConvNet", "Dense sized for the feature maps before pooling",
          "the Dense weight should be (8 * 14 * 14, 10)", ("Dense(8 * (H // 2) * (W // 2)", "Dense(8 * H * W")),
    wrong("net_unseeded", "SimpleConvNet", "passes no seeds to its layers",
          "built twice gives different outputs",
          ("conv_seed, dense_seed = np.random.default_rng(seed).integers(2**32, size=2)",
           "conv_seed, dense_seed = None, None")),
    wrong("net_no_padding", "SimpleConvNet", "convolution without padding", "the convolution should use padding=1",
          ("Conv2D(in_channels, 8, 3, padding=1, seed=conv_seed)", "Conv2D(in_channels, 8, 3, seed=conv_seed)")),
)

WRONG = CONV2D_NAIVE + CONV_OUTPUT_SIZE + PAD2D + CONV2D + CONV2D_LAYER + MAX_POOL2D + AVG_POOL2D + SIMPLE_CONV_NET
