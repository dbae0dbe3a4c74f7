"""Realistic mistakes in the second assignment, written as edits of the instructor's solution (an edit that stops
matching raises) or as whole cells.

Each entry's hint is what its feedback must say: the words of the hidden tests' message that name the mistake
(the message tables of the `_Grader` in source/cnn_backprop/cnn_backprop.py).
"""
from ..entry import wrong

# ----- Part A: numerical_gradient -----
NG_CONVERT = "    if x.dtype != np.float64:\n        x = x.astype(np.float64)\n"
NG_STEPS = ("        x[i] = old + h\n        plus = f(x)\n        x[i] = old - h\n        minus = f(x)\n"
            "        x[i] = old\n")
NG_DIFFERENCE = "(plus - minus) / (2 * h)"

NUMERICAL_GRADIENT = (
    wrong("ng_forward_difference", "numerical_gradient", "one-sided difference (f(x + h e_i) - f(x)) / h",
          "a forward difference (f(x + h e_i) - f(x)) / h",
          ("    grad = np.zeros(x.shape)\n", "    grad = np.zeros(x.shape)\n    base = f(x)\n"),
          ("        x[i] = old - h\n        minus = f(x)\n", ""), (NG_DIFFERENCE, "(plus - base) / h")),
    wrong("ng_divides_by_h", "numerical_gradient", "centred difference divided by h, not 2h",
          "the centred difference divided by h instead of 2h", (NG_DIFFERENCE, "(plus - minus) / h")),
    wrong("ng_perturbs_everything", "numerical_gradient", "adds h to the whole array: every entry gets the same value",
          "every entry perturbed at once", code='''\
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        grad[i] = (f(x + h) - f(x - h)) / (2 * h)
    return grad
'''),
    wrong("ng_fixed_step", "numerical_gradient", "hard-codes the step 1e-5 instead of using h", "it ignores h",
          ("x[i] = old + h", "x[i] = old + 1e-5"), ("x[i] = old - h", "x[i] = old - 1e-5"),
          ("(2 * h)", "(2 * 1e-5)")),
    wrong("ng_plus_minus_restore", "numerical_gradient", "x[i] += h, x[i] -= 2 * h, x[i] += h: x drifts in the last bits",
          "x[i] + h - 2h + h is not always x[i]",
          (NG_STEPS, "        x[i] += h\n        plus = f(x)\n        x[i] -= 2 * h\n        minus = f(x)\n"
                     "        x[i] += h\n")),
    wrong("ng_no_float_conversion", "numerical_gradient", "works on x as given: an integer x rounds x[i] + h back",
          "convert x to a float64 copy first", (NG_CONVERT, "")),
    wrong("ng_float32_passed_on", "numerical_gradient", "converts integer x only: a float32 x reaches f as float32",
          "called f with a float32 array",
          (NG_CONVERT, "    if np.issubdtype(x.dtype, np.integer):\n        x = x.astype(float)\n")),
    wrong("ng_gradient_like_input", "numerical_gradient", "np.zeros_like(x) before converting: int or float32 result",
          "return a float64 array shaped like x",
          ("    x = np.asarray(x)\n", "    x = np.asarray(x)\n    grad = np.zeros_like(x)\n"),
          ("    grad = np.zeros(x.shape)\n", "")),
)

# ----- Part B: conv2d_backward -----
CB_DX = 'dpadded[:, :, rows, cols] += np.einsum("nf,fckl->nckl", g, weight)'
CB_DW = 'dweight += np.einsum("nf,nckl->fckl", g, padded[:, :, rows, cols])'
CB_CROP = "dx = dpadded[:, :, ph:ph + H, pw:pw + W]"
CB_DB = "dbias = dout.sum(axis=(0, 2, 3))"
CB_CHECK_DIMS = ('    if x.ndim != 4 or weight.ndim != 4:\n'
                 '        raise ValueError(f"x and weight must be 4-D, got shapes {x.shape} and {weight.shape}")\n')
