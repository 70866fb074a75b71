"""Memory layout helpers shared by the convolution and pooling gates.

Arrays are NCHW by shape everywhere in the API. In memory, the gates of this
package prefer channels last (NHWC, like PyTorch's `channels_last`): an NCHW
array may be a transposed view of NHWC memory. These helpers make new arrays
in the layout of the array they come from, so a whole network stays channels
last without a single explicit transpose between layers.
"""
import numpy as np


def output_size(size, kernel, stride, pad_before, pad_after, dilation=1):
    """(W - F + 2P) / S + 1 (floored), with a dilated kernel F = d·(k - 1) + 1 and the
    padding P split into before/after (they differ for 'same' with an even kernel)."""
    return (size + pad_before + pad_after - dilation * (kernel - 1) - 1) // stride + 1


def channels_last(x):
    """The NHWC view of an NCHW array (free: a transpose only changes strides)."""
    return x.transpose(0, 2, 3, 1)


def channels_first(x):
    """The NCHW view of an NHWC array."""
    return x.transpose(0, 3, 1, 2)


def is_channels_last(x):
    """True when the channels of an NCHW array are closer together in memory
    than its columns: a view of NHWC memory (possibly cropped)."""
    return x.strides[1] < x.strides[3]


def in_layout_of(a, like):
    """a in the memory layout of `like` (a itself, or one copy): elementwise
    work on arrays of different layouts walks one of them against its grain.
    Only images (4 axes) have two layouts: any other a is returned as it is."""
    if a.ndim != 4 or is_channels_last(a) == is_channels_last(like):
        return a
    if is_channels_last(like):
        return channels_first(np.ascontiguousarray(channels_last(a)))
    return np.ascontiguousarray(a)


def rows(g):
    """An NCHW array as a matrix with one row per pixel (N·H·W, C): a view when
    g is channels last in memory (as the gradients these gates return are),
    else one copy."""
    return channels_last(g).reshape(-1, g.shape[1])


def empty(shape, dtype, channels_last_memory):
    """An uninitialised NCHW array, channels last in memory if asked."""
    if channels_last_memory:
        n, c, h, w = shape
        return channels_first(np.empty((n, h, w, c), dtype))
    return np.empty(shape, dtype)


def padded(x, padding, fill):
    """x (N, C, H, W) padded with `fill` by padding = (top, bottom, left, right),
    in x's memory layout (x itself when there is no padding)."""
    if not any(padding):
        return x
    top, bottom, left, right = padding
    n, c, h, w = x.shape
    xp = empty((n, c, h + top + bottom, w + left + right), x.dtype, is_channels_last(x))
    xp.fill(fill)
    xp[:, :, top:top + h, left:left + w] = x
    return xp


def cropped(xp, padding):
    """The inverse of padded: the interior of xp (a view)."""
    top, bottom, left, right = padding
    return xp[:, :, top:xp.shape[2] - bottom, left:xp.shape[3] - right]


def window_offsets(kernel, stride, dilation, out_hw):
    """For each kernel offset (i, j), the pair of slices of the (padded) input's
    H and W axes that offset (i, j) reads across all Ho x Wo windows: looping
    over these kh·kw offsets replaces any loop over pixels."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    return [(slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))
            for i in range(kh) for j in range(kw)]
