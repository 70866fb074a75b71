"""The batch normalisation gate, forward and closed-form backward side by side.

Over the axes of the statistics (all but the channel axis 1: N for (N, C),
N and L for (N, C, L), N, H, W for (N, C, H, W)), with m values per channel:

    x̂ = (x - μ) / √(σ² + ε)          out = γ·x̂ + β

In training μ and σ² are the batch's own mean and (biased) variance, so they
depend on x and the gradient flows through them too:

    d/dx = γ/√(σ² + ε) · (g - mean(g) - x̂·mean(g·x̂))
    d/dγ = Σ g·x̂        d/dβ = Σ g

In evaluation μ and σ² are the running statistics, constants:
d/dx = g·γ/√(σ² + ε). The statistics are passed in (nn.functional.batch_norm
computes them with `batch_statistics` and updates the running averages), so
this gate only normalises.

Speed. Every formula above is per channel: a few sums over the m values of a
channel, then one multiply-add per element. So the gate computes, per channel,
the numbers a, b, c of

    out = a·x + b                    (a = γ/√(σ² + ε), b = β - μ·a)
    d/dx = a·g + b'·x + c'           (the training formula, expanded)

and x̂ is never stored: Σ g·x̂ = (Σ g·x - μ·Σ g)/√(σ² + ε). The two sums
Σ g and Σ g·x serve all three local gradients: the first one asked computes
them and leaves them in the gate's cache for the others. A convolution's
output is channels last in memory (see layout.py): it is then a matrix with
one row per pixel and one column per channel, and a sum over the rows is one
matrix-vector product with a vector of ones. With few channels the rows are
short, so the gate reads several pixels as one row (see _matrix).
"""
import math

import numpy as np

from autograd import Gate

from .layout import channels_first, channels_last, in_layout_of, is_channels_last


def stat_axes(ndim):
    """The axes that batch statistics reduce over: every axis but the channels (1)."""
    return (0,) + tuple(range(2, ndim))


def _per_channel(v, ndim):
    """A (C,) vector shaped (1, C, 1, ...) to broadcast against an input of ndim axes."""
    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))


WIDTH = 512      # columns of the per-channel matrices below (numpy's inner loops run along them)