CB_CHECK_CHANNELS = '    if C_w != C:\n        raise ValueError(f"x has {C} channels but weight expects {C_w}")\n'
CB_CHECK_DOUT = ('    if dout.shape != (N, F, H_out, W_out):\n'
                 '        raise ValueError(f"dout should have shape {(N, F, H_out, W_out)}, got {dout.shape}")\n')

CONV2D_BACKWARD = (
    wrong("cb_assigns_overlaps", "conv2d_backward", "dpadded[window] = ... : overlapping windows overwrite each other",
          "it is missing the contributions of overlapping windows", (CB_DX, CB_DX.replace("+=", "="))),
    wrong("cb_flipped_kernel_dx", "conv2d_backward", "scatters dout times the flipped kernel",
          "dx looks like it was computed with the flipped kernel",
          (CB_DX, CB_DX.replace("g, weight)", "g, weight[:, :, ::-1, ::-1])"))),
    wrong("cb_gather_unflipped", "conv2d_backward", "the gather form (a full convolution of the dilated dout) "
          "with the kernel as it is, not flipped", "dx looks like it was computed with the flipped kernel", code='''\
def conv2d_backward(dout, x, weight, stride=1, padding=0):
    x, weight, dout = np.asarray(x, dtype=float), np.asarray(weight, dtype=float), np.asarray(dout, dtype=float)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("x must be (N, C, H, W) and weight (F, C, kH, kW)")
    N, C, H, W = x.shape
    F, _, kH, kW = weight.shape
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    Ho, Wo = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    if dout.shape != (N, F, Ho, Wo):
        raise ValueError("dout has the wrong shape")
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dweight = np.zeros(weight.shape)
    for i in range(Ho):
        for j in range(Wo):
            dweight += np.einsum("nf,nckl->fckl", dout[:, :, i, j], padded[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW])
    # gather: dilate dout by the stride, pad it with k - 1 zeros and slide the kernel over it
    dilated = np.zeros((N, F, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1))
    dilated[:, :, ::sh, ::sw] = dout
    full = np.pad(dilated, ((0, 0), (0, 0), (kH - 1, kH - 1), (kW - 1, kW - 1)))
    dpadded = np.zeros(padded.shape)
    for r in range(dilated.shape[2] + kH - 1):
        for c in range(dilated.shape[3] + kW - 1):
            dpadded[:, :, r, c] = np.einsum("nfkl,fckl->nc", full[:, :, r:r + kH, c:c + kW], weight)
    return dpadded[:, :, ph:ph + H, pw:pw + W], dweight, dout.sum(axis=(0, 2, 3))
'''),
    wrong("cb_returns_padded_dx", "conv2d_backward", "returns the gradient of the padded input, not cropped",
          "dx has the padded input's shape", (CB_CROP, "dx = dpadded")),
    wrong("cb_crops_top_left", "conv2d_backward", "crops dpadded[:, :, :H, :W] instead of the middle",
          "it was cropped at the wrong place", (CB_CROP, "dx = dpadded[:, :, :H, :W]")),
    wrong("cb_pads_bottom_right", "conv2d_backward", "pads x with 2 * padding zeros below and to the right only: "
          "dweight sees the windows of the unpadded input", "computed from the unpadded input's windows",
          ("padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))",
           "padded = np.pad(x, ((0, 0), (0, 0), (0, 2 * ph), (0, 2 * pw)))")),
    wrong("cb_dweight_last_position", "conv2d_backward", "dweight = ... at each position: only the last one is kept",
          "it is missing the sum over output positions", (CB_DW, CB_DW.replace("+=", "="))),
    wrong("cb_dweight_first_image", "conv2d_backward", "dweight from image 0 of the batch only",
          "it was computed from the first image only",
          (CB_DW, 'dweight += np.einsum("f,ckl->fckl", g[0], padded[0, :, rows, cols])')),
    wrong("cb_dweight_steps_one", "conv2d_backward", "dweight's windows start at (i, j): the stride is ignored there",
          "it used windows that move one step at a time", (CB_DW, CB_DW.replace("rows, cols", "i:i + kH, j:j + kW"))),
    wrong("cb_dx_steps_one", "conv2d_backward", "dx's windows start at (i, j): the stride is ignored in dx",
          "dx looks like it used windows that move one step at a time",
          (CB_DX, CB_DX.replace("rows, cols", "i:i + kH, j:j + kW"))),
    wrong("cb_dbias_mean", "conv2d_backward", "dbias as the mean of dout", "the mean of dout",
          (CB_DB, "dbias = dout.mean(axis=(0, 2, 3))")),
    wrong("cb_dbias_wrong_axes", "conv2d_backward", "dbias summed over axes (1, 2, 3): one value per image",
          "dout summed over the wrong axes", (CB_DB, "dbias = dout.sum(axis=(1, 2, 3))")),
    wrong("cb_no_value_errors", "conv2d_backward", "checks nothing: a dout of the wrong shape is used as it is",
          "it should raise ValueError", (CB_CHECK_DIMS, ""), (CB_CHECK_CHANNELS, ""), (CB_CHECK_DOUT, "")),
    wrong("cb_zeros_like_integer", "conv2d_backward", "no float conversion, np.zeros_like: integer inputs give integers",
          "it should be floats",
          ("x, weight, dout = np.asarray(x, dtype=float), np.asarray(weight, dtype=float), np.asarray(dout, dtype=float)",
           "x, weight, dout = np.asarray(x), np.asarray(weight), np.asarray(dout)"),
          ("dpadded = np.zeros(padded.shape)", "dpadded = np.zeros_like(padded)"),
          ("dweight = np.zeros(weight.shape)", "dweight = np.zeros_like(weight)")),
    wrong("cb_sliding_window_view", "conv2d_backward", "right values from sliding_window_view and einsum, no loops",
          "not a library convolution or windowing function", code='''\
from numpy.lib.stride_tricks import sliding_window_view


def conv2d_backward(dout, x, weight, stride=1, padding=0):
    x, weight, dout = np.asarray(x, dtype=float), np.asarray(weight, dtype=float), np.asarray(dout, dtype=float)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("x must be (N, C, H, W) and weight (F, C, kH, kW)")
    N, C, H, W = x.shape
    F, _, kH, kW = weight.shape
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    Ho, Wo = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    if dout.shape != (N, F, Ho, Wo):
        raise ValueError("dout has the wrong shape")
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    windows = sliding_window_view(padded, (kH, kW), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :Ho, :Wo]
    dweight = np.einsum("nfyx,ncyxkl->fckl", dout, windows)
    dilated = np.zeros((N, F, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1))
    dilated[:, :, ::sh, ::sw] = dout
    full = sliding_window_view(np.pad(dilated, ((0, 0), (0, 0), (kH - 1, kH - 1), (kW - 1, kW - 1))), (kH, kW),
                               axis=(2, 3))
    core = np.einsum("nfyxkl,fckl->ncyx", full, weight[:, :, ::-1, ::-1])
    dpadded = np.zeros(padded.shape)
    dpadded[:, :, :core.shape[2], :core.shape[3]] = core
    return dpadded[:, :, ph:ph + H, pw:pw + W], dweight, dout.sum(axis=(0, 2, 3))
'''),
)

