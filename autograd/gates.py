"""The gate table: every operation of the engine, its forward computation and
its local gradients side by side, one line per derivative.

    name = Gate("name", forward, d/d(input 0), d/d(input 1), ...)

Each local gradient is a function of (g, out, *inputs) returning the gradient
for its input: g, the gradient arriving at the output, times the local
derivative. They are written with operators and with the gates of this table,
so the same line runs on numpy arrays in an ordinary backward and on Values
under `backward(create_graph=True)`. Masks (`raw(x) > 0`) are constants.
Broadcast inputs get their gradient summed back to their own shape by the
engine (`fit_gradient` in backprop.py), not here. The last line of a gate,
`onnx=`, is its form in ONNX (the operators nn.onnx exports it as). Check the
formulas against the CS231n backprop notes: add distributes, mul swaps, max routes.
"""
import functools
import operator

import numpy as np

from .gate import Gate, raw

# ---------------------------------------------------------------- arithmetic
add = Gate("add", operator.add,
           lambda g, out, a, b: g,                        # the add gate distributes: g to both
           lambda g, out, a, b: g,
           doc="a + b;  d/da = 1, d/db = 1",
           onnx=lambda node, a, b: node("Add", a, b))
sub = Gate("sub", operator.sub,
           lambda g, out, a, b: g,
           lambda g, out, a, b: -g,
           doc="a - b;  d/da = 1, d/db = -1",
           onnx=lambda node, a, b: node("Sub", a, b))
neg = Gate("neg", operator.neg,
           lambda g, out, x: -g,
           doc="-x;  d/dx = -1",
           onnx=lambda node, x: node("Neg", x))
mul = Gate("mul", operator.mul,
           lambda g, out, a, b: g * b,                    # the mul gate swaps its inputs
           lambda g, out, a, b: g * a,
           doc="a * b;  d/da = b, d/db = a",
           onnx=lambda node, a, b: node("Mul", a, b))
div = Gate("div", operator.truediv,
           lambda g, out, a, b: g / b,
           lambda g, out, a, b: -g * out / b,
           doc="a / b;  d/da = 1/b, d/db = -a/b² = -out/b",
           onnx=lambda node, a, b: node("Div", a, b))
power = Gate("pow", operator.pow,
             lambda g, out, a, b: g * b * a ** (b - 1),
             lambda g, out, a, b: g * out * log(a),
             doc="a ** b;  d/da = b·a^(b-1), d/db = a^b·ln(a) (needs a > 0)",
             onnx=lambda node, a, b: node("Pow", a, b))


# ---------------------------------------------------------------- elementwise functions
def _relu(x):
    # Scalar circuits (micrograd's demo) stay in Python floats: a numpy call per
    # scalar would cost more than the rest of the gate.
    if type(x) is float:
        return 0.0 if x <= 0.0 else x
    return np.maximum(x, 0)


def _sigmoid(x):
    e = np.exp(-np.abs(x))                                # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


exp = Gate("exp", np.exp,
           lambda g, out, x: g * out,
           doc="e^x;  d/dx = e^x = out",
           onnx=lambda node, x: node("Exp", x))
log = Gate("log", np.log,
           lambda g, out, x: g / x,
           doc="ln x;  d/dx = 1/x",
           onnx=lambda node, x: node("Log", x))
sqrt = Gate("sqrt", np.sqrt,
            lambda g, out, x: g / (2 * out),
            doc="√x;  d/dx = 1/(2√x)",
            onnx=lambda node, x: node("Sqrt", x))
absolute = Gate("abs", np.abs,
                lambda g, out, x: g * np.sign(raw(x)),
                doc="|x|;  d/dx = sign(x) (0 at 0)",
                onnx=lambda node, x: node("Abs", x))
relu = Gate("relu", _relu,
            lambda g, out, x: g * (raw(x) > 0),
            doc="max(0, x);  d/dx = 1 if x > 0 else 0",
            onnx=lambda node, x: node("Relu", x))
