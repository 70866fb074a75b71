"""Loss gates: each loss is one gate, forward and local gradients side by side.

`reduction` is 'mean' (the average over the n per-example terms), 'sum' or
'none' (the terms themselves). The local gradients scale by `per_term(g)`:
g/n for 'mean', g for 'sum', and g elementwise for 'none'.

    cross_entropy       L_i = -log softmax(x_i)[y_i] = log Σ_j e^{x_ij} - x_{i,y_i}
                        d/dx_ij = softmax(x_i)_j - [j = y_i]              (one stable gate)
    multi_margin        L_i = Σ_{j≠y_i} max(0, margin - x_{i,y_i} + x_ij)^p / C   (the SVM hinge)
                        d/dx_ij = p·h_ij^(p-1)/C for j ≠ y_i, minus their sum at j = y_i
    bce_with_logits     L = max(x, 0) - x·t + log(1 + e^-|x|)  (= -t log σ(x) - (1-t) log(1-σ(x)))
                        d/dx = σ(x) - t,  d/dt = -x
    bce (probabilities) L = -w·(t·max(log p, -100) + (1-t)·max(log(1-p), -100))
                        d/dp = w·(p - t) / max(p(1-p), 1e-12),  d/dt = w·(max(log(1-p), -100) - max(log p, -100))
    mse                 L = (a - b)²,   d/da = 2(a - b), d/db = -2(a - b)
    l1                  L = |a - b|,    d/da = sign(a - b), d/db = -sign(a - b)
"""
import numpy as np

from autograd import Gate, gates, raw


def reduce(terms, reduction):
    """The loss from its per-example terms: their mean, their sum, or the terms ('none')."""
    if reduction == "mean":
        return np.add.reduce(terms, axis=None) / terms.size    # the ufunc itself: mean() costs more
    if reduction == "sum":
        return np.add.reduce(terms, axis=None)
    return terms


def per_term(g, count, reduction):
    """The gradient arriving at each per-example term of a reduced loss."""
    return g / count if reduction == "mean" else g


def per_row(scale):
    """A per-term scale as a column, to multiply the rows of an (N, C) gradient."""
    return scale[:, None] if np.ndim(scale) else scale


# ---------------------------------------------------------------- cross-entropy
def _cross_entropy(x, labels, reduction):
    rows = np.arange(len(labels))
    z = x - np.maximum.reduce(x, axis=1, keepdims=True)         # shifted: e^z never overflows
    e = np.exp(z)
    total = np.add.reduce(e, axis=1, keepdims=True)
    terms = np.log(total[:, 0]) - z[rows, labels]
    e /= total                                                  # softmax, saved for backward
    return reduce(terms, reduction), e


def _cross_entropy_grad(g, probabilities, x, labels, reduction):
    scale = per_term(g, len(labels), reduction)
    d = probabilities * per_row(scale)
    d[np.arange(len(labels)), labels] -= scale
    return d


cross_entropy = Gate("cross_entropy", _cross_entropy, _cross_entropy_grad, cached=True,
                     onnx=lambda node, x, labels, reduction: node(
                         "SoftmaxCrossEntropyLoss", x, node.constant(labels), reduction=reduction),
                     doc="L_i = log Σ_j e^x_ij - x_i,y_i for scores x (N, C), labels y (N,) (stable);  "
                         "d/dx = softmax(x) - onehot(y)")


# ---------------------------------------------------------------- multiclass SVM
def _hinges(x, labels, margin):
    """max(0, margin - x_y + x_j) for every class j, 0 at j = y."""
    rows = np.arange(x.shape[0])
    h = x - x[rows, labels][:, None]
    h += margin
    np.maximum(h, 0, out=h)
    h[rows, labels] = 0
    return h


def _multi_margin(x, labels, p, margin, reduction):
    h = _hinges(x, labels, margin)
    terms = np.sum(h if p == 1 else h * h, axis=1) / x.shape[1]
    return reduce(terms, reduction), h


def _multi_margin_grad(g, h, x, labels, p, margin, reduction):
    scale = per_row(per_term(g, x.shape[0], reduction)) / x.shape[1]
    d = ((h > 0) if p == 1 else 2 * h) * scale                  # d/dx_j of h_j^p, j ≠ y
    d = d.astype(h.dtype, copy=False)
    rows = np.arange(x.shape[0])
    d[rows, labels] = -np.sum(d, axis=1)                         # x_y enters every hinge with -1
    return d


