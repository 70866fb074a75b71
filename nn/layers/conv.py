"""Conv2d and ConvTranspose2d."""
import math

import numpy as np

from autograd import checks

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ._checks import positive_int


def _init_like_pytorch(weight, bias, fan_in):
    init.kaiming_uniform_(weight, a=math.sqrt(5))            # = U(-1/√fan_in, 1/√fan_in)
    if bias is not None:
        bound = 1 / math.sqrt(fan_in)
        init.uniform_(bias, -bound, bound)


class Conv2d(Module):
    """2-D convolution over NCHW input:
    `Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True)`.

    weight (out, in/groups, kh, kw), bias (out,); padding an int, a pair, 'same'
    (stride 1; an even kernel pads the extra row/column at the bottom/right)
    or 'valid'. Output size per axis: (W - F + 2P)/S + 1, F = d·(k - 1) + 1.
    groups splits the channels into groups convolved separately (groups = in:
    depthwise). Initialised as PyTorch: U(-1/√fan_in, 1/√fan_in), fan_in = in/groups·kh·kw."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, *, dtype=np.float32):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels", "Conv2d")
        self.out_channels = positive_int(out_channels, "out_channels", "Conv2d")
        self.kernel_size = F._pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = F._pair(stride, "stride", "Conv2d")
        self.dilation = F._pair(dilation, "dilation", "Conv2d")
        F._conv_padding(padding, self.kernel_size, self.stride, self.dilation, "Conv2d")   # fail early
        self.padding = padding if isinstance(padding, str) else F._pair(padding, "padding", "Conv2d", 0)
        self.groups = checks.integer("Conv2d", "groups", groups, minimum=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        self.weight = Parameter(np.empty((out_channels, in_channels // groups) + self.kernel_size, dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the initial weights again (PyTorch's defaults)."""
        _init_like_pytorch(self.weight, self.bias, self.in_channels // self.groups * math.prod(self.kernel_size))

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding!r}, dilation={self.dilation}, "
                + (f"groups={self.groups}, " if self.groups > 1 else "") + f"bias={self.bias is not None}")


class ConvTranspose2d(Module):
    """Transposed convolution, the upsampling layer: the backward pass of a
    convolution used as a forward pass.
    `ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1)` (PyTorch's order; groups must be 1).

    weight (in, out, kh, kw); output size (H - 1)·s - 2p + d·(k - 1) + output_padding + 1."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, *, dtype=np.float32):
        super().__init__()
        F._no_groups(groups, "ConvTranspose2d")
        self.in_channels = positive_int(in_channels, "in_channels", "ConvTranspose2d")
        self.out_channels = positive_int(out_channels, "out_channels", "ConvTranspose2d")
        self.kernel_size = F._pair(kernel_size, "kernel_size", "ConvTranspose2d")
        self.stride = F._pair(stride, "stride", "ConvTranspose2d")
        self.padding = F._pair(padding, "padding", "ConvTranspose2d", 0)
        self.output_padding = F._pair(output_padding, "output_padding", "ConvTranspose2d", 0)
        self.dilation = F._pair(dilation, "dilation", "ConvTranspose2d")
        self.weight = Parameter(np.empty((in_channels, out_channels) + self.kernel_size, dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the initial weights again (PyTorch's defaults: fan_in from the weight's axis 1)."""
        _init_like_pytorch(self.weight, self.bias, self.out_channels * math.prod(self.kernel_size))

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding, 1,
                                  self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, output_padding={self.output_padding}, dilation={self.dilation}, "
                f"bias={self.bias is not None}")
