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
matrix-vector product with a vector of ones.
"""
import numpy as np

from autograd import Gate

from .layout import channels_last, in_layout_of, is_channels_last


def stat_axes(ndim):
    """The axes that batch statistics reduce over: every axis but the channels (1)."""
    return (0,) + tuple(range(2, ndim))


def _per_channel(v, ndim):
    """A (C,) vector shaped (1, C, 1, ...) to broadcast against an input of ndim axes."""
    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))


def _rows(x):
    """x as a (values, channels) matrix without copying, or None when its memory is not laid out so."""
    if x.ndim == 2:
        return x
    if x.ndim == 4 and is_channels_last(x) and channels_last(x).flags.c_contiguous:
        return channels_last(x).reshape(-1, x.shape[1])
    return None


def channel_sums(x):
    """Σ x per channel (over every axis but 1)."""
    matrix = _rows(x)
    if matrix is None:
        return x.sum(axis=stat_axes(x.ndim))
    return np.ones(len(matrix), x.dtype) @ matrix


def channel_dots(a, b):
    """Σ a·b per channel, without the product as an array when the layout allows."""
    a = in_layout_of(a, b) if a.ndim == 4 else a
    rows_a, rows_b = _rows(a), _rows(b)
    if rows_a is None or rows_b is None:
        return np.sum(a * b, axis=stat_axes(a.ndim))
    return np.einsum("ij,ij->j", rows_a, rows_b)


def batch_statistics(x):
    """(mean, biased variance) per channel, in x's dtype: two passes (the
    variance of the centred values, which keeps float32 accurate)."""
    m = x.size // x.shape[1]
    mean = channel_sums(x) / x.dtype.type(m)
    centred = x - _per_channel(mean, x.ndim)
    return mean, channel_dots(centred, centred) / x.dtype.type(m)


def _inv_std(var, eps, x):
    """1/√(σ² + ε) per channel, in x's dtype."""
    return 1 / np.sqrt(np.asarray(var, x.dtype) + x.dtype.type(eps))


def _scale(weight, var, eps, x):
    """a = γ/√(σ² + ε) per channel (γ = 1 without weight), in x's dtype."""
    a = _inv_std(var, eps, x)
    return a if weight is None else a * weight


def _multiply_add(x, a, b):
    """a·x + b with per-channel a, b, in x's memory layout."""
    out = x * _per_channel(a, x.ndim)
    out += _per_channel(b, x.ndim)
    return out


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
    g = in_layout_of(g, x) if x.ndim == 4 else g
    m, mean = x.dtype.type(x.size // x.shape[1]), np.asarray(mean, x.dtype)
    inv_std = _inv_std(var, eps, x)
    # a·(g - Σg/m - x̂·Σg·x̂/m) with x̂ = (x - μ)/√(σ² + ε), as a·g + slope·x + shift
    slope = -a * inv_std * sum_g_xhat / m
    shift = -a * sum_g / m - slope * mean
    dx = _multiply_add(x, slope, shift)
    dx += g * _per_channel(a, x.ndim)
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