multi_margin = Gate("multi_margin_loss", _multi_margin, _multi_margin_grad, cached=True,
                    doc="L_i = Σ_{j≠y} max(0, margin - x_y + x_j)^p / C;  d/dx_j = p·h_j^(p-1)/C (j ≠ y), "
                        "d/dx_y = -Σ_j of those")


# ---------------------------------------------------------------- elementwise losses
def _bce_with_logits(x, t, reduction):
    terms = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    return reduce(terms, reduction)


bce_with_logits = Gate(
    "binary_cross_entropy_with_logits", _bce_with_logits,
    lambda g, out, x, t, reduction: (gates.sigmoid(x) - t) * per_term(g, np.size(raw(x)), reduction),
    lambda g, out, x, t, reduction: -x * per_term(g, np.size(raw(x)), reduction),
    doc="L = max(x,0) - x·t + log(1 + e^-|x|), the stable -t·log σ(x) - (1-t)·log(1-σ(x));  "
        "d/dx = σ(x) - t, d/dt = -x")

LOG_FLOOR = -100.0
"""Where binary_cross_entropy clamps its logs (PyTorch's value): a probability of
exactly 0 or 1 on the wrong side costs 100 nats, not infinity."""
GRAD_FLOOR = 1e-12
"""The smallest p(1 - p) that d/dp divides by (PyTorch's EPSILON)."""


def _clamped_logs(p):
    """max(log p, -100) and max(log(1 - p), -100), without warnings at p = 0 or 1."""
    with np.errstate(divide="ignore"):
        return gates.maximum(gates.log(p), LOG_FLOOR), gates.maximum(gates.log(1 - p), LOG_FLOOR)


def _weighted(d, weight):
    return d if weight is None else d * weight


def _bce(p, t, weight, reduction):
    log_p, log_q = _clamped_logs(p)
    terms = -(t * log_p + (1 - t) * log_q)
    return reduce(_weighted(terms, weight), reduction)


def _bce_grad_p(g, out, p, t, weight, reduction):
    d = (p - t) / gates.maximum(p * (1 - p), GRAD_FLOOR)
    return _weighted(d, weight) * per_term(g, np.size(raw(p)), reduction)


def _bce_grad_t(g, out, p, t, weight, reduction):
    log_p, log_q = _clamped_logs(p)
    return _weighted(log_q - log_p, weight) * per_term(g, np.size(raw(p)), reduction)


bce = Gate("binary_cross_entropy", _bce, _bce_grad_p, _bce_grad_t,
           doc="L = -w·(t·max(log p, -100) + (1-t)·max(log(1-p), -100)) for probabilities p;  "
               "d/dp = w·(p - t)/max(p(1-p), 1e-12), d/dt = w·(max(log(1-p), -100) - max(log p, -100))")


def _mse_onnx(node, a, b, reduction):
    d = node("Sub", a, b)
    terms = node("Mul", d, d)
    return terms if reduction == "none" else node("ReduceMean" if reduction == "mean" else "ReduceSum", terms,
                                                  keepdims=0)


mse = Gate("mse_loss", lambda a, b, reduction: reduce(np.square(a - b), reduction),
           lambda g, out, a, b, reduction: 2 * (a - b) * per_term(g, np.size(raw(a)), reduction),
           lambda g, out, a, b, reduction: -2 * (a - b) * per_term(g, np.size(raw(a)), reduction),
           doc="L = (a - b)², the L2 loss;  d/da = 2(a - b), d/db = -2(a - b)", onnx=_mse_onnx)

l1 = Gate("l1_loss", lambda a, b, reduction: reduce(np.abs(a - b), reduction),
          lambda g, out, a, b, reduction: np.sign(raw(a) - raw(b)) * per_term(g, np.size(raw(a)), reduction),
          lambda g, out, a, b, reduction: -np.sign(raw(a) - raw(b)) * per_term(g, np.size(raw(a)), reduction),
          doc="L = |a - b|;  d/da = sign(a - b), d/db = -sign(a - b)")
