"""Linear (fully connected), Flatten and Identity."""
import math

import numpy as np

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ._checks import positive_int


class Linear(Module):
    """y = x @ Wᵀ + b, a fully connected layer: `Linear(in_features, out_features, bias=True)`.

    weight (out_features, in_features) and bias (out_features,) start as
    PyTorch's: U(-1/√in, 1/√in) (kaiming_uniform_ with a = √5)."""

    def __init__(self, in_features, out_features, bias=True, *, dtype=np.float32):
        super().__init__()
        self.in_features = positive_int(in_features, "in_features", "Linear")
        self.out_features = positive_int(out_features, "out_features", "Linear")
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.bias = Parameter(np.empty(out_features, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the initial weights again (PyTorch's defaults)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Merge axes start_dim..end_dim into one: (N, C, H, W) -> (N, C·H·W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        shape = x.shape
        start, end = self.start_dim % len(shape), self.end_dim % len(shape)
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} "
                             f"for an input of shape {shape}")
        return x.reshape(shape[:start] + (-1,) + shape[end + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """out = x: a placeholder layer (a shortcut without a projection, a
    classifier head removed for feature extraction). Takes and ignores any
    constructor arguments, as PyTorch's."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
