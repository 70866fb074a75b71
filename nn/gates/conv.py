"""Convolution gates: conv2d and its transpose, each forward beside its local gradients.

    conv2d      out[n, o, y, x] = b[o] + Σ_{c,i,j} w[o, c, i, j] · xp[n, c, y·s + i·d, x·s + j·d]
                (xp: x zero-padded by (top, bottom, left, right))
    forward     im2col (one strided copy) and ONE matmul: [cols | 1] @ [W; b], with
                cols (N·Ho·Wo, kh·kw·C) and W (kh·kw·C, O); the bias rides in the matmul
                as a column of ones, so it costs no pass of its own. At stride 1 with
                8 to 32 channels: shifted matmuls, no im2col (see below)
    d/dw        colsᵀ @ g                      (the cols saved by forward; after shifted
                                                matmuls, im2col along W only: see below)
    d/dx        col2im: g @ w[:, :, i, j] for every kernel offset (i, j), each added
                into the shifted, strided slice of the padded input that offset read:
                a loop over the kh·kw kernel offsets, none over pixels or the batch,
                and no np.add.at. At stride 1 the same sum is itself a stride-1
                convolution, of g with the kernel flipped, computed as the forward is
    d/db        Σ g over N, H, W               (a matrix-vector product with ones)

conv_transpose2d is the same pair read backwards: its forward is conv2d's d/dx
(col2im), its d/dx is conv2d's forward (im2col + matmul).

Layout. The API is NCHW, but inside these gates the channels are the fast axis
(NHWC, "channels last"): im2col then copies runs of kw·C contiguous numbers,
and the matmul's output (one row per output pixel, one column per output
channel) is already an NHWC array. It is returned as an NCHW *view* of that
memory, not copied: elementwise gates keep the layout (numpy's order 'K'),
pooling preserves it, and the next convolution reads it without a transpose.
An NCHW input with few channels (an RGB image) is better read the other way:
there the runs along W are the long ones, so im2col builds the transposed
matrix (kh·kw·C, N·Ho·Wo) and hands the matmul its transpose, a free view.
A 1x1 convolution (stride 1, no padding) needs no im2col at all: each
pixel's channels already are its row.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd import Gate

from .layout import channels_first, channels_last, is_channels_last, padded, rows


# ---------------------------------------------------------------- im2col and col2im
def padded_channels_last(x, padding):
    """x (N, C, H, W) as a zero-padded NHWC array; padding = (top, bottom, left, right)."""
    top, bottom, left, right = padding
    if not any(padding):
        return channels_last(x)
    n, c, h, w = x.shape
    xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=x.dtype)
    xp[:, top:top + h, left:left + w, :] = channels_last(x)
    return xp


def im2col(x, kernel, stride, padding, dilation, out_hw=None, ones_column=False):
    """The im2col matrix of x (N, C, H, W): one row per output pixel (n, y, x),
    one column per (i, j, c) of the receptive field, and a last column of ones
    if asked (for the bias). Returns (cols, (Ho, Wo)); cols may be the
    transpose of a C-ordered array (see the module docstring: either way the
    one copy is made of the longest contiguous runs the input offers).

    out_hw keeps only the first Ho x Wo windows (conv_transpose2d's
    output_padding can leave room for more windows than its input has pixels)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    extent = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    n, c = x.shape[:2]
    if out_hw is None:
        out_hw = tuple((x.shape[2 + a] + padding[2 * a] + padding[2 * a + 1] - extent[a]) // (sh, sw)[a] + 1
                       for a in (0, 1))
    ho, wo = out_hw
    k, extra = kh * kw * c, int(ones_column)
    if not is_channels_last(x) and c * kw < wo:
        # NCHW memory, few channels: copy runs along W into the transposed matrix
        windows = sliding_window_view(padded(x, padding, 0), extent, axis=(2, 3))
        windows = windows[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :ho, :wo]          # (N, C, Ho, Wo, kh, kw)
        cols_t = np.empty((k + extra, n * ho * wo), x.dtype)
        cols_t[:k].reshape(kh, kw, c, n, ho, wo)[...] = windows.transpose(4, 5, 1, 0, 2, 3)
        cols_t[k:] = 1
        return cols_t.T, out_hw
    windows = sliding_window_view(padded_channels_last(x, padding), extent, axis=(1, 2))
    windows = windows[:, ::sh, ::sw, :, ::dh, ::dw][:, :ho, :wo]                  # (N, Ho, Wo, C, kh, kw)
    cols = np.empty((n, ho, wo, k + extra), x.dtype)
    cols[..., :k].reshape(n, ho, wo, kh, kw, c)[...] = windows.transpose(0, 1, 2, 4, 5, 3)
    cols[..., k:] = 1
    return cols.reshape(n * ho * wo, k + extra), out_hw


