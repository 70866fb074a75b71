"""Value: one node of the circuit, for a Python scalar or a numpy array.

A Value holds its forward `data`, its `grad` (filled in by backward), and, if a
gate produced it, that gate and the gate's inputs. Every operator below is one
line that hands the work to a gate of the gate table (`autograd/gates.py`),
where each forward computation sits beside its local gradient.
"""
import copy
import weakref

import numpy as np


class Value:
    """A scalar or array in a circuit, with its gradient.

    `Value(data, requires_grad=True, label=None)`: data is a Python number or a
    numpy array (float32/float64 kept, ints and bools become float64); an
    ndarray is used as is, not copied. Raw numbers and arrays mixed into an
    operation are constants.

    After `backward()`, `.grad` holds d(output)/d(this value): the shape of
    `data`, accumulating over backward calls until `zero_grad()`.
    """

    # Python's cycle collector visits every slot of every live node, again and
    # again while a graph is built: a scalar node keeps only what backward
    # needs. Rare fields live elsewhere: labels and scopes in side tables
    # (below the class), what a gate saved for backward on `SavedValue`.
    __slots__ = ("data", "grad",
                 "_gate",     # the gate that made it (None: a leaf)
                 "_a", "_b",  # its operands: see `node()`
                 "_depth",    # 1 + the deepest operand's depth; leaves 0, constants -1
                 "_g",        # the gradient backward is gathering (RELEASED once used)
                 "__weakref__")
    # numpy must hand `ndarray <op> Value` over to Value's reflected operators.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=True, label=None):
        _leaf(self, as_data(data), 0 if requires_grad else -1)
        if label is not None:
            _labels[self] = label

    # ------------------------------------------------------------ properties
    @property
    def shape(self):
        """Shape of data; () for a scalar."""
        return np.shape(self.data)

    @property
    def ndim(self):
        """Number of dimensions of data."""
        return np.ndim(self.data)

    @property
    def size(self):
        """Number of elements of data."""
        return np.size(self.data)

    @property
    def dtype(self):
        """numpy dtype of data (float64 for a Python float)."""
        return np.result_type(self.data)

    @property
    def is_leaf(self):
        """True for a Value no gate produced (an input or a parameter)."""
        return self._gate is None

    @property
    def op(self):
        """Name of the gate that produced this Value ('' for a leaf)."""
        return self._gate.name if self._gate is not None else ""

    @property
    def requires_grad(self):
        """True when backward computes a gradient for this Value: every gate
        output recorded in a graph, and leaves unless made constants."""
        return self._depth >= 0

    @requires_grad.setter
    def requires_grad(self, flag):
        if self._gate is not None:
            raise RuntimeError(f"requires_grad: only a leaf's flag can be changed; this Value is the "
                               f"output of a '{self._gate.name}' gate (use .detach() for a constant copy)")
        self._depth = 0 if flag else -1

    @property
    def _inputs(self):
        """The operands of the gate that made this Value, in order (() for a leaf)."""
        if self._gate is None:
            return ()
        if self._a is NO:
            return self._b
        if self._b is NO:
            return (self._a,)
        return (self._a, self._b)

    @property
    def label(self):
        """A name for drawings and reprs (None: none)."""
        return _labels.get(self)

    @label.setter
    def label(self, name):
        if name is None:
            _labels.pop(self, None)
        else:
            _labels[self] = name

    @property
    def scope(self):
        """The innermost `autograd.scope` the gate that made this Value ran in
        (None: none, or a leaf): how a drawing groups the gates of one layer."""
        return _scopes.get(self)

    @property
    def T(self):
        """Transpose (reversed axes)."""
        return gates.transpose(self, None)

    def item(self):
        """The single element as a Python float."""
        if np.size(self.data) != 1:
            raise ValueError(f"item(): only a single-element Value converts to a float, "
                             f"this one has shape {self.shape}")
        return float(np.asarray(self.data).reshape(()))

    def zero_grad(self, set_to_none=True):
        """Forget the accumulated gradient (None, or zeros with set_to_none=False)."""
        self.grad = None if set_to_none else (0.0 if isinstance(self.data, float) else np.zeros_like(self.data))

    def detach(self):
        """A constant Value sharing this data, cut off from the graph."""
        return Value(self.data, requires_grad=False, label=self.label)

    def __deepcopy__(self, memo):
        """`copy.deepcopy` of a leaf (a parameter, a model's state): a new leaf
        with copies of data and grad, the same type, requires_grad and label. A gate
        output refuses, as in PyTorch: its copy would be a second graph whose
        markers and gates are not the engine's."""
        if self._gate is not None:
            raise RuntimeError(f"deepcopy: only leaves (inputs, parameters) can be deep-copied; this "
                               f"Value is the output of a '{self._gate.name}' gate (deep-copy "
                               f"its .detach() for the data alone)")
        copied = _leaf(object.__new__(type(self)), copy.deepcopy(self.data, memo), self._depth)
        copied.grad = copy.deepcopy(self.grad, memo)
        copied.label = self.label
        return copied

    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Backpropagate from this Value through the graph that produced it.

        Seeds d(self)/d(self) = 1 for a single-element Value; any other shape
        needs `grad` (the gradient arriving from above, same shape). Every Value
        that backward reaches gets `.grad += d(self)/d(value)`: gradients add up
        at forks and across calls until zeroed.

        The graph's saved state is released afterwards: a second backward
        through it raises unless the first passed `retain_graph=True` (then
        calling backward twice gives exactly twice the gradient).
        `create_graph=True` builds the backward pass itself out of gates, so the
        resulting `.grad` Values can be differentiated again (implies
        retain_graph).
        """
        backprop.backward(self, grad, retain_graph, create_graph)

    # ------------------------------------------------------------ operators
    # `a + b`, `a - b`, `a * b`, `a / b`, `a ** b`, `a @ b`, `-a`, `abs(a)` and
    # the one-operand methods (relu, exp, ...) are the gates' own functions,
    # attached below the class (the gate table is built after Value):
    # `Value.__mul__ is gates.mul.operator`, so the hottest path of scalar
    # circuits runs the gate with no call in between.
    def __radd__(self, other): return gates.add.binary(other, self)
    def __rsub__(self, other): return gates.sub.binary(other, self)
    def __rmul__(self, other): return gates.mul.binary(other, self)
    def __rtruediv__(self, other): return gates.div.binary(other, self)
    def __rpow__(self, other): return gates.power.binary(other, self)
    def __rmatmul__(self, other): return gates.matmul.binary(other, self)
    def __getitem__(self, index): return gates.getitem(self, index_data(index))

    # ------------------------------------------------------------ methods
    def leaky_relu(self, negative_slope=0.01): return gates.leaky_relu(self, negative_slope)
    def elu(self, alpha=1.0): return gates.elu(self, alpha)
    def sum(self, axis=None, keepdims=False): return gates.reduce_sum(self, axes(axis), keepdims)
    def mean(self, axis=None, keepdims=False): return gates.reduce_mean(self, axes(axis), keepdims)
    def max(self, axis=None, keepdims=False): return gates.reduce_max(self, axes(axis), keepdims)
    def min(self, axis=None, keepdims=False): return gates.reduce_min(self, axes(axis), keepdims)
    def logsumexp(self, axis=None, keepdims=False): return gates.logsumexp(self, axes(axis), keepdims)
    def reshape(self, *shape): return gates.reshape(self, shape_arg(shape))
    def transpose(self, *axes_): return gates.transpose(self, shape_arg(axes_) if axes_ else None)
    def clip(self, lo=None, hi=None): return gates.clip(self, index_data(lo), index_data(hi))

    # ------------------------------------------------------------ python protocol
    def __len__(self):
        if np.ndim(self.data) == 0:
            raise TypeError("len() of a 0-d Value")
        return len(self.data)

    def __bool__(self):
        if np.size(self.data) != 1:
            raise ValueError(f"the truth value of a Value of shape {self.shape} is ambiguous; "
                             f"use .data.any() or .data.all()")
        return bool(self.item())

    def __float__(self):
        return self.item()

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.data, dtype=dtype)

    def __format__(self, spec):
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_short(self.data)}, grad={_short(self.grad)}{label})"


class SavedValue(Value):
    """The output of a gate that saves something for backward (`cached=True`):
    `_cache` holds it until backward has used it."""

    __slots__ = ("_cache",)


NO = object()           # an operand slot that is not used
RELEASED = object()     # `_g` of a gate output once backward has used its graph

# Rare fields, kept off the nodes (a slot would cost every node): a Value's
# label, and the scope of the gate that made it. Both die with the Value.
_labels = weakref.WeakKeyDictionary()
_scopes = weakref.WeakKeyDictionary()


def node(data, gate, operands, depth, scope, cache=None, _new=object.__new__):
    """The Value a gate makes from its operands (trusted data: the hot path).

    Three layouts, so that backward's common cases read plain slots: one
    Value operand in `_a` (`_b` is NO); two Value operands in `_a` and `_b`;
    anything else (parameters, plain-data constants of other gates, three or
    more operands, a gate that saved a cache) all operands as a tuple in `_b`,
    `_a` NO. Value's operators make the two-Value layout themselves (gate.py,
    `_two_operands`).
    """
    if gate.cached:
        v = _new(SavedValue)
        v._cache = cache
        v._a = NO
        v._b = operands
    else:
        v = _new(Value)
        if len(operands) == 1 and isinstance(operands[0], Value):
            v._a = operands[0]
            v._b = NO
        elif len(operands) == 2 and isinstance(operands[0], Value) and isinstance(operands[1], Value):
            v._a, v._b = operands
        else:
            v._a = NO
            v._b = operands
    v.data = data
    v.grad = None
    v._gate = gate
    v._g = None
    v._depth = depth
    if scope is not None:
        _scopes[v] = scope
    return v


def _leaf(v, data, depth):
    v.data = data
    v.grad = None
    v._gate = None              # a leaf: no gate made it
    v._a = v._b = NO
    v._g = None
    v._depth = depth
    return v


def constant(data, _new=object.__new__):
    """A Value that needs no gradient: a gate's output under no_grad (or of
    constants only), or a constant operand that a gate records."""
    return _leaf(_new(Value), as_data(data), -1)


def _short(x):
    if x is None or isinstance(x, (float, Value)):
        return repr(x)
    x = np.asarray(x)
    if x.size <= 6:
        return np.array2string(x, precision=4, separator=", ")
    return f"<{x.dtype} array {x.shape}>"


def as_data(data):
    """Validate and normalise what a Value may hold: Python numbers become
    floats; float32/float64 arrays stay as they are; integer and bool arrays
    become float64; float16 becomes float32. Anything else raises TypeError."""
    if type(data) is float:
        return data
    if isinstance(data, Value):
        return data.data
    if isinstance(data, (bool, int, float)) and not isinstance(data, np.generic):
        return float(data)
    if not isinstance(data, (np.ndarray, np.generic)):
        if not isinstance(data, (list, tuple)):
            raise TypeError(f"Value() takes a number or a numpy array, got {type(data).__name__}: {data!r:.60}")
        try:
            data = np.asarray(data)
        except ValueError as e:
            raise TypeError(f"Value() got a ragged nested sequence (its rows differ in length): {data!r:.60}") from e
    kind = data.dtype.kind
    if kind == "f":
        if data.dtype.itemsize < 4:
            return data.astype(np.float32)
        if data.dtype.itemsize > 8:
            return data.astype(np.float64)
        return data if isinstance(data, np.ndarray) else np.asarray(data)
    if kind in "biu":
        return data.astype(np.float64)
    raise TypeError(f"Value() takes numeric data, got an array of dtype {data.dtype} "
                    f"(shape {data.shape})")


def raw(x):
    """The data of a Value, or x itself: masks and indices are taken of raw data,
    which makes them constants of the circuit."""
    return x.data if isinstance(x, Value) else x


def index_data(index):
    """An index (or bound) may be written with Values; only their data is used."""
    if isinstance(index, tuple):
        return tuple(raw(i) for i in index)
    return raw(index)


def axes(axis):
    """sum/mean/max/min accept an int, a tuple or a list of axes, or None."""
    return tuple(axis) if isinstance(axis, list) else axis


def shape_arg(args):
    """reshape(2, 3) and reshape((2, 3)) mean the same, as in numpy."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


