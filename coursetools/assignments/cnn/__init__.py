"""Assignment `cnn`: convolution, stride and padding, conv2d, a Conv2D layer, pooling and SimpleConvNet."""
from coursetools.assignments import Assignment

ASSIGNMENT = Assignment(
    "cnn",
    signatures={
        "conv2d_naive": "conv2d_naive(image, kernel)",
        "conv_output_size": "conv_output_size(input_size, kernel_size, stride=1, padding=0)",
        "pad2d": "pad2d(x, padding)",
        "conv2d": "conv2d(x, weight, bias=None, stride=1, padding=0)",
        "Conv2D": "Conv2D(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, seed=None)",
        "max_pool2d": "max_pool2d(x, kernel_size, stride=None)",
        "avg_pool2d": "avg_pool2d(x, kernel_size, stride=None)",
        "SimpleConvNet": "SimpleConvNet(in_channels=1, image_size=(28, 28), num_classes=10, seed=None)",
    },
    written_answer="weight_sharing_answer",
    points={"conv2d_naive": 15, "conv_output_size": 5, "pad2d": 8, "conv2d": 25, "Conv2D": 10,
            "weight_sharing_answer": 10, "max_pool2d": 8, "avg_pool2d": 7, "SimpleConvNet": 12})
