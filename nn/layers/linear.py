"""Linear (fully connected), Flatten, Unflatten and Identity."""

import numpy as np

from .. import functional as F
from .. import checks, init
from ..module import Module, Parameter


class Linear(Module):
    """y = x @ Wᵀ + b, a fully connected layer: `Linear(in_features, out_features, bias=True)`.

    weight (out_features, in_features) and bias (out_features,) start as
    PyTorch's: U(-1/√in, 1/√in) (kaiming_uniform_ with a = √5)."""

    def __init__(self, in_features, out_features, bias=True, *, dtype=np.float32):
        super().__init__()
        self.in_features = checks.integer("Linear", "in_features", in_features, minimum=1)
        self.out_features = checks.integer("Linear", "out_features", out_features, minimum=1)
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.bias = Parameter(np.empty(out_features, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the initial weights again (PyTorch's defaults)."""
        init.default_(self.weight, self.bias)

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


class Unflatten(Module):
    """The inverse of Flatten: axis `dim` of the input becomes the axes
    `unflattened_size`, whose product must equal its length:
    `Unflatten(1, (1, 28, 28))` takes (N, 784) to (N, 1, 28, 28), a decoder's
    output to images. One -1 in unflattened_size stands for what is left."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = checks.integer("Unflatten", "dim", dim)
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size:
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple of ints, got {unflattened_size!r}")
        sizes = tuple(checks.integer("Unflatten", "unflattened_size", n, minimum=-1) for n in unflattened_size)
        if sizes.count(-1) > 1 or 0 in sizes:
            raise ValueError(f"Unflatten: unflattened_size {sizes} may hold one -1 and no 0")
        self.unflattened_size = sizes

    def forward(self, x):
        shape = x.shape
        if not -len(shape) <= self.dim < len(shape):
            raise ValueError(f"Unflatten: dim {self.dim} is not an axis of the input of shape {shape}")
        dim, sizes = self.dim % len(shape), self.unflattened_size
        known = int(np.prod([n for n in sizes if n != -1]))
        if shape[dim] % known if -1 in sizes else shape[dim] != known:
            raise ValueError(f"Unflatten: axis {dim} of the input {shape} has {shape[dim]} elements, which do not "
                             f"make {self.unflattened_size}")
        return x.reshape(shape[:dim] + sizes + shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Identity(Module):
    """out = x: a placeholder layer (a shortcut without a projection, a
    classifier head removed for feature extraction). Takes and ignores any
    constructor arguments, as PyTorch's."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
