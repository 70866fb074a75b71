"""What makes a Value behave as a number and as an array in Python.

`Value` (value.py) inherits these: its shape and dtype, `len()`, `bool()`,
`float()`, `np.asarray(value)`, f-strings, `repr`, and `copy.deepcopy`. None of
them builds a graph; they read `data`.
"""
import copy

import numpy as np


class ArrayLike:
    """The array side of a Value: everything here reads `self.data`."""

    __slots__ = ()

    @property
    def shape(self):
        """The shape of data; () for a scalar."""
        return np.shape(self.data)

    @property
    def ndim(self):
        """The number of dimensions of data."""
        return np.ndim(self.data)

    @property
    def size(self):
        """The number of elements of data."""
        return np.size(self.data)

    @property
    def dtype(self):
        """The numpy dtype of data (float64 for a Python float)."""
        return np.result_type(self.data)

    def item(self):
        """The single element as a Python float."""
        if np.size(self.data) != 1:
            raise ValueError(f"item(): only a single-element Value converts to a float, "
                             f"this one has shape {self.shape}")
        return float(np.asarray(self.data).reshape(()))

    def __len__(self):
        if np.ndim(self.data) == 0:
            raise TypeError("len() of a 0-d Value")
        return len(self.data)

    def __bool__(self):
        if np.size(self.data) != 1:
            raise ValueError(f"the truth value of a Value of shape {self.shape} is ambiguous; "
                             f"use .data.any() or .data.all()")
        return bool(self.item())

    def __float__(self):
        return self.item()

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.data, dtype=dtype)

    def __format__(self, spec):
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_short(self.data)}, grad={_short(self.grad)}{label})"

    def __deepcopy__(self, memo):
        """`copy.deepcopy` of a leaf (a parameter, a model's state): a new leaf of
        the same type with copies of data and grad, the same requires_grad and
        label. A gate's output refuses, as in PyTorch: its copy would be a second
        graph whose gates and inputs are not the engine's."""
        from .value import Value
        if not self.is_leaf:
            raise RuntimeError(f"deepcopy: only leaves (inputs, parameters) can be deep-copied; this "
                               f"Value is the output of a '{self.op}' gate (deep-copy its .detach() "
                               f"for the data alone)")
        copied = object.__new__(type(self))
        Value.__init__(copied, copy.deepcopy(self.data, memo), self.requires_grad, self.label)
        copied.grad = copy.deepcopy(self.grad, memo)
        return copied


def _short(x):
    if x is None or isinstance(x, float):
        return repr(x)
    if isinstance(x, ArrayLike):
        return repr(x)
    x = np.asarray(x)
    if x.size <= 6:
        return np.array2string(x, precision=4, separator=", ")
    return f"<{x.dtype} array {x.shape}>"