leaky_relu = Gate("leaky_relu", lambda x, slope: np.where(x > 0, x, x * slope),
                  lambda g, out, x, slope: where(raw(x) > 0, g, g * slope),
                  doc="x if x > 0 else slope·x;  d/dx = 1 or slope",
                  onnx=lambda node, x, slope: node("LeakyRelu", x, alpha=float(slope)))
elu = Gate("elu", _elu,
           lambda g, out, x, alpha: where(raw(x) > 0, g, g * (out + alpha)),
           doc="x if x > 0 else α(e^x - 1);  d/dx = 1 or α·e^x = out + α",
           onnx=lambda node, x, alpha: node("Elu", x, alpha=float(alpha)))
sigmoid = Gate("sigmoid", _sigmoid,
               lambda g, out, x: g * out * (1 - out),
               doc="σ(x) = 1/(1 + e^-x), stable for any x;  d/dx = σ(x)(1 - σ(x))",
               onnx=lambda node, x: node("Sigmoid", x))
tanh = Gate("tanh", np.tanh,
            lambda g, out, x: g * (1 - out * out),
            doc="tanh x;  d/dx = 1 - tanh²x",
            onnx=lambda node, x: node("Tanh", x))
clip = Gate("clip", np.clip,
            lambda g, out, x, lo, hi: g * _inside(raw(x), lo, hi),
            doc="min(max(x, lo), hi);  d/dx = 1 where lo <= x <= hi, else 0",
            onnx=lambda node, x, lo, hi: node("Clip", x, node.constant(lo), node.constant(hi)))


def _inside(x, lo, hi):
    inside = True
    if lo is not None:
        inside = inside & (x >= lo)
    if hi is not None:
        inside = inside & (x <= hi)
    return inside


# ---------------------------------------------------------------- the max gate and selection
def _routed(g, wins, ties):
    # The max gate routes: the winner takes all of g, the loser exactly 0, a tie half each.
    return where(wins, g, where(ties, g * 0.5, 0.0))


maximum = Gate("maximum", np.maximum,
               lambda g, out, a, b: _routed(g, raw(a) > raw(b), raw(a) == raw(b)),
               lambda g, out, a, b: _routed(g, raw(b) > raw(a), raw(a) == raw(b)),
               doc="max(a, b) elementwise;  the larger input gets the gradient, the other 0 (ties: half each)",
               onnx=lambda node, a, b: node("Max", a, b))
minimum = Gate("minimum", np.minimum,
               lambda g, out, a, b: _routed(g, raw(a) < raw(b), raw(a) == raw(b)),
               lambda g, out, a, b: _routed(g, raw(b) < raw(a), raw(a) == raw(b)),
               doc="min(a, b) elementwise;  the smaller input gets the gradient, the other 0 (ties: half each)",
               onnx=lambda node, a, b: node("Min", a, b))
where = Gate("where", np.where,
             None,
             lambda g, out, cond, a, b: where(cond, g, 0.0),
             lambda g, out, cond, a, b: where(cond, 0.0, g),
             doc="a where cond else b;  d/da = cond, d/db = not cond (cond is a constant)",
             onnx=lambda node, cond, a, b: node("Where", node.constant(np.asarray(cond, bool)), a, b))


# ---------------------------------------------------------------- linear algebra
def _mT(x):
    """Swap the last two axes (the matrix transpose of a stack of matrices)."""
    if isinstance(x, np.ndarray):
        return np.swapaxes(x, -1, -2)                     # a view (the common, first-order case)
    n = np.ndim(x)
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _as_matrices(g, a, b):
    # matmul treats a 1-D a as a row (1, k) and a 1-D b as a column (k, 1);
    # do the same to g so that both local gradients are plain matrix products.
    shape = np.shape(g)
    if np.ndim(b) == 1:
        shape = shape + (1,)
    if np.ndim(a) == 1:
        shape = shape[:-1] + (1,) + shape[-1:]
    a2 = reshape(a, (1, -1)) if np.ndim(a) == 1 else a
    b2 = reshape(b, (-1, 1)) if np.ndim(b) == 1 else b
    return reshape(g, shape), a2, b2