# ----- Part C: max_pool2d_backward and avg_pool2d_backward -----
MP_ROUTE = ("            a, b = np.divmod(window.argmax(axis=2), kW)          # the first maximum, in row-major order\n"
            "            dx[n, c, i * sH + a, j * sW + b] += dout[:, :, i, j]\n")
POOL_STRIDE = "as_pair(kernel_size if stride is None else stride)"

MAX_POOL2D_BACKWARD = (
    wrong("mp_every_tied_maximum", "max_pool2d_backward", "a mask window == window.max(): every tie gets dout",
          "the gradient went to every element that ties for the maximum",
          (MP_ROUTE, "            mask = window == window.max(axis=2, keepdims=True)\n"
                     "            dx[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW] += (\n"
                     "                mask * dout[:, :, i, j, None]).reshape(N, C, kH, kW)\n")),
    wrong("mp_last_tied_maximum", "max_pool2d_backward", "scalar loops that keep the maximum with >=: the last tie wins",
          "the gradient went to the last of the tied maxima", code='''\
def max_pool2d_backward(dout, x, kernel_size, stride=None):
    x, dout = np.asarray(x), np.asarray(dout, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    N, C, H, W = x.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    best, where = -np.inf, (0, 0)
                    for a in range(kH):
                        for b in range(kW):
                            if x[n, c, i * sH + a, j * sW + b] >= best:
                                best, where = x[n, c, i * sH + a, j * sW + b], (a, b)
                    dx[n, c, i * sH + where[0], j * sW + where[1]] += dout[n, c, i, j]
    return dx
'''),
    wrong("mp_assigns_overlaps", "max_pool2d_backward", "dx[max] = dout: overlapping windows overwrite each other",
          "it is missing the contributions of overlapping windows",
          ("dx[n, c, i * sH + a, j * sW + b] += dout", "dx[n, c, i * sH + a, j * sW + b] = dout")),
    wrong("mp_stride_default_one", "max_pool2d_backward", "stride defaults to 1 (the positions read from dout)",
          "the stride defaults to 1; it should default to kernel_size",
          (POOL_STRIDE, "as_pair(1 if stride is None else stride)"),
          ("H_out, W_out = (H - kH) // sH + 1, (W - kW) // sW + 1", "H_out, W_out = dout.shape[2:]")),
    wrong("mp_integer_dx", "max_pool2d_backward", "dx = np.zeros_like(x): for an integer x, += of float dout fails",
          "Cannot cast ufunc 'add' output from dtype('float64') to dtype('int64')", ("dx = np.zeros(x.shape)", "dx = np.zeros_like(x)")),
    wrong("mp_sliding_window_view", "max_pool2d_backward", "right values from sliding_window_view and np.add.at, no loops",
          "not a library convolution or windowing function", code='''\
def max_pool2d_backward(dout, x, kernel_size, stride=None):
    from numpy.lib.stride_tricks import sliding_window_view
    x, dout = np.asarray(x), np.asarray(dout, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    windows = sliding_window_view(x, (kH, kW), axis=(2, 3))[:, :, ::sH, ::sW]
    N, C, Ho, Wo = windows.shape[:4]
    k = windows.reshape(N, C, Ho, Wo, kH * kW).argmax(axis=-1)
    n, c, i, j = np.indices((N, C, Ho, Wo))
    dx = np.zeros(x.shape)
    np.add.at(dx, (n, c, i * sH + k // kW, j * sW + k % kW), dout)
    return dx
'''),
)

