"""Pooling gates: max and average over kh x kw windows, as a loop over the kh·kw
kernel offsets (each offset is one strided slice of the whole batch: no loop
over pixels), in the memory layout of the input.

max_pool2d routes the gradient like the max gate of the notes: each window's
gradient goes to the position of its maximum (the "switch"). Ties: the FIRST
maximum of the window in row-major order (top row first, left to right) takes
the whole gradient and the other tied positions get exactly 0, as in PyTorch.
The switches are not stored: backward finds them again by comparing each
window position with the output, which costs less than recording them.

A max over a 3 x 3 window is the max of its three rows' maxima: max pooling
with windows of more positions than rows + columns runs as a pool along W,
then one along H (6 comparisons per output, not 9), and backward routes g
back through the two (see _separable): backward 1.4-1.7x as fast, forward
1.3-1.4x (3 x 3 windows at stride 1, a batch of 100 x 32 to 144 channels).

Fast path for non-overlapping windows (stride >= the dilated kernel, e.g. the
usual 2x2 with stride 2): no position belongs to two windows, so backward
assigns each offset's slice instead of adding it; and when the windows tile
the padded input exactly, nothing needs zeroing first either.
"""
import numpy as np

from autograd import Gate

from .layout import cropped, empty, in_layout_of, is_channels_last, padded, window_offsets


def _disjoint(kernel, stride, dilation):
    """No input position lies in two windows."""
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


def _tiles(shape, kernel, stride, padding, dilation):
    """Every position of the padded input lies in exactly one window."""
    padded_size = (shape[2] + padding[0] + padding[1], shape[3] + padding[2] + padding[3])
    return (tuple(kernel) == tuple(stride) and tuple(dilation) == (1, 1)
            and all(n % k == 0 for n, k in zip(padded_size, kernel)))