def _matrix(x):
    """x's values as a matrix whose column j holds channel j mod C, without copying,
    or None when x's memory is not laid out so (NCHW memory: numpy's own loops over
    the long H·W runs are fast there).

    Channels-last memory (and an (N, C) batch) is a matrix of one row per pixel and
    one column per channel: with 16 or 32 channels, numpy's inner loops would be 16
    or 32 numbers long. Read k consecutive rows as one row of k·C numbers instead
    (k divides the rows; k·C up to WIDTH), with every per-channel vector tiled k
    times: the same numbers, two to three times as fast at 16 channels."""
    if x.ndim == 2:
        m = x
    elif x.ndim == 4 and is_channels_last(x):
        m = channels_last(x)
    else:
        return None
    c = x.shape[1]
    if c == 0 or not m.flags.c_contiguous:
        return None
    k = math.gcd(m.size // c, max(1, WIDTH // c))
    return m.reshape(-1, k * c)


def _tiled(v, matrix):
    """The per-channel vector v repeated along a row of the matrix from _matrix."""
    return np.tile(v, matrix.shape[1] // len(v))


def _folded(v, c):
    """Per-column sums of a matrix from _matrix (k·C of them) summed into per-channel sums (C)."""
    return v.reshape(-1, c).sum(axis=0)


def _shaped_like(matrix, x):
    """A matrix laid out as _matrix(x) is, as an array of x's shape and memory layout."""
    if x.ndim == 2:
        return matrix.reshape(x.shape)
    return channels_first(matrix.reshape(channels_last(x).shape))


def _matrix_like(g, matrix):
    """g's values laid out as `matrix` holds those of an array of g's shape: a view when
    g's memory already is (as a gradient usually is), else one copy."""
    g = channels_last(g) if g.ndim == 4 else g
    return np.ascontiguousarray(g).reshape(matrix.shape)


def channel_sums(x):
    """Σ x per channel (over every axis but 1)."""
    matrix = _matrix(x)
    if matrix is None:
        return x.sum(axis=stat_axes(x.ndim))
    return _folded(np.ones(len(matrix), x.dtype) @ matrix, x.shape[1])


def channel_dots(a, b):
    """Σ a·b per channel, without the product as an array when b's layout allows."""
    matrix = _matrix(b)
    if matrix is None:
        return np.sum(in_layout_of(a, b) * b, axis=stat_axes(a.ndim))
    return _folded(np.einsum("ij,ij->j", _matrix_like(a, matrix), matrix), b.shape[1])


def batch_statistics(x):
    """(mean, biased variance) per channel, in x's dtype: two passes (the
    variance of the centred values, which keeps float32 accurate)."""
    m = x.size // x.shape[1]
    mean = channel_sums(x) / x.dtype.type(m)
    centred = _multiply_add(x, None, -mean)
    return mean, channel_dots(centred, centred) / x.dtype.type(m)


def _inv_std(var, eps, x):
    """1/√(σ² + ε) per channel, in x's dtype."""
    return 1 / np.sqrt(np.asarray(var, x.dtype) + x.dtype.type(eps))


def _scale(weight, var, eps, x):
    """a = γ/√(σ² + ε) per channel (γ = 1 without weight), in x's dtype."""
    a = _inv_std(var, eps, x)
    return a if weight is None else a * weight


def _multiply_add(x, a, b):
    """a·x + b with per-channel a (None: 1) and b, a new array in x's memory layout."""
    matrix = _matrix(x)
    if matrix is None:
        values, spread = x, lambda v: _per_channel(v, x.ndim)
    else:
        values, spread = matrix, lambda v: _tiled(v, matrix)
    if a is None:
        out = values + spread(b)
    else:
        out = values * spread(a)
        out += spread(b)
    return out if matrix is None else _shaped_like(out, x)


def _add_scaled(out, g, a):
    """out += a·g with per-channel a, in place (out: a new array made by _multiply_add)."""
    matrix = _matrix(out)
    if matrix is None:
        out += in_layout_of(g, out) * _per_channel(a, out.ndim)
    else:
        matrix += _matrix_like(g, matrix) * _tiled(a, matrix)


def _batch_norm(x, weight, bias, mean, var, eps, training):
    # statistics in x's precision (running statistics may be kept in another)
    mean = np.asarray(mean, x.dtype)
    a = _scale(weight, var, eps, x)
    b = -mean * a if bias is None else bias - mean * a
    return _multiply_add(x, a, b), {}              # the cache: backward's sums (below)


def _gradient_sums(g, cache, x, mean, var, eps):
    """(Σ g, Σ g·x̂) per channel for this g: computed by the first local gradient
    that needs them, kept in the cache for the others."""
    if cache.get("g") is not g:
        sum_g = channel_sums(g)
        sum_g_xhat = (channel_dots(g, x) - np.asarray(mean, x.dtype) * sum_g) * _inv_std(var, eps, x)
        cache.update(g=g, sums=(sum_g, sum_g_xhat))
    return cache["sums"]


def _batch_norm_grad_x(g, cache, x, weight, bias, mean, var, eps, training):
    a = _scale(weight, var, eps, x)
    if not training:
        return g * _per_channel(a, x.ndim)
    sum_g, sum_g_xhat = _gradient_sums(g, cache, x, mean, var, eps)
    m, mean = x.dtype.type(x.size // x.shape[1]), np.asarray(mean, x.dtype)
    inv_std = _inv_std(var, eps, x)
    # a·(g - Σg/m - x̂·Σg·x̂/m) with x̂ = (x - μ)/√(σ² + ε), as a·g + slope·x + shift
    slope = -a * inv_std * sum_g_xhat / m
    shift = -a * sum_g / m - slope * mean
    dx = _multiply_add(x, slope, shift)
    _add_scaled(dx, g, a)
    return dx


def _batch_norm_grad_weight(g, cache, x, weight, bias, mean, var, eps, training):
    return _gradient_sums(g, cache, x, mean, var, eps)[1]          # Σ g·x̂


def _batch_norm_grad_bias(g, cache, x, weight, bias, mean, var, eps, training):
    return _gradient_sums(g, cache, x, mean, var, eps)[0]          # Σ g


def _batch_norm_onnx(node, x, weight, bias, mean, var, eps, training):
    if training:
        raise ValueError("batch statistics (training mode, or track_running_stats=False) have no ONNX "
                         "inference form: export a model with running statistics, in eval mode")
    c = node.shape(x)[1]
    return node("BatchNormalization", x, weight or node.constant(np.ones(c)), bias or node.constant(np.zeros(c)),
                node.constant(mean), node.constant(var), epsilon=float(eps))


batch_norm = Gate("batch_norm", _batch_norm, _batch_norm_grad_x, _batch_norm_grad_weight, _batch_norm_grad_bias,
                  cached=True, onnx=_batch_norm_onnx,
                  doc="out = γ·(x - μ)/√(σ² + ε) + β per channel;  in training (μ, σ² of the batch): "
                      "d/dx = γ/√(σ²+ε)·(g - mean g - x̂·mean(g·x̂)); in eval: d/dx = g·γ/√(σ²+ε);  "
                      "d/dγ = Σ g·x̂, d/dβ = Σ g")


# ---------------------------------------------------------------- layer normalisation
# Over the last k axes (normalized_shape), with n values per example:
#
#     x̂ = (x - μ)/√(σ² + ε)      out = γ·x̂ + β          (μ, σ²: each example's own)
#
#     d/dx = (1/√(σ² + ε))·(ĝ - mean(ĝ) - x̂·mean(ĝ·x̂))   with ĝ = γ·g
#     d/dγ = Σ g·x̂ over the leading axes      d/dβ = Σ g over the leading axes
def _layer_norm(x, weight, bias, k, eps):
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    inv_std = 1 / np.sqrt(np.mean(centred * centred, axis=axes, keepdims=True) + x.dtype.type(eps))
    xhat = centred
    xhat *= inv_std
    out = xhat if weight is None else xhat * weight
    if bias is not None:
        out = out + bias
    return out, (xhat, inv_std)


def _layer_norm_grad_x(g, cache, x, weight, bias, k, eps):
    xhat, inv_std = cache
    axes = tuple(range(xhat.ndim - k, xhat.ndim))
    gw = g if weight is None else g * weight
    return inv_std * (gw - gw.mean(axis=axes, keepdims=True) - xhat * (gw * xhat).mean(axis=axes, keepdims=True))


def _leading_sum(a, k):
    """Σ over every axis but the last k (the normalised ones)."""
    return a.sum(axis=tuple(range(a.ndim - k)))


layer_norm = Gate("layer_norm", _layer_norm, _layer_norm_grad_x,
                  lambda g, cache, x, weight, bias, k, eps: _leading_sum(g * cache[0], k),
                  lambda g, cache, x, weight, bias, k, eps: _leading_sum(g, k),
                  cached=True,
                  doc="out = γ·(x - μ)/√(σ² + ε) + β, μ and σ² over the last k axes of each example;  "
                      "d/dx = (ĝ - mean ĝ - x̂·mean(ĝ·x̂))/√(σ² + ε) with ĝ = γ·g, "
                      "d/dγ = Σ g·x̂, d/dβ = Σ g",
                  onnx=lambda node, x, weight, bias, k, eps: node(
                      "LayerNormalization", x, weight or node.constant(np.ones(node.shape(x)[-k:])), bias,
                      axis=-k, epsilon=float(eps)))
