"""Right answers to the second assignment written other ways than the instructor's: every one must get full marks."""
from ..entry import correct

NUMERICAL_GRADIENT = (
    correct("ng_flat_copy", "numerical_gradient", "a float64 copy, perturbed through a flat view", '''\
def numerical_gradient(f, x, h=1e-5):
    work = np.array(x, dtype=np.float64)          # a copy: the caller's x is never touched
    flat = work.reshape(-1)                       # a view of the copy
    grad = np.empty(work.size)
    for k in range(work.size):
        saved = flat[k]
        flat[k] = saved + h
        up = f(work)
        flat[k] = saved - h
        down = f(work)
        flat[k] = saved
        grad[k] = (up - down) / (2 * h)
    return grad.reshape(work.shape)
'''),
    correct("ng_perturbation_arrays", "numerical_gradient", "builds x + h e_i and x - h e_i as new arrays", '''\
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[index] = h
        grad[index] = (f(x + e) - f(x - e)) / (2.0 * h)
    return grad
'''),
    correct("ng_nditer", "numerical_gradient", "np.nditer with multi_index over a float64 copy", '''\
def numerical_gradient(f, x, h=1e-5):
    x = np.asarray(x).astype(np.float64, copy=True)
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        keep = x[i].copy()
        x[i] = keep + h
        fp = f(x)
        x[i] = keep - h
        fm = f(x)
        x[i] = keep
        grad[i] = (fp - fm) / (2 * h)
        it.iternext()
    return grad
'''),
)

CONV2D_BACKWARD = (
    correct("cb_tensordot_columns_first", "conv2d_backward", "columns in the outer loop, np.tensordot, own padding", '''\
def conv2d_backward(dout, x, weight, stride=1, padding=0):
    x = np.array(x, dtype=float)
    weight = np.array(weight, dtype=float)
    dout = np.array(dout, dtype=float)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError("x and weight must be 4-D")
    if x.shape[1] != weight.shape[1]:
        raise ValueError("channel mismatch")
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else tuple(stride)
    ph, pw = (padding, padding) if np.ndim(padding) == 0 else tuple(padding)
    N, C, H, W = x.shape
    F, _, kH, kW = weight.shape
    Ho, Wo = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    if dout.shape != (N, F, Ho, Wo):
        raise ValueError(f"dout must be {(N, F, Ho, Wo)}")
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    xp[:, :, ph:ph + H, pw:pw + W] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(weight)
    for j in range(Wo):
        for i in range(Ho):
            r, c = i * sh, j * sw
            d = dout[:, :, i, j]                                         # (N, F)
            dw += np.tensordot(d, xp[:, :, r:r + kH, c:c + kW], axes=([0], [0]))
            dxp[:, :, r:r + kH, c:c + kW] += np.tensordot(d, weight, axes=([1], [0]))
    return dxp[:, :, ph:ph + H, pw:pw + W], dw, dout.sum(axis=3).sum(axis=2).sum(axis=0)
'''),
    correct("cb_gather_full_convolution", "conv2d_backward", "dx in the gather form: the dilated, padded dout "
            "correlated with the flipped kernel", '''\
def conv2d_backward(dout, x, weight, stride=1, padding=0):
    x, weight, dout = np.asarray(x, dtype=float), np.asarray(weight, dtype=float), np.asarray(dout, dtype=float)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("x must be (N, C, H, W) and weight (F, C, kH, kW)")
    N, C, H, W = x.shape
    F, _, kH, kW = weight.shape
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    Ho, Wo = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    if Ho < 1 or Wo < 1 or dout.shape != (N, F, Ho, Wo):
        raise ValueError("dout has the wrong shape")
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dweight = np.zeros(weight.shape)
    for i in range(Ho):
        for j in range(Wo):
            dweight += np.einsum("nf,nckl->fckl", dout[:, :, i, j], padded[:, :, i * sh:i * sh + kH, j * sw:j * sw + kW])
    dilated = np.zeros((N, F, (Ho - 1) * sh + 1, (Wo - 1) * sw + 1))
    dilated[:, :, ::sh, ::sw] = dout
    full = np.pad(dilated, ((0, 0), (0, 0), (kH - 1, kH - 1), (kW - 1, kW - 1)))
    flipped = weight[:, :, ::-1, ::-1]
    dpadded = np.zeros(padded.shape)                 # rows and columns no window reaches stay 0
    for r in range(dilated.shape[2] + kH - 1):
        for c in range(dilated.shape[3] + kW - 1):
            dpadded[:, :, r, c] = np.einsum("nfkl,fckl->nc", full[:, :, r:r + kH, c:c + kW], flipped)
    return dpadded[:, :, ph:ph + H, pw:pw + W], dweight, dout.sum(axis=(0, 2, 3))
'''),
    correct("cb_per_image_loops", "conv2d_backward", "loops over images and positions, broadcasting over filters", '''\
def conv2d_backward(dout, x, weight, stride=1, padding=0):
    x, weight, dout = (np.asarray(a, dtype=np.float64) for a in (x, weight, dout))
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError("4-D inputs expected")
    N, C, H, W = x.shape
    F, Cw, kH, kW = weight.shape
    if Cw != C:
        raise ValueError("channels differ")
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    Ho, Wo = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    if dout.shape != (N, F, Ho, Wo):
        raise ValueError("bad dout shape")
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros(xp.shape)
    dw = np.zeros(weight.shape)
    db = np.zeros(F)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, :, i * sh:i * sh + kH, j * sw:j * sw + kW]          # (C, kH, kW)
                g = dout[n, :, i, j]                                            # (F,)
                dw += g[:, None, None, None] * window[None]
                dxp[n, :, i * sh:i * sh + kH, j * sw:j * sw + kW] += (g[:, None, None, None] * weight).sum(axis=0)
                db += g
    return dxp[:, :, ph:ph + H, pw:pw + W], dw, db
'''),
)