AP_ADD = "dx[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW] += dout[:, :, i, j, None, None] / (kH * kW)"

AVG_POOL2D_BACKWARD = (
    wrong("ap_not_divided", "avg_pool2d_backward", "adds dout to every element of the window, undivided",
          "dout was not divided by the window's size", (AP_ADD, AP_ADD.replace(" / (kH * kW)", ""))),
    wrong("ap_divides_kh_squared", "avg_pool2d_backward", "divides by kH * kH", "dout was divided by the wrong count",
          (AP_ADD, AP_ADD.replace("(kH * kW)", "(kH * kH)"))),
    wrong("ap_assigns_overlaps", "avg_pool2d_backward", "dx[window] = dout / (kH * kW): overlaps overwrite",
          "it is missing the contributions of overlapping windows", (AP_ADD, AP_ADD.replace("+=", "="))),
    wrong("ap_stride_default_one", "avg_pool2d_backward", "stride defaults to 1", "the stride defaults to 1",
          (POOL_STRIDE, "as_pair(1 if stride is None else stride)")),
    wrong("ap_stride_ignored", "avg_pool2d_backward", "windows always kernel_size apart, whatever the stride",
          "the stride is ignored", (f"    sH, sW = {POOL_STRIDE}\n", "    sH, sW = kH, kW\n")),
    wrong("ap_add_at_no_loops", "avg_pool2d_backward", "right values from np.add.at with index arrays, no loop",
          "has no for-loop", code='''\
def avg_pool2d_backward(dout, x_shape, kernel_size, stride=None):
    dout = np.asarray(dout, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    N, C, Ho, Wo = dout.shape
    n, c, i, j, a, b = np.indices((N, C, Ho, Wo, kH, kW), sparse=True)
    dx = np.zeros(tuple(x_shape))
    np.add.at(dx, (n, c, i * sH + a, j * sW + b), np.broadcast_to(dout[..., None, None] / (kH * kW),
                                                                  (N, C, Ho, Wo, kH, kW)))
    return dx
'''),
)