def col2im(g_rows, w, shape, out_hw, stride, padding, dilation):
    """The adjoint of im2col followed by the matmul with w: for each kernel
    offset (i, j), g_rows @ w[:, :, i, j] added into the strided slice of the
    padded input that offset read. g_rows (N·Ho·Wo, O), w (O, C, kh, kw),
    shape = the input's (N, C, H, W). Returns an NCHW view of NHWC memory.

    Stride 1 (with padding up to the kernel's extent): the sum over offsets is
    the convolution of g, zero-padded, with the flipped kernel, computed as one.
    Otherwise one (N·Ho·Wo, C) block at a time, in one reused buffer: it stays
    in cache between the matmul that writes it and the add that reads it,
    which beats one batched matmul over all offsets (kh·kw times the memory)."""
    n, c, h, wd = shape
    kh, kw = w.shape[2:]
    (ho, wo), (sh, sw), (dh, dw) = out_hw, stride, dilation
    top, bottom, left, right = padding
    full = (dh * (kh - 1) - top, h + top - ho, dw * (kw - 1) - left, wd + left - wo)
    if stride == (1, 1) and min(full) >= 0:
        # The adjoint of a stride-1 convolution is a stride-1 convolution: of g, zero-padded by `full`
        # (the kernel's extent less the forward's padding), with the kernel flipped and its channels
        # swapped, computed as conv2d's forward computes one (im2col and one matmul, or shifted
        # matmuls): fewer passes over memory than the offset loop below, with its strided adds.
        g = channels_first(g_rows.reshape(n, ho, wo, w.shape[0]))
        return _conv2d(g, w[:, :, ::-1, ::-1].swapaxes(0, 1), None, stride, full, dilation)[0]
    dtype = np.result_type(g_rows, w)
    dxp = np.zeros((n, h + top + bottom, wd + left + right, c), dtype)
    block = np.empty((n * ho * wo, c), dtype)
    for i in range(kh):                                          # kernel offsets, not pixels
        for j in range(kw):
            np.matmul(g_rows, w[:, :, i, j], out=block)
            dxp[:, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw] += \
                block.reshape(n, ho, wo, c)
    return channels_first(dxp[:, top:top + h, left:left + wd])


def weights_as_matrix(w, b=None):
    """w (O, C, kh, kw) as the (kh·kw·C, O) matrix that multiplies im2col's
    columns, with the bias b as one more row (for the column of ones)."""
    m = w.transpose(2, 3, 1, 0).reshape(-1, w.shape[0])
    return m if b is None else np.concatenate([m, np.reshape(b, (1, -1)).astype(m.dtype, copy=False)])


def matrix_as_weights(m, shape):
    """The inverse of weights_as_matrix: (kh·kw·C, O) back to (O, C, kh, kw), contiguous."""
    o, c, kh, kw = shape
    return np.ascontiguousarray(m.reshape(kh, kw, c, o).transpose(3, 2, 0, 1))


# ---------------------------------------------------------------- stride 1: shifted matmuls
# A stride-1 convolution of a zero-padded NHWC array xp (N, Hp, Wp, C) needs no
# im2col. Flatten xp to one row per padded pixel: the pixel that kernel offset
# (i, j) reads for the output at row r is row r + i·d·Wp + j·d. So the whole
# output, computed at every padded pixel, is a sum of kh·kw matmuls of
# contiguous row ranges of xp with w[:, :, i, j]; the rows that would straddle
# an image's right or bottom edge are computed too and cropped away. This reads
# xp kh·kw times but never writes the kh·kw times larger im2col matrix: with
# few channels (the matmuls are then bound by memory, not arithmetic) and
# little padding the forward is about twice as fast.
#
# d/dw reduces over all the rows instead, into a tiny (C, O) block per offset,
# and kh·kw reductions that thin are slow. So d/dw first widens each row of xp
# to the kw·C values of the 1 x kw window starting there (im2col along W only:
# kw copies of the input, where im2col writes kh·kw): then kernel row i is one
# reduction, (the widened rows it read, shifted by i·d·Wp)ᵀ @ g.
def shifted_rows(flat, offsets):
    """How many rows of flat every one of the (increasing) row offsets can read."""
    return max(len(flat) - offsets[-1], 0)                       # 0 rows for an empty batch


