"""Gates for activations that the engine's table does not have: softmax,
log-softmax, PReLU (a learnable slope), the dropout mask, and guided ReLU
(the ReLU of guided backpropagation).

Their local gradients are written with operators and gates, so they also run
on Values and can be differentiated again (create_graph=True).
"""
import numpy as np

from autograd import Gate, gates, raw


def _softmax(x, dim):
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    e /= np.sum(e, axis=dim, keepdims=True)
    return e


def _log_softmax(x, dim):
    z = x - np.max(x, axis=dim, keepdims=True)
    z -= np.log(np.sum(np.exp(z), axis=dim, keepdims=True))
    return z


softmax = Gate("softmax", _softmax,
               lambda g, out, x, dim: out * (g - (g * out).sum(axis=dim, keepdims=True)),
               doc="e^x / Σ e^x along dim (shifted by the max: stable);  d/dx = s·(g - Σ g·s)",
               onnx=lambda node, x, dim: node("Softmax", x, axis=dim))
log_softmax = Gate("log_softmax", _log_softmax,
                   lambda g, out, x, dim: g - gates.exp(out) * g.sum(axis=dim, keepdims=True),
                   doc="x - log Σ e^x along dim (stable);  d/dx = g - softmax(x)·Σ g",
                   onnx=lambda node, x, dim: node("LogSoftmax", x, axis=dim))


def _slope(a, ndim):
    """PReLU's slopes (1,) or (C,), shaped to broadcast along the channel axis 1."""
    return a if np.size(a) == 1 or ndim < 2 else gates.reshape(a, (1, -1) + (1,) * (ndim - 2))


def _prelu_grad_slope(g, out, x, a):
    x_raw = raw(x)
    negative_part = gates.where(x_raw > 0, 0.0, g * x)
    axes = tuple(i for i in range(x_raw.ndim) if not (np.size(a) > 1 and i == 1))
    return gates.reshape(negative_part.sum(axis=axes), np.shape(a))


prelu = Gate("prelu", lambda x, a: np.where(x > 0, x, x * _slope(a, x.ndim)),
             lambda g, out, x, a: gates.where(raw(x) > 0, g, g * _slope(a, np.ndim(x))),
             _prelu_grad_slope,
             doc="x if x > 0 else a·x, one slope a per channel (or one for all);  "
                 "d/dx = 1 or a, d/da = Σ x where x <= 0",
             # ONNX broadcasts the slopes from the right: (C,) becomes (C, 1, 1) for (N, C, H, W)
             onnx=lambda node, x, a: node("PRelu", x, node.reshape(a, (-1,) + (1,) * (len(node.shape(x)) - 2))
                                          if len(node.shape(x)) > 2 else a))

dropout = Gate("dropout", lambda x, mask: x * mask,
               lambda g, out, x, mask: g * mask,
               doc="x · mask, mask = 0 (dropped, probability p) or 1/(1-p) (kept, 'inverted' dropout);  "
                   "d/dx = mask")

guided_relu = Gate("guided_relu", lambda x: np.maximum(x, 0),
                   # Not the derivative of max(0, x): guided backpropagation (Springenberg
                   # et al.) also stops negative gradients arriving from above, so only
                   # evidence *for* the output flows back to the image.
                   lambda g, out, x: g * ((raw(x) > 0) & (raw(g) > 0)),
                   doc="max(0, x) forward, as ReLU;  backward g·[x > 0]·[g > 0]: only positive "
                       "gradients pass, and only where the input was positive (guided backpropagation)",
                   onnx=lambda node, x: node("Relu", x))          # the forward pass is ReLU's