# ----- Part D: conv2d_fast -----
CF_PAIRS = "(sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)"
CF_BIAS = "    if bias is not None:\n        out += np.asarray(bias, dtype=float)[None, :, None, None]\n"
CF_CHECKS = (
    ('    if x.ndim != 4 or weight.ndim != 4:\n'
     '        raise ValueError(f"x and weight must be 4-D, got shapes {x.shape} and {weight.shape}")\n', ""),
    ('    if C_w != C:\n        raise ValueError(f"x has {C} channels but weight expects {C_w}")\n', ""),
    ('    if sh < 1 or sw < 1 or ph < 0 or pw < 0:\n'
     '        raise ValueError(f"stride must be >= 1 and padding >= 0, got {stride} and {padding}")\n', ""),
    ('    if kH > H + 2 * ph or kW > W + 2 * pw:\n'
     '        raise ValueError(f"the kernel {(kH, kW)} is larger than the padded input {(H + 2 * ph, W + 2 * pw)}")\n', ""),
)
CF_HEAD = '''\
def conv2d_fast(x, weight, bias=None, stride=1, padding=0):
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("x must be (N, C, H, W) and weight (F, C, kH, kW)")
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    if sh < 1 or sw < 1 or ph < 0 or pw < 0:
        raise ValueError("stride must be >= 1 and padding >= 0")
    N, C, H, W = x.shape
    F, _, kH, kW = weight.shape
    if kH > H + 2 * ph or kW > W + 2 * pw:
        raise ValueError("the kernel is larger than the padded input")
    H_out, W_out = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
'''
CF_TAIL = "    return out if bias is None else out + np.asarray(bias, dtype=float)[None, :, None, None]\n"