MAX_POOL2D_BACKWARD = (
    correct("mp_scalar_strict_greater", "max_pool2d_backward", "scalar loops, a new maximum only on a strict >", '''\
def max_pool2d_backward(dout, x, kernel_size, stride=None):
    x = np.asarray(x)
    dout = np.asarray(dout, dtype=float)
    kH, kW = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    if stride is None:
        sH, sW = kH, kW
    else:
        sH, sW = (stride, stride) if np.ndim(stride) == 0 else stride
    N, C, H, W = x.shape
    Ho, Wo = (H - kH) // sH + 1, (W - kW) // sW + 1
    dx = np.zeros((N, C, H, W))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    r, s = i * sH, j * sW
                    for a in range(kH):
                        for b in range(kW):
                            if (a, b) == (0, 0) or x[n, c, i * sH + a, j * sW + b] > x[n, c, r, s]:
                                r, s = i * sH + a, j * sW + b
                    dx[n, c, r, s] += dout[n, c, i, j]
    return dx
'''),
    correct("mp_unravel_index", "max_pool2d_backward", "np.unravel_index of the flat argmax, image by image", '''\
def max_pool2d_backward(dout, x, kernel_size, stride=None):
    x, dout = np.asarray(x), np.asarray(dout, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    N, C, H, W = x.shape
    dx = np.zeros((N, C, H, W))
    channels = np.arange(C)
    for n in range(N):
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = x[n, :, i * sH:i * sH + kH, j * sW:j * sW + kW].reshape(C, -1)
                a, b = np.unravel_index(np.argmax(window, axis=1), (kH, kW))
                np.add.at(dx[n], (channels, i * sH + a, j * sW + b), dout[n, :, i, j])
    return dx
'''),
    correct("mp_first_maximum_mask", "max_pool2d_backward", "a mask of the maxima, kept only where the running count "
            "of maxima is 1 (the first)", '''\
def max_pool2d_backward(dout, x, kernel_size, stride=None):
    x = np.asarray(x, dtype=float)
    dout = np.asarray(dout, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    N, C = x.shape[:2]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW].reshape(N, C, -1)
            is_max = window == window.max(axis=-1, keepdims=True)
            first = is_max & (np.cumsum(is_max, axis=-1) == 1)
            dx[:, :, i * sH:i * sH + kH, j * sW:j * sW + kW] += (first * dout[:, :, i, j, None]).reshape(N, C, kH, kW)
    return dx
'''),
)

AVG_POOL2D_BACKWARD = (
    correct("ap_scalar_loops", "avg_pool2d_backward", "loops over images, channels and positions", '''\
def avg_pool2d_backward(dout, x_shape, kernel_size, stride=None):
    dout = np.asarray(dout, dtype=float)
    kH, kW = as_pair(kernel_size)
    sH, sW = (kH, kW) if stride is None else as_pair(stride)
    N, C, H, W = x_shape
    dx = np.zeros((N, C, H, W))
    share = 1.0 / (kH * kW)
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    dx[n, c, i * sH:i * sH + kH, j * sW:j * sW + kW] += share * dout[n, c, i, j]
    return dx
'''),
    correct("ap_float32_ones_kernel", "avg_pool2d_backward", "float32 arithmetic, an np.ones window per position", '''\
def avg_pool2d_backward(dout, x_shape, kernel_size, stride=None):
    dout = np.asarray(dout, dtype=np.float32)
    kH, kW = as_pair(kernel_size)
    sH, sW = as_pair(kernel_size if stride is None else stride)
    ones = np.ones((kH, kW), dtype=np.float32) / np.float32(kH * kW)
    dx = np.zeros(x_shape, dtype=np.float32)
    H_out, W_out = dout.shape[-2:]
    for i in range(H_out):
        for j in range(W_out):
            dx[..., i * sH:i * sH + kH, j * sW:j * sW + kW] += dout[..., i:i + 1, j:j + 1] * ones
    return dx
'''),
)

