"""gradcheck: compare backward's gradients with central differences, in float64.

The numerical gradient of f at x is (f(x + h) - f(x - h)) / 2h, one element at
a time. A function with a non-scalar output is reduced to the scalar
sum(out * r) with a fixed random r, so every output element takes part.
"""
import warnings

import numpy as np

from .gate import raw
from .value import Value


class GradcheckError(AssertionError):
    """backward's gradient and the numerical gradient disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=False, seed=0):
    """Check the gradients of `fn(*inputs)` against central differences.

    Every input is copied to float64 (Values keep their requires_grad; raw
    numbers and arrays become Values that require grad), and every input that
    requires grad is checked elementwise: |analytic - numeric| <= atol + rtol·|numeric|.

    Returns True when all agree. Otherwise reports, per failing input, the max
    absolute error, the max relative error |a - n| / max(|a|, |n|) (the CS231n
    notes' measure) and the index where it occurs: raised as GradcheckError with
    raise_exception=True, else issued as a warning, and False is returned.
    """
    xs = [_float64_copy(x) for x in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
    out = fn(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}")
    r = np.random.default_rng(seed).standard_normal(out.shape)
    if out.requires_grad:
        out.backward(r if out.shape else float(r))

    problems = []
    for k, x in enumerate(xs):
        if not x.requires_grad:
            continue
        analytic = np.zeros(x.shape) if x.grad is None else np.asarray(raw(x.grad), dtype=np.float64)
        numeric = numerical_gradient(fn, xs, k, r, eps)
        report = compare(analytic, numeric, atol, rtol)
        if report:
            problems.append(f"input {k} (shape {x.shape}): {report}")
    if not problems:
        return True
    message = "gradcheck: backward disagrees with central differences\n  " + "\n  ".join(problems)
    if raise_exception:
        raise GradcheckError(message)
    warnings.warn(message, stacklevel=2)
    return False


def compare(analytic, numeric, atol, rtol):
    """'' when analytic ≈ numeric elementwise, else a one-line report of the worst element."""
    analytic, numeric = np.broadcast_arrays(np.asarray(analytic, float), np.asarray(numeric, float))
    abs_err = np.abs(analytic - numeric)
    ok = abs_err <= atol + rtol * np.abs(numeric)
    if ok.all():
        return ""
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    rel_err = np.divide(abs_err, scale, out=np.zeros_like(abs_err), where=scale > 0)
    bad = np.where(np.isnan(abs_err), np.inf, abs_err * ~ok)
    i = np.unravel_index(np.argmax(bad), bad.shape) if bad.ndim else ()
    return (f"max abs error {np.nanmax(abs_err):.3g}, max rel error {np.nanmax(rel_err):.3g}; "
            f"worst at index {tuple(int(j) for j in i)}: analytic {analytic[i]:.6g}, numeric {numeric[i]:.6g}")


def _float64_copy(x):
    if isinstance(x, Value):
        data, requires_grad = x.data, x.requires_grad
    else:
        data, requires_grad = x, True
    data = float(data) if isinstance(data, (int, float)) else np.array(data, dtype=np.float64)
    return Value(data, requires_grad=requires_grad, label=getattr(x, "label", None))


def numerical_gradient(fn, xs, k, r, eps):
    """Central differences of sum(fn(*xs) * r) with respect to xs[k], element by element."""
    x = xs[k]
    scalar = isinstance(x.data, float)
    flat = np.array([x.data]) if scalar else x.data.reshape(-1)   # a view: perturb in place
    grad = np.zeros(flat.shape)

    def f():
        if scalar:
            x.data = float(flat[0])
        # (with grad mode on: fn may itself call backward, e.g. to check second derivatives)
        return float(np.sum(np.asarray(raw(fn(*xs)), dtype=np.float64) * r))

    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + eps
        plus = f()
        flat[j] = original - eps
        minus = f()
        flat[j] = original
        grad[j] = (plus - minus) / (2 * eps)
    if scalar:
        x.data = float(flat[0])
    return grad.reshape(x.shape)
