"""nn.utils: gradient clipping, as torch.nn.utils.

    clip_grad_norm_(parameters, max_norm)     all gradients scaled by min(1, max_norm/(‖g‖ + 1e-6)),
                                              ‖g‖ the norm of every gradient taken together
    clip_grad_value_(parameters, clip_value)  every gradient clipped to [-clip_value, clip_value]

Exploding gradients through time (a recurrent net's gradient is multiplied by
W_hh at every step) are the usual reason to clip.
"""
import math

import numpy as np

from autograd import Value, checks

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(owner, parameters):
    """The Values among parameters (one Value, or an iterable) that have a gradient."""
    parameters = [parameters] if isinstance(parameters, Value) else list(parameters)
    for p in parameters:
        if not isinstance(p, Value):
            raise TypeError(f"{owner}: parameters must be Values, got a {type(p).__name__}")
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale every gradient in place by min(1, max_norm/(total + 1e-6)), total =
    (Σ_p ‖grad p‖^norm_type)^(1/norm_type) over all parameters together
    (norm_type inf: the largest |gradient|). Returns the total norm before
    clipping, as a float (PyTorch returns it as a tensor)."""
    max_norm = checks.number("clip_grad_norm_", "max_norm", max_norm, minimum=0)
    norm_type = checks.number("clip_grad_norm_", "norm_type", norm_type, above=0)
    params = _with_grads("clip_grad_norm_", parameters)
    if not params:
        return 0.0
    grads = [np.abs(np.asarray(p.grad, dtype=np.float64)) for p in params]
    if math.isinf(norm_type):
        total = max(float(g.max(initial=0.0)) for g in grads)
    else:
        total = float(sum(np.sum(g ** norm_type) for g in grads) ** (1 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of the gradients is {total}")
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for p in params:
            if isinstance(p.grad, np.ndarray):
                p.grad *= p.grad.dtype.type(scale)
            else:
                p.grad = p.grad * scale
    return total


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient in place to [-clip_value, clip_value]."""
    clip_value = checks.number("clip_grad_value_", "clip_value", clip_value, minimum=0)
    for p in _with_grads("clip_grad_value_", parameters):
        if isinstance(p.grad, np.ndarray):
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)
        else:
            p.grad = min(max(p.grad, -clip_value), clip_value)