def _matmul_grad_a(g, out, a, b):
    if np.ndim(a) > 1 and np.ndim(b) > 1:
        return g @ _mT(b)                                 # batch axes are summed by fit_gradient
    g2, _, b2 = _as_matrices(g, a, b)
    da = g2 @ _mT(b2)                                     # (..., m, k); batch axes summed by fit_gradient
    return reshape(da, np.shape(da)[:-2] + np.shape(da)[-1:]) if np.ndim(a) == 1 else da


def _matmul_grad_b(g, out, a, b):
    if np.ndim(a) > 1 and np.ndim(b) > 1:
        return _mT(a) @ g
    g2, a2, _ = _as_matrices(g, a, b)
    db = _mT(a2) @ g2                                     # (..., k, n)
    return reshape(db, np.shape(db)[:-1]) if np.ndim(b) == 1 else db


matmul = Gate("matmul", np.matmul, _matmul_grad_a, _matmul_grad_b,
              doc="a @ b (1-D, 2-D and batched, as numpy);  d/da = g @ bᵀ, d/db = aᵀ @ g",
              onnx=lambda node, a, b: node("MatMul", a, b))


# ---------------------------------------------------------------- reductions
def _kept_shape(shape, axis):
    """The shape of a reduction over `axis` with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(g, shape, axis, keepdims):
    """Spread the gradient of a reduction back over the axes it reduced."""
    if not keepdims:
        g = reshape(g, _kept_shape(shape, axis))
    return broadcast_to(g, shape)


def _extremum_grad(g, out, x, axis, keepdims):
    # The max gate over an axis routes g to the maximum; tied maxima share it equally.
    x = raw(x)
    hit = x == np.reshape(raw(out), _kept_shape(np.shape(x), axis))
    share = (hit / np.sum(hit, axis=axis, keepdims=True)).astype(np.result_type(x))
    return _expand(g, np.shape(x), axis, keepdims) * share


def _logsumexp(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)                    # rows of -inf stay -inf, not nan
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _reduce_onnx(node, op_type, x, axis, keepdims):
    return node(op_type, x, node.axes(axis, len(node.shape(x))), keepdims=int(keepdims))


reduce_sum = Gate("sum", lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
                  lambda g, out, x, axis, keepdims: _expand(g, np.shape(x), axis, keepdims),
                  doc="Σ x over axis;  d/dx = 1 everywhere",
                  onnx=lambda node, x, axis, keepdims: _reduce_onnx(node, "ReduceSum", x, axis, keepdims))
reduce_mean = Gate("mean", lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
                   lambda g, out, x, axis, keepdims:
                   _expand(g, np.shape(x), axis, keepdims) * (np.size(out) / np.size(x)),
                   doc="mean of x over axis;  d/dx = 1/n",
                   onnx=lambda node, x, axis, keepdims: _reduce_onnx(node, "ReduceMean", x, axis, keepdims))
reduce_max = Gate("max", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
                  _extremum_grad,
                  doc="max of x over axis;  d/dx = 1 at the maximum, 0 elsewhere (ties share)",
                  onnx=lambda node, x, axis, keepdims: _reduce_onnx(node, "ReduceMax", x, axis, keepdims))
reduce_min = Gate("min", lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
                  _extremum_grad,
                  doc="min of x over axis;  d/dx = 1 at the minimum, 0 elsewhere (ties share)",
                  onnx=lambda node, x, axis, keepdims: _reduce_onnx(node, "ReduceMin", x, axis, keepdims))
logsumexp = Gate("logsumexp", _logsumexp,
                 lambda g, out, x, axis, keepdims:
                 _expand(g, np.shape(x), axis, keepdims) * exp(x - _expand(out, np.shape(x), axis, keepdims)),
                 doc="log Σ e^x over axis, stable for any x;  d/dx = softmax(x)",
                 onnx=lambda node, x, axis, keepdims: _reduce_onnx(node, "ReduceLogSumExp", x, axis, keepdims))


# ---------------------------------------------------------------- shape and indexing
def _sum_to(x, shape):
    """Sum x down to shape, undoing numpy broadcasting."""
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum shape {x.shape} down to shape {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and x.shape[lead + i] != 1)
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return x.reshape(shape)


def _inverse_axes(axes, ndim):
    return None if axes is None else tuple(np.argsort([a % ndim for a in axes]))


def _selects_once(index):
    """True when no element can be selected twice: ints, slices, None, ..., boolean masks."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               or (isinstance(p, np.ndarray) and p.dtype == bool) for p in parts)