CF_HEAD = '''\
def conv2d_fast(x, weight, bias=None, stride=1, padding=0):
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError("x and weight must be 4-D")
    if x.shape[1] != weight.shape[1]:
        raise ValueError("x and weight have different channels")
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    if min(sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError("bad stride or padding")
    N, C, H, W = x.shape
    F, _, kH, kW = weight.shape
    if kH > H + 2 * ph or kW > W + 2 * pw:
        raise ValueError("kernel larger than the padded input")
    Ho, Wo = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
'''

CONV2D_FAST = (
    correct("cf_im2col_matmul", "conv2d_fast", "im2col: columns gathered per kernel offset, then one matrix product",
            CF_HEAD + '''\
    cols = np.empty((N, C, kH, kW, Ho, Wo))
    for a in range(kH):
        for b in range(kW):
            cols[:, :, a, b] = xp[:, :, a:a + sh * (Ho - 1) + 1:sh, b:b + sw * (Wo - 1) + 1:sw]
    cols = cols.transpose(1, 2, 3, 0, 4, 5).reshape(C * kH * kW, N * Ho * Wo)
    out = (weight.reshape(F, -1) @ cols).reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)
    if bias is not None:
        out = out + np.asarray(bias, dtype=float).reshape(1, F, 1, 1)
    return out
'''),
    correct("cf_sliding_window_einsum", "conv2d_fast", "sliding_window_view and one einsum, no loop at all",
            CF_HEAD + '''\
    from numpy.lib.stride_tricks import sliding_window_view
    windows = sliding_window_view(xp, (kH, kW), axis=(2, 3))[:, :, ::sh, ::sw]
    out = np.einsum("ncyxij,fcij->nfyx", windows, weight, optimize=True)
    return out if bias is None else out + np.asarray(bias, dtype=float)[:, None, None]
'''),
    correct("cf_as_strided_tensordot", "conv2d_fast", "as_strided windows and np.tensordot", CF_HEAD + '''\
    from numpy.lib.stride_tricks import as_strided
    xp = np.ascontiguousarray(xp)
    s = xp.strides
    windows = as_strided(xp, shape=(N, C, Ho, Wo, kH, kW),
                         strides=(s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3]), writeable=False)
    out = np.tensordot(windows, weight, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    if bias is not None:
        out = out + np.asarray(bias, dtype=float)[None, :, None, None]
    return out
'''),
    correct("cf_float32_offsets", "conv2d_fast", "float32 arithmetic, a loop over the kernel offsets with tensordot", '''\
def conv2d_fast(x, weight, bias=None, stride=1, padding=0):
    x, weight = np.asarray(x, dtype=np.float32), np.asarray(weight, dtype=np.float32)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("x must be (N, C, H, W) and weight (F, C, kH, kW) with the same C")
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    if sh < 1 or sw < 1 or ph < 0 or pw < 0:
        raise ValueError("stride must be positive and padding non-negative")
    N, C, H, W = x.shape
    F, _, kH, kW = weight.shape
    if kH > H + 2 * ph or kW > W + 2 * pw:
        raise ValueError("the kernel does not fit")
    Ho, Wo = (H + 2 * ph - kH) // sh + 1, (W + 2 * pw - kW) // sw + 1
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=np.float32)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    out = np.zeros((N, Ho, Wo, F), dtype=np.float32)
    for a in range(kH):
        for b in range(kW):
            patch = xp[:, :, a:a + sh * Ho:sh, b:b + sw * Wo:sw][:, :, :Ho, :Wo]
            out += np.tensordot(patch, weight[:, :, a, b], axes=([1], [1]))
    out = out.transpose(0, 3, 1, 2)
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float32)[None, :, None, None]
    return out
'''),
)