CONV2D_FAST = (
    wrong("cf_loops_over_positions", "conv2d_fast", "the first assignment's loops over the output positions",
          "it looks like a Python loop over the output positions", code=CF_HEAD + '''\
    out = np.zeros((N, F, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = padded[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW]
            out[:, :, i, j] = np.tensordot(window, weight, axes=([1, 2, 3], [1, 2, 3]))
''' + CF_TAIL),
    wrong("cf_loops_over_images", "conv2d_fast", "im2col one image at a time: a loop over the batch",
          "it looks like a Python loop over the images of the batch", code=CF_HEAD + '''\
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for a in range(kH):
            for b in range(kW):
                patch = padded[n, :, a:a + sh * (H_out - 1) + 1:sh, b:b + sw * (W_out - 1) + 1:sw]
                out[n] += np.tensordot(weight[:, :, a, b], patch, axes=(1, 0))
''' + CF_TAIL),
    wrong("cf_no_bias", "conv2d_fast", "never adds the bias", "the result without the bias", (CF_BIAS, "")),
    wrong("cf_flipped_kernel", "conv2d_fast", "offset (a, b) meets weight[..., kH - 1 - a, kW - 1 - b]",
          "a true convolution (kernel flipped)", ("weight[:, :, a, b]", "weight[:, :, kH - 1 - a, kW - 1 - b]")),
    wrong("cf_stride_ignored", "conv2d_fast", "treats every stride as 1", "the stride is ignored",
          (CF_PAIRS, "(sh, sw), (ph, pw) = (1, 1), as_pair(padding)")),
    wrong("cf_padding_pair_swapped", "conv2d_fast", "reads padding (ph, pw) as (pw, ph)",
          "the padding pair is swapped", (CF_PAIRS, "(sh, sw), (pw, ph) = as_pair(stride), as_pair(padding)")),
    wrong("cf_no_value_errors", "conv2d_fast", "checks nothing: a one-channel weight broadcasts over three channels",
          "it should raise ValueError", *CF_CHECKS),
    wrong("cf_integer_output", "conv2d_fast", "keeps the input's dtype: integer inputs give an integer output",
          "it should be floats",
          ("x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)", "x, weight = np.asarray(x), np.asarray(weight)"),
          ("out = np.zeros((N, F, H_out, W_out))", "out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)"),
          ("np.asarray(bias, dtype=float)[None, :, None, None]", "np.asarray(bias)[None, :, None, None]")),
    wrong("cf_scipy_correlate", "conv2d_fast", "scipy.signal.correlate per image and filter",
          "this part may not use a library convolution", code=CF_HEAD + '''\
    from scipy.signal import correlate
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            full = correlate(padded[n], weight[f], mode="valid")[0]
            out[n, f] = full[::sh, ::sw][:H_out, :W_out]
''' + CF_TAIL),
)

# ----- Part E: softmax_cross_entropy -----
SCE_SHIFT = "    shifted = logits - logits.max(axis=1, keepdims=True)\n"
SCE_LOGP = "    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n"
SCE_PROBS = "    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)\n"

SOFTMAX_CROSS_ENTROPY = (
    wrong("sce_no_max_shift", "softmax_cross_entropy", "exp of the raw logits: overflows for logits of 1e4",
          "Subtract each row's maximum before exp", (SCE_SHIFT, "    shifted = logits\n")),
    wrong("sce_log_of_softmax", "softmax_cross_entropy", "shifts, but takes log(softmax): log(0) for confident rows",
          "instead of log(softmax)", (SCE_LOGP, SCE_PROBS + "    log_probs = np.log(probs)\n")),
    wrong("sce_log_p_plus_eps", "softmax_cross_entropy", "log(p + 1e-9): silent, but caps a confident mistake near 21",
          "it looks like the log of a clipped probability", (SCE_LOGP, SCE_PROBS + "    log_probs = np.log(probs + 1e-9)\n")),
    wrong("sce_warns_but_exact", "softmax_cross_entropy", "exact results, but also computes exp of the raw logits "
          "(unused), which overflows and warns", "warned: RuntimeWarning",
          (SCE_SHIFT, "    raw = np.exp(logits)  # unused, but it overflows for large logits\n" + SCE_SHIFT)),
    wrong("sce_dlogits_not_divided", "softmax_cross_entropy", "dlogits = softmax - onehot, not divided by N",
          "dlogits not divided by N", ("return float(loss), dlogits / N", "return float(loss), dlogits")),
    wrong("sce_summed_loss", "softmax_cross_entropy", "the loss summed over the batch, not averaged",
          "it looks like the sum over the batch", ("loss = -log_probs[rows, y].mean()", "loss = -log_probs[rows, y].sum()")),
    wrong("sce_no_one_hot", "softmax_cross_entropy", "forgets to subtract 1 at each label",
          "softmax(logits) / N without the one-hot", ("    dlogits[rows, y] -= 1\n", "")),
    wrong("sce_shifts_in_place", "softmax_cross_entropy", "logits -= logits.max(...): the caller's float array changes",
          "modified its input in place",
          (SCE_SHIFT + SCE_LOGP, "    logits -= logits.max(axis=1, keepdims=True)\n"
                                 "    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))\n")),
    wrong("sce_negative_labels_pass", "softmax_cross_entropy", "checks y.max() only: a label of -1 picks the last class",
          "it should raise ValueError", ("y.min() < 0 or y.max() >= K", "y.max() >= K")),
)