# The gate table and the backward pass are defined in terms of Value.
from . import backprop, gates  # noqa: E402

for _method, _gate in {
        "__add__": gates.add, "__sub__": gates.sub, "__mul__": gates.mul,
        "__truediv__": gates.div, "__pow__": gates.power, "__matmul__": gates.matmul}.items():
    setattr(Value, _method, _gate.operator)
for _method, _gate in {
        "__neg__": gates.neg, "__abs__": gates.absolute, "abs": gates.absolute, "relu": gates.relu,
        "sigmoid": gates.sigmoid, "tanh": gates.tanh, "exp": gates.exp, "log": gates.log,
        "sqrt": gates.sqrt}.items():
    setattr(Value, _method, _gate.unary)

# A one-line method's docstring is its gate's: the formula and its local gradient.
for _method, _gate in {
        "leaky_relu": gates.leaky_relu, "elu": gates.elu, "sum": gates.reduce_sum,
        "mean": gates.reduce_mean, "max": gates.reduce_max, "min": gates.reduce_min,
        "logsumexp": gates.logsumexp, "reshape": gates.reshape, "transpose": gates.transpose,
        "clip": gates.clip}.items():
    getattr(Value, _method).__doc__ = f"The {_gate.name} gate: {_gate.__doc__}"
del _method, _gate
