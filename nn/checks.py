"""Argument checks of nn's layers and functions.

The convention is autograd.checks' (and optim's): a wrong type is a TypeError,
a wrong value a ValueError, and the message names the layer or function, the
argument and what it got. This module holds those checks (re-exported) and
the ones only networks need: shapes, padding, windows, labels, reductions.
Each takes the owner's name first and returns the argument in normal form.
"""
import numbers

import numpy as np

from autograd import raw
from autograd.checks import boolean, choice, integer, number, pair, probability  # noqa: F401 (re-exported)

from .gates.layout import output_size


def shape_of(x):
    """The shape of a Value's data or of an array."""
    return np.shape(raw(x))


def four_d(owner, x, what="input"):
    """x's shape, which must be (N, C, H, W)."""
    shape = shape_of(x)
    if len(shape) != 4:
        raise ValueError(f"{owner}: {what} must be 4-D (N, C, H, W), got shape {shape}")
    return shape


def conv_padding(owner, padding, kernel, stride, dilation):
    """(top, bottom, left, right) from an int, a pair, 'valid' or 'same'. 'same'
    pads d·(k-1) in total, the extra row/column of an even kernel at the
    bottom/right (as PyTorch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding != "same":
            raise ValueError(f"{owner}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{owner}: padding='same' needs stride 1, got stride {stride}")
        th, tw = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    ph, pw = pair(owner, "padding", padding, minimum=0)
    return ph, ph, pw, pw


def window_fits(owner, shape, kernel, stride, padding, dilation):
    """(Ho, Wo) of a window sliding over an (N, C, H, W) input, by the
    (W - F + 2P)/S + 1 formula; raises when the window does not fit."""
    out = (output_size(shape[2], kernel[0], stride[0], padding[0], padding[1], dilation[0]),
           output_size(shape[3], kernel[1], stride[1], padding[2], padding[3], dilation[1]))
    if min(out) < 1:
        extent = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
        raise ValueError(f"{owner}: the {extent[0]}x{extent[1]} window (kernel {kernel}, dilation {dilation}) "
                         f"does not fit the input {shape} padded by (top, bottom, left, right) = {padding}")
    return out


def vector(owner, what, v, length, input_shape):
    """v is None or of shape (length,): a bias, a per-channel scale."""
    if v is not None and shape_of(v) != (length,):
        raise ValueError(f"{owner}: {what} must have shape ({length},) for input {input_shape}, "
                         f"got {shape_of(v)}")


def reduction(owner, value):
    """'mean', 'sum' or 'none': how a loss reduces its per-example terms."""
    return choice(owner, "reduction", value, ("mean", "sum", "none"))


def labels(owner, target, expected_shape, classes, input_shape):
    """Class indices as an integer array of the expected shape, each in [0, classes)."""
    target = np.asarray(raw(target))
    if target.dtype.kind not in "iu":
        raise TypeError(f"{owner}: labels must be integer class indices, got a {target.dtype} array "
                        f"of shape {target.shape}")
    if target.shape != tuple(expected_shape):
        raise ValueError(f"{owner}: labels of shape {target.shape} do not fit the input {input_shape}: "
                         f"expected shape {tuple(expected_shape)}")
    if target.size and (target.min() < 0 or target.max() >= classes):
        bad = (target < 0) | (target >= classes)
        shown = ", ".join(f"{target[tuple(i)]} at {tuple(int(k) for k in i)}" for i in np.argwhere(bad)[:5])
        raise IndexError(f"{owner}: labels must lie in [0, {classes}) for the input {input_shape}; "
                         f"got {shown}{' ...' if bad.sum() > 5 else ''}")
    return target


def same_shape(owner, a, b):
    """An input and its target of the same shape."""
    if shape_of(a) != shape_of(b):
        raise ValueError(f"{owner}: input {shape_of(a)} and target {shape_of(b)} must have the same shape")


def dim(owner, value, x):
    """An axis of x (negative counts from the end), as a non-negative int."""
    ndim = max(len(shape_of(x)), 1)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{owner}: dim must be an int, got {value!r}")
    if not -ndim <= value < ndim:
        raise ValueError(f"{owner}: dim {value!r} is out of range for an input of shape {shape_of(x)}")
    return int(value) % ndim
