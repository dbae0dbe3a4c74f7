"""Right answers written other ways than the instructor's: every one must get full marks."""
from ..entry import correct

CONV2D_NAIVE = (
    correct("naive_window_sum", "conv2d_naive", "two loops, np.sum over each window", '''\
def conv2d_naive(image, kernel):
    image = np.array(image, dtype=float)
    kernel = np.array(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("conv2d_naive needs 2-D inputs")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("kernel larger than image")
    rows = image.shape[0] - kernel.shape[0] + 1
    cols = image.shape[1] - kernel.shape[1] + 1
    result = np.empty((rows, cols))
    for r in range(rows):
        for c in range(cols):
            result[r, c] = np.sum(image[r:r + kernel.shape[0], c:c + kernel.shape[1]] * kernel)
    return result
'''),
    correct("naive_shift_and_add", "conv2d_naive", "loops over the kernel offsets, adding shifted images", '''\
def conv2d_naive(image, kernel):
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2 or any(k > n for k, n in zip(kernel.shape, image.shape)):
        raise ValueError("bad shapes")
    kH, kW = kernel.shape
    H_out, W_out = image.shape[0] - kH + 1, image.shape[1] - kW + 1
    out = np.zeros((H_out, W_out))
    for a in range(kH):
        for b in range(kW):
            out += kernel[a, b] * image[a:a + H_out, b:b + W_out]
    return out
'''),
    correct("naive_float32_columns_first", "conv2d_naive", "float32 arithmetic, columns in the outer loop", '''\
def conv2d_naive(image, kernel):
    image = np.asarray(image, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("2-D inputs only")
    (H, W), (kH, kW) = image.shape, kernel.shape
    if kH > H or kW > W:
        raise ValueError("kernel does not fit")
    out = np.zeros((H - kH + 1, W - kW + 1), dtype=np.float32)
    for j in range(W - kW + 1):
        for i in range(H - kH + 1):
            for b in range(kW):
                for a in range(kH):
                    out[i, j] += image[i + a, j + b] * kernel[a, b]
    return out
'''),
)

CONV_OUTPUT_SIZE = (
    correct("size_math_floor", "conv_output_size", "math.floor of a true division, checks last", '''\
def conv_output_size(input_size, kernel_size, stride=1, padding=0):
    import math
    if stride < 1 or padding < 0:
        raise ValueError("stride must be positive and padding non-negative")
    out = math.floor((input_size + 2 * padding - kernel_size) / stride) + 1
    if out <= 0:
        raise ValueError("kernel too large")
    return out
'''),
)

PAD2D = (
    correct("pad_np_pad", "pad2d", "np.pad with int-or-tuple handling by hand", '''\
def pad2d(x, padding):
    x = np.asarray(x)
    if isinstance(padding, int):
        padding = (padding, padding)
    ph, pw = padding
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    return np.pad(x, widths, mode="constant", constant_values=0)
'''),
)