# ----- Part F: train -----
TR_RNG = "    rng = np.random.default_rng(seed)\n"
TR_ORDER = "        order = rng.permutation(N)\n"
TR_UPDATE = ("            net.backward(dlogits)\n            for p, g in zip(net.parameters(), net.gradients()):\n"
             "                p -= lr * g\n")
TR_EPOCH_LOSS = "losses.append(float(np.mean(batch_losses)))"

TRAIN = (
    wrong("tr_new_generator_every_epoch", "train", "creates rng = default_rng(seed) inside the epoch loop",
          "every epoch visited the samples in the same order",
          (TR_RNG, ""), (TR_ORDER, "        rng = np.random.default_rng(seed)\n" + TR_ORDER)),
    wrong("tr_one_order_for_all_epochs", "train", "draws one permutation before the first epoch and reuses it",
          "every epoch visited the samples in the same order",
          ("    losses = []\n", "    losses = []\n    order = rng.permutation(N)\n"), (TR_ORDER, "")),
    wrong("tr_global_np_random", "train", "np.random.seed(seed) and np.random.permutation",
          "np.random.permutation uses another generator",
          (TR_RNG, "    np.random.seed(seed)\n"), ("order = rng.permutation(N)", "order = np.random.permutation(N)")),
    wrong("tr_rng_choice", "train", "order = rng.choice(N, size=N, replace=False)", "the order was drawn with rng.choice",
          ("rng.permutation(N)", "rng.choice(N, size=N, replace=False)")),
    wrong("tr_drops_last_batch", "train", "range(0, N - batch_size + 1, batch_size): the smaller last batch is skipped",
          "the last, smaller batch of each epoch is missing",
          ("range(0, N, batch_size)", "range(0, N - batch_size + 1, batch_size)")),
    wrong("tr_rebinds_in_comprehension", "train", "new parameters in a list comprehension the network never sees",
          "the parameters never changed: they were rebound",
          (TR_UPDATE, "            net.backward(dlogits)\n"
                      "            params = [p - lr * g for p, g in zip(net.parameters(), net.gradients())]\n")),
    wrong("tr_loss_weighted_by_batch_size", "train", "epoch loss = sum(loss * len(idx)) / N",
          "weighted by batch size",
          ("            batch_losses.append(float(loss))\n", "            batch_losses.append(float(loss) * len(idx))\n"),
          (TR_EPOCH_LOSS, "losses.append(float(np.sum(batch_losses) / N))")),
    wrong("tr_update_before_backward", "train", "updates the parameters, then calls net.backward",
          "updated with the previous batch's gradients",
          (TR_UPDATE, "            for p, g in zip(net.parameters(), net.gradients()):\n                p -= lr * g\n"
                      "            net.backward(dlogits)\n")),
    wrong("tr_labels_in_order", "train", "shuffles the images but takes the labels y[i:i + batch_size]",
          "the labels were not shuffled with the images",
          ("xb, yb = x[idx], y[idx]", "xb, yb = x[idx], y[i:i + batch_size]")),
    wrong("tr_last_batch_loss", "train", "returns each epoch's last batch loss", "its last batch's loss",
          (TR_EPOCH_LOSS, "losses.append(float(loss))")),
)

WRONG = (NUMERICAL_GRADIENT + CONV2D_BACKWARD + MAX_POOL2D_BACKWARD + AVG_POOL2D_BACKWARD + CONV2D_FAST
         + SOFTMAX_CROSS_ENTROPY + TRAIN)