def _scatter(src, index, shape):
    out = np.zeros(shape, dtype=np.result_type(src))
    if _selects_once(index):
        out[index] = src
    else:
        np.add.at(out, index, src)                        # repeated integer indices add up
    return out


sum_to = Gate("sum_to", _sum_to,
              lambda g, out, x, shape: broadcast_to(g, np.shape(x)),
              doc="Sum x down to shape, undoing numpy broadcasting;  d/dx = 1 (broadcast back)")
broadcast_to = Gate("broadcast_to", np.broadcast_to,
                    lambda g, out, x, shape: sum_to(g, np.shape(x)),
                    doc="Broadcast x to shape (a read-only view);  d/dx = sum over the copies",
                    onnx=lambda node, x, shape: node("Expand", x, node.ints(shape)))
reshape = Gate("reshape", np.reshape,
               lambda g, out, x, shape: reshape(g, np.shape(x)),
               doc="x with a new shape, same elements;  d/dx = g reshaped back",
               onnx=lambda node, x, shape: node.reshape(x, shape))
transpose = Gate("transpose", np.transpose,
                 lambda g, out, x, axes: transpose(g, _inverse_axes(axes, np.ndim(x))),
                 doc="x with permuted axes (None: reversed);  d/dx = g with the inverse permutation",
                 onnx=lambda node, x, axes: node("Transpose", x, perm=axes))
getitem = Gate("getitem", operator.getitem,
               lambda g, out, x, index: scatter(g, index, np.shape(x)),
               doc="x[index], basic or integer-array indexing;  d/dx = g scattered back (repeats add up)",
               onnx=lambda node, x, index: node.getitem(x, index))
scatter = Gate("scatter", _scatter,
               lambda g, out, src, index, shape: getitem(g, index),
               doc="zeros(shape) with src added at index (repeats add up);  d/dsrc = g[index]")


# ---------------------------------------------------------------- joining (any number of inputs)
@functools.lru_cache(maxsize=None)
def _joining_gate(name, n):
    """concatenate/stack of n Values: one gate per arity, each input's gradient
    is its own slice of g."""
    def piece(i):
        def grad(g, out, *args):
            *xs, axis = args
            ax = axis % np.ndim(out)
            if name == "stack":
                return g[(slice(None),) * ax + (i,)]
            start = sum(np.shape(x)[ax] for x in xs[:i])
            return g[(slice(None),) * ax + (slice(start, start + np.shape(xs[i])[ax]),)]
        return grad
    join = np.stack if name == "stack" else np.concatenate
    return Gate(name, lambda *args: join(args[:-1], axis=args[-1]), *(piece(i) for i in range(n)),
                onnx=_stack_onnx if name == "stack" else lambda node, *args: node("Concat", *args[:-1], axis=args[-1]))


def _stack_onnx(node, *args):
    *xs, axis = args
    axis = axis % (len(node.shape(xs[0])) + 1)
    return node("Concat", *(node("Unsqueeze", x, node.ints([axis])) for x in xs), axis=axis)


def concatenate(values, axis=0):
    """Join Values (or arrays) along an existing axis;  each input's gradient is its slice of g."""
    values = list(values)
    return _joining_gate("concatenate", len(values))(*values, axis)


def stack(values, axis=0):
    """Join Values (or arrays) along a new axis;  each input's gradient is its slice of g."""
    values = list(values)
    return _joining_gate("stack", len(values))(*values, axis)


TABLE = {g.name: g for g in list(globals().values()) if isinstance(g, Gate)}
TABLE.update(concatenate=concatenate, stack=stack)
"""Every gate of the engine by name (concatenate/stack: their gate factories).
The test suite walks this table: a gate without a property test fails it."""