CONV2D = (
    correct("conv_seven_loops", "conv2d", "fully scalar: seven nested loops, padding copied by hand", '''\
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = np.asarray(x)
    weight = np.asarray(weight)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError("x and weight must be 4-D")
    if x.shape[1] != weight.shape[1]:
        raise ValueError("channel mismatch")
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    N, C, H, W = x.shape
    F, _, kH, kW = weight.shape
    if kH > H + 2 * ph or kW > W + 2 * pw:
        raise ValueError("kernel larger than the padded input")
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    xp[:, :, ph:ph + H, pw:pw + W] = x
    H_out = (H + 2 * ph - kH) // sh + 1
    W_out = (W + 2 * pw - kW) // sw + 1
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    s = 0.0 if bias is None else float(bias[f])
                    for c in range(C):
                        for a in range(kH):
                            for b in range(kW):
                                s += xp[n, c, i * sh + a, j * sw + b] * weight[f, c, a, b]
                    out[n, f, i, j] = s
    return out
'''),
    correct("conv_einsum_per_position", "conv2d", "loops over positions, einsum over batch, filters, window", '''\
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("expected x (N, C, H, W) and weight (F, C, kH, kW)")
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    kH, kW = weight.shape[2:]
    H_out = conv_output_size(x.shape[2], kH, sh, ph)
    W_out = conv_output_size(x.shape[3], kW, sw, pw)
    xp = pad2d(x, (ph, pw))
    out = np.empty((x.shape[0], weight.shape[0], H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = xp[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW]
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", window, weight)
    if bias is not None:
        out += np.asarray(bias).reshape(1, -1, 1, 1)
    return out
'''),
    correct("conv_im2col", "conv2d", "im2col: loops copy the windows into columns, one matrix product", '''\
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x, weight = np.asarray(x), np.asarray(weight)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError("4-D inputs expected")
    N, C, H, W = x.shape
    F, C_w, kH, kW = weight.shape
    if C != C_w:
        raise ValueError("channels differ")
    sh, sw = as_pair(stride)
    ph, pw = as_pair(padding)
    H_out, W_out = conv_output_size(H, kH, sh, ph), conv_output_size(W, kW, sw, pw)
    xp = pad2d(x, (ph, pw))
    columns = np.zeros((N, H_out * W_out, C * kH * kW))
    for i in range(H_out):
        for j in range(W_out):
            columns[:, i * W_out + j, :] = xp[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW].reshape(N, -1)
    out = columns @ weight.reshape(F, -1).T           # (N, H_out * W_out, F)
    if bias is not None:
        out = out + bias
    return out.transpose(0, 2, 1).reshape(N, F, H_out, W_out)
'''),
    correct("conv_shift_and_add", "conv2d", "loops over the kernel offsets, a strided slice times a 1x1 filter", '''\
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 4 or weight.ndim != 4 or weight.shape[1] != x.shape[1]:
        raise ValueError("x must be (N, C, H, W) and weight (F, C, kH, kW) with the same C")
    sh, sw = as_pair(stride)
    ph, pw = as_pair(padding)
    F, C, kH, kW = weight.shape
    H_out = conv_output_size(x.shape[2], kH, sh, ph)
    W_out = conv_output_size(x.shape[3], kW, sw, pw)
    xp = pad2d(x, (ph, pw))
    out = np.zeros((x.shape[0], F, H_out, W_out))
    for a in range(kH):
        for b in range(kW):
            shifted = xp[:, :, a:a + sh * (H_out - 1) + 1:sh, b:b + sw * (W_out - 1) + 1:sw]
            out += np.einsum("nchw,fc->nfhw", shifted, weight[:, :, a, b])
    if bias is not None:
        out += np.asarray(bias, dtype=float)[:, None, None]
    return out
'''),
    correct("conv_float32_tensordot", "conv2d", "float32 arithmetic, loops over n, i, j and tensordot", '''\
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x = np.asarray(x, dtype=np.float32)
    weight = np.asarray(weight, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError("x must be 4-D")
    if weight.ndim != 4:
        raise ValueError("weight must be 4-D")
    if weight.shape[1] != x.shape[1]:
        raise ValueError("weight.shape[1] must equal x.shape[1]")
    sh, sw = as_pair(stride)
    ph, pw = as_pair(padding)
    kH, kW = weight.shape[-2:]
    H_out = conv_output_size(x.shape[-2], kH, sh, ph)
    W_out = conv_output_size(x.shape[-1], kW, sw, pw)
    xp = pad2d(x, (ph, pw))
    out = np.zeros((x.shape[0], weight.shape[0], H_out, W_out), dtype=np.float32)
    for n in range(x.shape[0]):
        for i in range(H_out):
            for j in range(W_out):
                window = xp[n, :, i * sh:i * sh + kH, j * sw:j * sw + kW]
                out[n, :, i, j] = np.tensordot(weight, window, axes=([1, 2, 3], [0, 1, 2]))
                if bias is not None:
                    out[n, :, i, j] += np.asarray(bias, dtype=np.float32)
    return out
'''),
    correct("conv_columns_outermost", "conv2d", "loop order j, i, filter, image", '''\
def conv2d(x, weight, bias=None, stride=1, padding=0):
    x, weight = np.asarray(x), np.asarray(weight)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError("x and weight must be 4-D")
    N, C_in, H, W = x.shape
    C_out, C_w, kH, kW = weight.shape
    if C_w != C_in:
        raise ValueError("channel mismatch")
    sh, sw = as_pair(stride)
    ph, pw = as_pair(padding)
    H_out, W_out = conv_output_size(H, kH, sh, ph), conv_output_size(W, kW, sw, pw)
    padded = pad2d(x, (ph, pw))
    b = np.zeros(C_out) if bias is None else np.asarray(bias)
    out = np.zeros((N, C_out, H_out, W_out))
    for j in range(W_out):
        for i in range(H_out):
            for o in range(C_out):
                for n in range(N):
                    window = padded[n, :, i * sh:i * sh + kH, j * sw:j * sw + kW]
                    out[n, o, i, j] = (window * weight[o]).sum() + b[o]
    return out
'''),
)