def shifts_pay(c, o, padded_hw, out_hw):
    """Whether shifted matmuls beat im2col + one matmul for C -> O channels: when the matmuls
    stay bound by memory (C from 8 to 32, no more outputs than inputs) and the padded rim
    adds less than 40% to the pixels. Below 8 channels each matmul is too thin; measured
    with `python benchmarks/conv_paths.py`."""
    (hp, wp), (ho, wo) = padded_hw, out_hw
    return 8 <= c <= 32 and o <= c and hp * wp <= 1.4 * ho * wo


def shifted_conv(xp, w, out_hw, dilation):
    """The stride-1 convolution of the padded NHWC array xp (N, Hp, Wp, C) with w (O, C, kh, kw):
    an NHWC view (N, Ho, Wo, O) of the output computed at every padded pixel."""
    n, hp, wp, c = xp.shape
    (o, _, kh, kw), (dh, dw) = w.shape, dilation
    flat = xp.reshape(-1, c)
    offsets = [i * dh * wp + j * dw for i in range(kh) for j in range(kw)]
    length = shifted_rows(flat, offsets)
    taps = weights_as_matrix(w).reshape(-1, c, o)                # (kh·kw, C, O): w[:, :, i, j]ᵀ
    out = np.empty((len(flat), o), np.result_type(xp, w))       # its last rows are rim: cropped, never read
    np.matmul(flat[:length], taps[0], out=out[:length])
    term = np.empty((length, o), out.dtype)
    for tap, offset in zip(taps[1:], offsets[1:]):
        np.matmul(flat[offset:offset + length], tap, out=term)
        out[:length] += term
    return out.reshape(n, hp, wp, o)[:, :out_hw[0], :out_hw[1]]


def width_windows(xp, kw, dilation):
    """The padded NHWC input xp (N, Hp, Wp, C) as rows (N·Hp·Wp, kw·C): row r holds the
    channels of the pixels r, r + d, ..., r + (kw - 1)·d of the flattened input (d the
    dilation along W). The last rows, whose windows would run off its end, are zero: they
    are rim pixels, where g is zero, but d/dw reads them (and NaN·0 would be NaN)."""
    c = xp.shape[3]
    flat = xp.reshape(-1, c)
    full = max(len(flat) - dilation * (kw - 1), 0)               # the rows whose window fits
    windows = np.empty((len(flat), kw, c), xp.dtype)
    if full:                                                     # (an empty batch has no window)
        spans = sliding_window_view(flat, dilation * (kw - 1) + 1, axis=0)         # (full, C, span)
        windows[:full] = spans[:, :, ::dilation].transpose(0, 2, 1)
    windows[full:] = 0
    return windows.reshape(len(flat), kw * c)


def shifted_weight_grad(xp, g, w_shape, dilation):
    """d/dw of shifted_conv: for each kernel row i, (the width windows of xp it read)ᵀ @ g,
    with g placed on the padded pixel grid (zero where no window starts). (O, C, kh, kw)."""
    n, hp, wp, c = xp.shape
    (o, _, kh, kw), (dh, dw) = w_shape, dilation
    grid = np.zeros((n, hp, wp, o), g.dtype)
    grid[:, :g.shape[2], :g.shape[3]] = channels_last(g)
    grid = grid.reshape(-1, o)
    windows = width_windows(xp, kw, dw)
    offsets = [i * dh * wp for i in range(kh)]
    length = shifted_rows(windows, offsets)
    taps = np.empty((kh, kw * c, o), np.result_type(xp, g))     # kernel row i: w[:, :, i, :] as (kw·C, O)
    for tap, offset in zip(taps, offsets):
        np.matmul(windows[offset:offset + length].T, grid[:length], out=tap)
    return matrix_as_weights(taps.reshape(-1, o), w_shape)


def _bias_grad(g, saved, x, w, b, *options):
    if is_channels_last(g):                                      # Σ over rows as a matrix-vector product
        g_rows = rows(g)
        return np.ones(len(g_rows), g.dtype) @ g_rows
    return g.sum(axis=(0, 2, 3))


