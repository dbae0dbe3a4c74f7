"""Assignment `cnn_backprop`: backpropagation through convolution and pooling, gradient checks, a vectorised
convolution, and a small convnet trained on real digits."""
from coursetools.assignments import Assignment

ASSIGNMENT = Assignment(
    "cnn_backprop",
    signatures={
        "numerical_gradient": "numerical_gradient(f, x, h=1e-05)",
        "conv2d_backward": "conv2d_backward(dout, x, weight, stride=1, padding=0)",
        "max_pool2d_backward": "max_pool2d_backward(dout, x, kernel_size, stride=None)",
        "avg_pool2d_backward": "avg_pool2d_backward(dout, x_shape, kernel_size, stride=None)",
        "conv2d_fast": "conv2d_fast(x, weight, bias=None, stride=1, padding=0)",
        "softmax_cross_entropy": "softmax_cross_entropy(logits, y)",
        "train": "train(net, x, y, epochs, lr, batch_size=32, seed=None)",
    },
    written_answer="backprop_answer",
    points={"numerical_gradient": 12, "conv2d_backward": 25, "max_pool2d_backward": 10, "avg_pool2d_backward": 8,
            "conv2d_fast": 13, "softmax_cross_entropy": 12, "train": 12, "backprop_answer": 8},
    headline=r"trained in .* test accuracy")
