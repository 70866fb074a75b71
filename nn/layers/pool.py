"""MaxPool2d and AvgPool2d."""
from .. import functional as F
from ..module import Module


class MaxPool2d(Module):
    """Max over kh x kw windows: `MaxPool2d(kernel_size, stride=None, padding=0, dilation=1)`
    (stride defaults to kernel_size). The gradient goes to each window's
    maximum; on a tie, to the first maximum in row-major order."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, dilation={self.dilation}"


class AvgPool2d(Module):
    """Mean over kh x kw windows: `AvgPool2d(kernel_size, stride=None, padding=0, *, count_include_pad=True)`."""

    def __init__(self, kernel_size, stride=None, padding=0, *, count_include_pad=True):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, count_include_pad=self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input's size:
    `AdaptiveAvgPool2d(output_size)` (an int, or a pair whose None entries keep
    the input's size). `AdaptiveAvgPool2d(1)` is global average pooling, the
    last layer before the classifier of GoogLeNet and ResNet: out[n, c] = mean of x[n, c]."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