def _window_slices(xp, kernel, stride, dilation):
    """The kh·kw strided views of xp (N, C, Ho, Wo), one per kernel offset."""
    out_hw = tuple((xp.shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in (0, 1))
    return [xp[:, :, si, sj] for si, sj in window_offsets(kernel, stride, dilation, out_hw)]


def _gradient_buffer(x, kernel, stride, padding, dilation, dtype):
    """The array d/dx is gathered in: x's padded shape, in x's memory layout;
    zeros unless every position will be written exactly once."""
    top, bottom, left, right = padding
    n, c, h, w = x.shape
    buffer = empty((n, c, h + top + bottom, w + left + right), dtype, is_channels_last(x))
    if not _tiles(x.shape, kernel, stride, padding, dilation):
        buffer.fill(0)
    return buffer


# ---------------------------------------------------------------- max pooling
def _max_over_windows(x, kernel, stride, padding, dilation):
    windows = _window_slices(padded(x, padding, -np.inf), kernel, stride, dilation)
    out = np.maximum(windows[0], windows[1]) if len(windows) > 1 else windows[0].copy()
    for v in windows[2:]:
        np.maximum(out, v, out=out)
    return out


def _route_to_maxima(g, out, x, kernel, stride, padding, dilation):
    """Each window's gradient to the first position of the window (row-major) that equals its max."""
    g = in_layout_of(g, x)
    windows = _window_slices(padded(x, padding, -np.inf), kernel, stride, dilation)
    offsets = window_offsets(kernel, stride, dilation, g.shape[2:])
    disjoint = _disjoint(kernel, stride, dilation)
    dxp = _gradient_buffer(x, kernel, stride, padding, dilation, g.dtype)
    unrouted = None                   # windows whose gradient has not found its maximum yet
    for k, ((si, sj), v) in enumerate(zip(offsets, windows)):
        switch = np.equal(v, out)
        if unrouted is not None:
            switch &= unrouted        # an earlier position of the window was already a maximum
        if k < len(windows) - 1:
            unrouted = ~switch if unrouted is None else np.logical_xor(unrouted, switch, out=unrouted)
        if disjoint:
            np.multiply(g, switch, out=dxp[:, :, si, sj])
        else:
            dxp[:, :, si, sj] += g * switch
    return cropped(dxp, padding)


# Separable max pooling (see the module docstring). Backward routes g back the way forward came: to
# the first row of each window whose maximum is the window's, then to the first position of that
# row equal to it, which is the window's first maximum in row-major order: PyTorch's tie rule.
def _separable(kernel):
    """Whether pooling along W, then H, compares fewer positions (kh + kw) than the window (kh·kw)."""
    return kernel[0] * kernel[1] > kernel[0] + kernel[1]


def _along_w(kernel, stride, padding, dilation):
    """The options of the pool along W (1 x kw windows) of a separable max pool."""
    return (1, kernel[1]), (1, stride[1]), (0, 0) + tuple(padding[2:]), (1, dilation[1])


def _along_h(kernel, stride, padding, dilation):
    """The options of the pool along H (kh x 1 windows) of a separable max pool."""
    return (kernel[0], 1), (stride[0], 1), tuple(padding[:2]) + (0, 0), (dilation[0], 1)


def _max_pool2d(x, kernel, stride, padding, dilation):
    options = (kernel, stride, padding, dilation)
    if not _separable(kernel):
        return _max_over_windows(x, *options)
    return _max_over_windows(_max_over_windows(x, *_along_w(*options)), *_along_h(*options))


def _max_pool2d_grad(g, out, x, kernel, stride, padding, dilation):
    options = (kernel, stride, padding, dilation)
    if not _separable(kernel):
        return _route_to_maxima(g, out, x, *options)
    row_maxima = _max_over_windows(x, *_along_w(*options))       # recomputed: two passes, no memory kept
    g_rows = _route_to_maxima(g, out, row_maxima, *_along_h(*options))      # to each window's first max row
    return _route_to_maxima(g_rows, row_maxima, x, *_along_w(*options))     # to that row's first max


max_pool2d = Gate("max_pool2d", _max_pool2d, _max_pool2d_grad,
                  doc="out[n,c,y,x] = max over the window at (y·s, x·s) of x padded with -inf;  "
                      "d/dx = g at the window's first maximum (row-major), 0 elsewhere",
                  onnx=lambda node, x, kernel, stride, padding, dilation: node(
                      "MaxPool", x, kernel_shape=kernel, strides=stride, dilations=dilation,
                      pads=(padding[0], padding[2], padding[1], padding[3])))


# ---------------------------------------------------------------- average pooling
def _divisor(x, kernel, stride, padding, count_include_pad):
    """kh·kw, or with count_include_pad=False the number of real (unpadded)
    positions in each window: (Ho, Wo), computed by pooling a plane of ones."""
    if count_include_pad or not any(padding):
        return kernel[0] * kernel[1]
    ones = padded(np.ones((1, 1) + x.shape[2:], x.dtype), padding, 0)
    return sum(_window_slices(ones, kernel, stride, (1, 1)))[0, 0]


def _avg_pool2d(x, kernel, stride, padding, count_include_pad):
    windows = _window_slices(padded(x, padding, 0), kernel, stride, (1, 1))
    out = windows[0] + windows[1] if len(windows) > 1 else windows[0].copy()
    for v in windows[2:]:
        out += v
    out /= np.asarray(_divisor(x, kernel, stride, padding, count_include_pad), out.dtype)
    return out


def _avg_pool2d_grad(g, out, x, kernel, stride, padding, count_include_pad):
    share = in_layout_of(g, x) / np.asarray(_divisor(x, kernel, stride, padding, count_include_pad), g.dtype)
    disjoint = _disjoint(kernel, stride, (1, 1))
    dxp = _gradient_buffer(x, kernel, stride, padding, (1, 1), share.dtype)
    for si, sj in window_offsets(kernel, stride, (1, 1), g.shape[2:]):
        if disjoint:
            dxp[:, :, si, sj] = share
        else:
            dxp[:, :, si, sj] += share
    return cropped(dxp, padding)


avg_pool2d = Gate("avg_pool2d", _avg_pool2d, _avg_pool2d_grad,
                  doc="out = mean of each window of x zero-padded (divisor kh·kw, or the number of "
                      "unpadded positions);  d/dx = g / divisor to every position of the window",
                  onnx=lambda node, x, kernel, stride, padding, count_include_pad: node(
                      "AveragePool", x, kernel_shape=kernel, strides=stride, count_include_pad=int(count_include_pad),
                      pads=(padding[0], padding[2], padding[1], padding[3])))