SOFTMAX_CROSS_ENTROPY = (
    correct("sce_logaddexp_reduce", "softmax_cross_entropy", "log-sum-exp with np.logaddexp.reduce", '''\
def softmax_cross_entropy(logits, y):
    logits = np.asarray(logits, dtype=float)
    y = np.asarray(y)
    if logits.ndim != 2 or y.ndim != 1 or y.shape[0] != logits.shape[0]:
        raise ValueError("logits must be (N, K) and y (N,)")
    N, K = logits.shape
    if np.any(y < 0) or np.any(y >= K):
        raise ValueError("label out of range")
    log_probs = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    loss = -np.mean(log_probs[np.arange(N), y])
    dlogits = (np.exp(log_probs) - np.eye(K)[y]) / N
    return float(loss), dlogits
'''),
    correct("sce_row_loop", "softmax_cross_entropy", "a loop over the rows, softmax and loss one image at a time", '''\
def softmax_cross_entropy(logits, y):
    logits = np.array(logits, dtype=np.float64)
    y = np.asarray(y)
    if logits.ndim != 2:
        raise ValueError("logits must be 2-D")
    if y.ndim != 1 or len(y) != len(logits):
        raise ValueError("y must hold one label per row")
    N, K = logits.shape
    for label in y:
        if not 0 <= label < K:
            raise ValueError(f"label {label} is not in [0, {K})")
    total = 0.0
    dlogits = np.empty_like(logits)
    for n in range(N):
        z = logits[n] - np.max(logits[n])
        log_sum = np.log(np.sum(np.exp(z)))
        total += log_sum - z[y[n]]
        dlogits[n] = np.exp(z - log_sum)
        dlogits[n, y[n]] -= 1.0
    return total / N, dlogits / N
'''),
    correct("sce_softmax_then_log_sum_exp", "softmax_cross_entropy", "softmax from the shifted exps, the loss from "
            "the shifted logit and log of the sum", '''\
def softmax_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=float)
    y = np.asarray(y)
    if z.ndim != 2:
        raise ValueError("logits must be (N, K)")
    if y.shape != z.shape[:1]:
        raise ValueError("y must be (N,)")
    if y.size and (y.min() < 0 or y.max() >= z.shape[1]):
        raise ValueError("labels must be in [0, K)")
    N = z.shape[0]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    sums = e.sum(axis=1)
    loss = np.mean(np.log(sums) - z[np.arange(N), y])
    probs = e / sums[:, None]
    probs[np.arange(N), y] -= 1
    return float(loss), probs / N
'''),
)

TRAIN = (
    correct("tr_shuffle_arange", "train", "order = np.arange(N) shuffled with rng.shuffle", '''\
def train(net, x, y, epochs, lr, batch_size=32, seed=None):
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order = np.arange(len(x))
        rng.shuffle(order)
        epoch = []
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            loss, dlogits = softmax_cross_entropy(net.forward(x[batch]), y[batch])
            net.backward(dlogits)
            for param, grad in zip(net.parameters(), net.gradients()):
                param -= lr * grad
            epoch.append(loss)
        history.append(float(sum(epoch) / len(epoch)))
    return history
'''),
    correct("tr_while_loop_out_arg", "train", "a while loop over the batches, np.subtract(p, lr * g, out=p)", '''\
def train(net, x, y, epochs, lr, batch_size=32, seed=None):
    x, y = np.asarray(x), np.asarray(y)
    rng = np.random.default_rng(seed)
    N = x.shape[0]
    result = []
    for epoch in range(epochs):
        perm = rng.permutation(N)
        total, count, start = 0.0, 0, 0
        while start < N:
            idx = perm[start:start + batch_size]
            start += batch_size
            logits = net.forward(x[idx])
            loss, grad = softmax_cross_entropy(logits, y[idx])
            net.backward(grad)
            for p, g in zip(net.parameters(), net.gradients()):
                np.subtract(p, lr * g, out=p)
            total += loss
            count += 1
        result.append(total / count)
    return result
'''),
    correct("tr_batches_listed_first", "train", "lists each epoch's batches first, then p[...] = p - lr * g", '''\
def train(net, x, y, epochs, lr, batch_size=32, seed=None):
    rng = np.random.default_rng(seed)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        order = rng.permutation(n)
        batches = [order[k:k + batch_size] for k in range(0, n, batch_size)]
        batch_losses = np.zeros(len(batches))
        for b, idx in enumerate(batches):
            loss, dlogits = softmax_cross_entropy(net.forward(x[idx]), y[idx])
            net.backward(dlogits)
            for p, g in zip(net.parameters(), net.gradients()):
                p[...] = p - lr * g
            batch_losses[b] = loss
        losses.append(float(batch_losses.mean()))
    return losses
'''),
)

CORRECT = (NUMERICAL_GRADIENT + CONV2D_BACKWARD + MAX_POOL2D_BACKWARD + AVG_POOL2D_BACKWARD + CONV2D_FAST
           + SOFTMAX_CROSS_ENTROPY + TRAIN)
