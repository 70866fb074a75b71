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
computes them and updates the running averages), so this gate only normalises.
"""
import numpy as np

from autograd import Gate


def stat_axes(ndim):
    """The axes that batch statistics reduce over: every axis but the channels (1)."""
    return (0,) + tuple(range(2, ndim))


def _per_channel(v, ndim):
    """A (C,) vector shaped (1, C, 1, ...) to broadcast against an input of ndim axes."""
    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))


def _batch_norm(x, weight, bias, mean, var, eps, training):
    # statistics in x's precision (running statistics may be kept in another)
    mean, var = np.asarray(mean, x.dtype), np.asarray(var, x.dtype)
    inv_std = _per_channel(1 / np.sqrt(var + x.dtype.type(eps)), x.ndim)
    x_hat = x - _per_channel(mean, x.ndim)
    x_hat *= inv_std
    out = x_hat * _per_channel(weight, x.ndim) if weight is not None else x_hat.copy()
    if bias is not None:
        out += _per_channel(bias, x.ndim)
    return out, (x_hat, inv_std)


def _batch_norm_grad_x(g, cache, x, weight, bias, mean, var, eps, training):
    x_hat, inv_std = cache
    scale = inv_std if weight is None else inv_std * _per_channel(weight, x.ndim)
    if not training:
        return g * scale
    axes = stat_axes(x.ndim)
    centred = g - g.mean(axis=axes, keepdims=True)
    centred -= x_hat * (g * x_hat).mean(axis=axes, keepdims=True)
    centred *= scale
    return centred


def _batch_norm_grad_weight(g, cache, x, weight, bias, mean, var, eps, training):
    return np.sum(g * cache[0], axis=stat_axes(x.ndim))


def _batch_norm_grad_bias(g, cache, x, weight, bias, mean, var, eps, training):
    return np.sum(g, axis=stat_axes(x.ndim))


batch_norm = Gate("batch_norm", _batch_norm, _batch_norm_grad_x, _batch_norm_grad_weight, _batch_norm_grad_bias,
                  cached=True,
                  doc="out = γ·(x - μ)/√(σ² + ε) + β per channel;  in training (μ, σ² of the batch): "
                      "d/dx = γ/√(σ²+ε)·(g - mean g - x̂·mean(g·x̂)); in eval: d/dx = g·γ/√(σ²+ε);  "
                      "d/dγ = Σ g·x̂, d/dβ = Σ g")
