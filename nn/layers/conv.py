"""Conv2d and ConvTranspose2d."""
import numpy as np

from .. import checks, init
from .. import functional as F
from ..module import Module, Parameter


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
        self.in_channels = checks.integer("Conv2d", "in_channels", in_channels, minimum=1)
        self.out_channels = checks.integer("Conv2d", "out_channels", out_channels, minimum=1)
        self.kernel_size = checks.pair("Conv2d", "kernel_size", kernel_size)
        self.stride = checks.pair("Conv2d", "stride", stride)
        self.dilation = checks.pair("Conv2d", "dilation", dilation)
        checks.conv_padding("Conv2d", padding, self.kernel_size, self.stride, self.dilation)   # fail early
        self.padding = padding if isinstance(padding, str) else checks.pair("Conv2d", "padding", padding, minimum=0)
        self.groups = checks.integer("Conv2d", "groups", groups, minimum=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        self.weight = Parameter(np.empty((out_channels, in_channels // groups) + self.kernel_size, dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the initial weights again (PyTorch's defaults)."""
        init.default_(self.weight, self.bias)

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
        if groups != 1:
            raise NotImplementedError(f"ConvTranspose2d: groups={groups} is not supported (only groups=1)")
        self.in_channels = checks.integer("ConvTranspose2d", "in_channels", in_channels, minimum=1)
        self.out_channels = checks.integer("ConvTranspose2d", "out_channels", out_channels, minimum=1)
        self.kernel_size = checks.pair("ConvTranspose2d", "kernel_size", kernel_size)
        self.stride = checks.pair("ConvTranspose2d", "stride", stride)
        self.padding = checks.pair("ConvTranspose2d", "padding", padding, minimum=0)
        self.output_padding = checks.pair("ConvTranspose2d", "output_padding", output_padding, minimum=0)
        self.dilation = checks.pair("ConvTranspose2d", "dilation", dilation)
        self.weight = Parameter(np.empty((in_channels, out_channels) + self.kernel_size, dtype))
        self.bias = Parameter(np.empty(out_channels, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the initial weights again (PyTorch's defaults: fan_in from the weight's axis 1)."""
        init.default_(self.weight, self.bias)

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding, 1,
                                  self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, output_padding={self.output_padding}, dilation={self.dilation}, "
                f"bias={self.bias is not None}")