CONV2D_LAYER = (
    correct("layer_standard_normal_pairs", "Conv2D", "standard_normal times the He scale, stride and padding as pairs", '''\
class Conv2D:
    # A 2-D convolution layer: He-initialised weight (out, in, kH, kW) and zero bias (out,).

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, seed=None):
        kH, kW = as_pair(kernel_size)
        self.stride, self.padding = as_pair(stride), as_pair(padding)
        std = np.sqrt(2 / (in_channels * kH * kW))
        self.weight = np.random.default_rng(seed).standard_normal((out_channels, in_channels, kH, kW)) * std
        self.bias = np.zeros(out_channels) if bias else None

    def forward(self, x):
        return conv2d(x, self.weight, bias=self.bias, stride=self.stride, padding=self.padding)

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        return [p for p in (self.weight, self.bias) if p is not None]
'''),
)

MAX_POOL2D = (
    correct("max_scalar_loops", "max_pool2d", "fully scalar loops, running maximum", '''\
def max_pool2d(x, kernel_size, stride=None):
    x = np.asarray(x)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(stride if stride is not None else kernel_size)
    N, C, H, W = x.shape
    H_out, W_out = (H - kH) // sH + 1, (W - kW) // sW + 1
    out = np.empty((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    best = -np.inf
                    for a in range(kH):
                        for b in range(kW):
                            best = max(best, x[n, c, i * sH + a, j * sW + b])
                    out[n, c, i, j] = best
    return out
'''),
)

AVG_POOL2D = (
    correct("avg_window_mean", "avg_pool2d", "loops over the output positions, mean of each window", '''\
def avg_pool2d(x, kernel_size, stride=None):
    x = np.asarray(x, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    H_out = conv_output_size(x.shape[2], kH, sH)
    W_out = conv_output_size(x.shape[3], kW, sW)
    out = np.zeros(x.shape[:2] + (H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[..., i, j] = x[..., i * sH:i * sH + kH, j * sW:j * sW + kW].mean(axis=(-2, -1))
    return out
'''),
)

SIMPLE_CONV_NET = (
    correct("net_seed_plus_one", "SimpleConvNet", "seeds seed and seed + 1, forward spelled out", '''\
class SimpleConvNet:
    # Conv2D(in, 8, 3, padding=1) -> ReLU -> MaxPool2D(2) -> Flatten -> Dense(8 * (H//2) * (W//2), num_classes)

    def __init__(self, in_channels=1, image_size=(28, 28), num_classes=10, seed=None):
        H, W = image_size
        self.conv = Conv2D(in_channels, 8, 3, stride=1, padding=1, seed=seed)
        self.relu = ReLU()
        self.pool = MaxPool2D(2)
        self.flatten = Flatten()
        self.fc = Dense(8 * (H // 2) * (W // 2), num_classes, seed=None if seed is None else seed + 1)
        self.layers = [self.conv, self.relu, self.pool, self.flatten, self.fc]

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.relu(self.conv(x)))))

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
'''),
)

CORRECT = CONV2D_NAIVE + CONV_OUTPUT_SIZE + PAD2D + CONV2D + CONV2D_LAYER + MAX_POOL2D + AVG_POOL2D + SIMPLE_CONV_NET