# ---------------------------------------------------------------- conv2d
def _conv2d(x, w, b, stride, padding, dilation):
    # returns the output and what d/dw needs: the im2col matrix, or the padded input of shifted matmuls
    (kh, kw), (dh, dw) = w.shape[2:], dilation
    top, bottom, left, right = padding
    hp, wp = x.shape[2] + top + bottom, x.shape[3] + left + right
    ho, wo = hp - dh * (kh - 1), wp - dw * (kw - 1)              # at stride 1
    if (kh, kw) == (1, 1) and stride == (1, 1) and not any(padding):
        cols = rows(x)                                           # 1x1: each pixel's channels are its row
        out = cols @ weights_as_matrix(w)
        if b is not None:
            out += b
    elif stride == (1, 1) and shifts_pay(x.shape[1], w.shape[0], (hp, wp), (ho, wo)):
        xp = np.ascontiguousarray(padded_channels_last(x, padding))
        out = shifted_conv(xp, w, (ho, wo), dilation)
        out = np.ascontiguousarray(out) if b is None else out + b   # NHWC memory again, without the rim
        return channels_first(out), xp
    else:
        cols, (ho, wo) = im2col(x, w.shape[2:], stride, padding, dilation, ones_column=b is not None)
        out = cols @ weights_as_matrix(w, b)
    return channels_first(out.reshape(x.shape[0], ho, wo, w.shape[0])), cols


def _conv2d_grad_x(g, saved, x, w, b, stride, padding, dilation):
    return col2im(rows(g), w, x.shape, g.shape[2:], stride, padding, dilation)


def _conv2d_grad_w(g, saved, x, w, b, stride, padding, dilation):
    if saved.ndim == 4:                                          # the padded input of shifted matmuls
        return shifted_weight_grad(saved, g, w.shape, dilation)
    k = w[0].size                                                # drop the column of ones, if any
    return matrix_as_weights(saved[:, :k].T @ rows(g), w.shape)


def _conv2d_onnx(node, x, w, b, stride, padding, dilation):
    top, bottom, left, right = padding
    return node("Conv", x, w, b, strides=stride, pads=(top, left, bottom, right), dilations=dilation)


conv2d = Gate("conv2d", _conv2d, _conv2d_grad_x, _conv2d_grad_w, _bias_grad, cached=True, onnx=_conv2d_onnx,
              doc="out[n,o,y,x] = b[o] + Σ_{c,i,j} w[o,c,i,j]·xp[n, c, y·s + i·d, x·s + j·d] "
                  "(xp: x zero-padded; padding = (top, bottom, left, right));  "
                  "d/dx = col2im(g @ w), d/dw = colsᵀ @ g, d/db = Σ g")


# ---------------------------------------------------------------- conv_transpose2d
def _conv_transpose2d(x, w, b, stride, padding, dilation, out_hw):
    # w (C_in, C_out, kh, kw) is the weight of the convolution C_out -> C_in whose d/dx this is.
    out = col2im(rows(x), w, (x.shape[0], w.shape[1]) + tuple(out_hw), x.shape[2:], stride, padding, dilation)
    if b is not None:
        out = out + b[:, None, None]                             # keeps the channels-last layout
    return out


def _conv_transpose2d_grad_x(g, out, x, w, b, stride, padding, dilation, out_hw):
    cols, (ho, wo) = im2col(g, w.shape[2:], stride, padding, dilation, x.shape[2:])
    return channels_first((cols @ weights_as_matrix(w)).reshape(x.shape[0], ho, wo, w.shape[0]))


def _conv_transpose2d_grad_w(g, out, x, w, b, stride, padding, dilation, out_hw):
    cols, _ = im2col(g, w.shape[2:], stride, padding, dilation, x.shape[2:])
    return matrix_as_weights(cols.T @ rows(x), w.shape)


def _conv_transpose2d_onnx(node, x, w, b, stride, padding, dilation, out_hw):
    top, bottom, left, right = padding
    (h, wd), (kh, kw) = node.shape(x)[2:], node.shape(w)[2:]
    extra = [out - ((n - 1) * s - before - after + d * (k - 1) + 1)          # output_padding
             for out, n, s, before, after, d, k in zip(out_hw, (h, wd), stride, (top, left), (bottom, right),
                                                        dilation, (kh, kw))]
    return node("ConvTranspose", x, w, b, strides=stride, pads=(top, left, bottom, right), dilations=dilation,
                output_padding=extra)


conv_transpose2d = Gate(
    "conv_transpose2d", _conv_transpose2d, _conv_transpose2d_grad_x, _conv_transpose2d_grad_w, _bias_grad,
    onnx=_conv_transpose2d_onnx,
    doc="The adjoint of conv2d with weight w (C_in, C_out, kh, kw): out = conv2d's d/dx applied to x, "
        "+ b;  d/dx = conv2d(g, w), d/dw = im2col(g)ᵀ @ x, d/db = Σ g")
