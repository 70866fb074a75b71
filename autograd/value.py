"""Value: one node of the circuit, for a Python scalar or a numpy array.

A Value holds the number (or array) that flows forward, `data`, and, once
backward has reached it, `grad`: d(output)/d(this Value). A Value that a gate
made also remembers that gate and the gate's inputs: that is the whole graph.
Every operator and method of the class is one line that hands the work to a
gate of the gate table (gates.py), where each forward computation sits beside
its local gradients. The backward pass is in backprop.py; what makes a Value
behave as a number and an array in Python (shape, len, float, printing,
copying, its label) is in arraylike.py. Below the class: how the engine makes nodes and checks data.
"""
import numpy as np

from . import gates                 # the gate table: every operation of a Value is one of its gates
from .arraylike import ArrayLike, _scopes, writes, wrote
from .gate import raw

# A Value's depth orders the backward pass (backprop.py): a gate's output is one
# deeper than its deepest input. Two depths mean more than that:
LEAF = 0          # an input or a parameter: backward gives it a gradient and goes no further
CONSTANT = -1     # needs no gradient (requires_grad=False): backward never goes there


class Value(ArrayLike):
    """A scalar or array in a circuit, with its gradient.

    `Value(data, requires_grad=True, label=None)`: data is a Python number or a
    numpy array (float32/float64 kept, ints and bools become float64); an array
    is used as is, not copied. Raw numbers and arrays mixed into an operation
    are constants: `2 * x`, `x + np.ones(3)`.

    After `backward()`, `.grad` holds d(output)/d(this Value), the shape of
    `data`; it accumulates over backward calls until `zero_grad()`.
    """

    __slots__ = ("_data", "grad",
                 "_gate",             # the gate that made this Value; None for a leaf
                 "_left", "_right",   # its inputs, a and b of a * b (see node() and `inputs`)
                 "_depth",            # LEAF, CONSTANT, or one more than the deepest input's
                 "_grad_so_far",      # during backward: the gradient gathered from the wires so far
                 "_born",             # a gate's output: the count of writes into data when it was made
                 "__weakref__")
    __array_ufunc__ = None            # `ndarray * Value` comes to Value.__rmul__, not into numpy

    def __init__(self, data, requires_grad=True, label=None):
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Value(): requires_grad must be True or False, got {requires_grad!r}")
        become_leaf(self, as_data(data), LEAF if requires_grad else CONSTANT)
        if label is not None:
            self.label = label

    @property
    def data(self):
        """The number or array this Value holds. Assigning checks and converts
        as the constructor does (`p.data = p.data - lr * p.grad` is an update),
        and is a write: a backward through a gate that used this Value before it
        raises (its gradient would be computed at the new numbers)."""
        return self._data

    @data.setter
    def data(self, data):
        self._data = as_data(data)
        wrote(self)                                   # backward through an earlier use would be wrong

    # ---------------------------------------------------------- operators: each one gate
    __add__ = gates.add.operate          # a + b
    __sub__ = gates.sub.operate          # a - b
    __mul__ = gates.mul.operate          # a * b
    __truediv__ = gates.div.operate      # a / b
    __pow__ = gates.power.operate        # a ** b
    __matmul__ = gates.matmul.operate    # a @ b
    def __radd__(self, other): return gates.add(other, self)
    def __rsub__(self, other): return gates.sub(other, self)
    def __rmul__(self, other): return gates.mul(other, self)
    def __rtruediv__(self, other): return gates.div(other, self)
    def __rpow__(self, other): return gates.power(other, self)
    def __rmatmul__(self, other): return gates.matmul(other, self)
    def __neg__(self): return gates.neg(self)
    def __abs__(self): return gates.absolute(self)
    def __getitem__(self, index): return gates.getitem(self, index_data(index))

    # ---------------------------------------------------------- methods: each one gate
    def relu(self): return gates.relu(self)
    def leaky_relu(self, negative_slope=0.01): return gates.leaky_relu(self, negative_slope)
    def elu(self, alpha=1.0): return gates.elu(self, alpha)
    def sigmoid(self): return gates.sigmoid(self)
    def tanh(self): return gates.tanh(self)
    def exp(self): return gates.exp(self)
    def log(self): return gates.log(self)
    def sqrt(self): return gates.sqrt(self)
    def abs(self): return gates.absolute(self)
    def clip(self, lo=None, hi=None): return gates.clip(self, raw(lo), raw(hi))
    def sum(self, axis=None, keepdims=False): return gates.reduce_sum(self, axes(axis), keepdims)
    def mean(self, axis=None, keepdims=False): return gates.reduce_mean(self, axes(axis), keepdims)
    def max(self, axis=None, keepdims=False): return gates.reduce_max(self, axes(axis), keepdims)
    def min(self, axis=None, keepdims=False): return gates.reduce_min(self, axes(axis), keepdims)
    def logsumexp(self, axis=None, keepdims=False): return gates.logsumexp(self, axes(axis), keepdims)
    def reshape(self, *shape): return gates.reshape(self, shape_arg(shape))
    def transpose(self, *order): return gates.transpose(self, shape_arg(order) if order else None)
    T = property(lambda self: gates.transpose(self, None), doc="The transpose (axes reversed).")

    # ---------------------------------------------------------- the way back
    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Backpropagate from this Value: every Value that backward reaches gets
        `.grad += d(self)/d(value)` (gradients add up at forks and across calls).

        A single-element Value is seeded with d(self)/d(self) = 1; any other needs
        `grad`, the gradient arriving from above (an array of its shape). The
        graph is released afterwards: a second backward through it raises,
        unless the first passed `retain_graph=True`. `create_graph=True` builds
        the backward pass out of gates, so `.grad` can be differentiated again."""
        backprop.backward(self, grad, retain_graph, create_graph)

    def zero_grad(self, set_to_none=True):
        """Forget the accumulated gradient: None (or zeros with set_to_none=False)."""
        self.grad = None if set_to_none else np.zeros_like(self._data) if self.ndim else 0.0

    def detach(self):
        """A constant Value with the same data, cut off from the graph."""
        return Value(self._data, requires_grad=False, label=self.label)

    # ---------------------------------------------------------- its place in the graph
    @property
    def requires_grad(self):
        """True when backward computes a gradient for this Value: leaves unless
        made constants, and every gate output recorded in a graph."""
        return self._depth != CONSTANT

    @requires_grad.setter
    def requires_grad(self, flag):
        if self._gate is not None:
            raise RuntimeError(f"requires_grad: only a leaf's flag can be changed; this Value is the "
                               f"output of a '{self._gate.name}' gate (use .detach() for a constant copy)")
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"requires_grad must be True or False, got {flag!r}")
        self._depth = LEAF if flag else CONSTANT

    is_leaf = property(lambda self: self._gate is None, doc="True for a Value no gate made.")
    op = property(lambda self: "" if self._gate is None else self._gate.name,
                  doc="The name of the gate that made this Value ('' for a leaf).")

    @property
    def inputs(self):
        """The inputs of the gate that made this Value, in order (() for a leaf)."""
        return self._left if self._right is None else (self._left, self._right)


class SavedValue(Value):
    """The output of a gate that saves something for backward (`cached=True`):
    `_saved` holds it until backward has used it."""

    __slots__ = ("_saved",)


RELEASED = object()   # `_grad_so_far` of a node whose graph backward has released


# ---------------------------------------------------------------- making Values
def become_leaf(v, data, depth):
    """Fill in a Value no gate made: an input (depth LEAF) or a constant (CONSTANT)."""
    v._data = data
    v.grad = None
    v._gate = None
    v._left = ()
    v._right = None
    v._depth = depth
    v._grad_so_far = None
    return v


def constant(data):
    """A Value that needs no gradient: a gate's output under no_grad (or made
    of constants only), or a constant operand that a gate records."""
    return become_leaf(object.__new__(Value), as_data(data), CONSTANT)


def node(gate, data, inputs, depth, scope, cache=None):
    """The Value a gate makes from its inputs: a node of the graph, `depth` deep.

    A gate of two Values and no parameters (a + b, a * b: most gates of any
    circuit) keeps them in the slots `_left` and `_right`; any other gate keeps
    the tuple of its inputs in `_left`, and `_right` is None. Why not always a
    tuple: that is one more object per node for Python's cycle collector to
    visit again and again while the graph grows (building micrograd's demo
    graph takes 1.7x as long), and every slot makes every node bigger."""
    v = object.__new__(SavedValue if gate.cached else Value)
    v._data = data
    v.grad = None
    v._gate = gate
    if len(inputs) == 2 and isinstance(inputs[0], Value) and isinstance(inputs[1], Value):
        v._left, v._right = inputs
    else:
        v._left = inputs
        v._right = None
    v._depth = depth
    v._grad_so_far = None
    v._born = writes[0]
    if cache is not None:
        v._saved = cache
    if scope is not None:
        _scopes[v] = scope
    return v


# ---------------------------------------------------------------- checking data
def as_data(data):
    """What a Value may hold: Python numbers become floats; float32/float64
    arrays stay as they are; integer and bool arrays become float64; float16
    becomes float32. Anything else raises TypeError."""
    if type(data) is float:
        return data
    if isinstance(data, Value):
        return data._data
    if isinstance(data, (bool, int, float)):
        return float(data)
    if isinstance(data, (list, tuple)):
        if any(isinstance(x, Value) for x in _flattened(data)):
            raise TypeError("Value() of a list holding Values would cut the graph (only their data "
                            "would be kept): use autograd.stack(values) to join Values into one")
        try:
            data = np.asarray(data)
        except ValueError as e:
            raise TypeError(f"Value() got a ragged nested sequence (its rows differ in length): "
                            f"{data!r:.60}") from e
    if not isinstance(data, (np.ndarray, np.generic)):
        raise TypeError(f"Value() takes a number or a numpy array, got {type(data).__name__}: {data!r:.60}")
    kind = data.dtype.kind
    if kind == "f":
        if data.dtype.itemsize < 4:
            return data.astype(np.float32)
        if data.dtype.itemsize > 8:
            return data.astype(np.float64)
        return data if isinstance(data, np.ndarray) else np.asarray(data)
    if kind in "biu":
        return data.astype(np.float64)
    raise TypeError(f"Value() takes numeric data, got an array of dtype {data.dtype} (shape {data.shape})")


def _flattened(items):
    """The elements of a nested list or tuple, without recursion."""
    stack = [items]
    while stack:
        for x in stack.pop():
            if isinstance(x, (list, tuple)):
                stack.append(x)
            else:
                yield x


def index_data(index):
    """An index (or a tuple of them) may be written with Values; only their data is used."""
    return tuple(raw(i) for i in index) if isinstance(index, tuple) else raw(index)


def axes(axis):
    """sum/mean/max/min accept an int, a tuple or a list of axes, or None."""
    return tuple(axis) if isinstance(axis, list) else axis


def shape_arg(args):
    """reshape(2, 3) and reshape((2, 3)) mean the same, as in numpy."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


# The backward pass is written in terms of Value (and Value.backward calls it).
from . import backprop  # noqa: E402

# Each one-line operator and method above is documented by its gate's formula.
for _name, _gate in {
        "__radd__": gates.add, "__rsub__": gates.sub, "__rmul__": gates.mul,
        "__rtruediv__": gates.div, "__rpow__": gates.power, "__rmatmul__": gates.matmul, "__neg__": gates.neg,
        "__abs__": gates.absolute, "__getitem__": gates.getitem, "relu": gates.relu,
        "leaky_relu": gates.leaky_relu, "elu": gates.elu, "sigmoid": gates.sigmoid, "tanh": gates.tanh,
        "exp": gates.exp, "log": gates.log, "sqrt": gates.sqrt, "abs": gates.absolute,
        "clip": gates.clip, "sum": gates.reduce_sum, "mean": gates.reduce_mean, "max": gates.reduce_max,
        "min": gates.reduce_min, "logsumexp": gates.logsumexp, "reshape": gates.reshape,
        "transpose": gates.transpose}.items():
    getattr(Value, _name).__doc__ = f"The {_gate.name} gate: {_gate.__doc__}"
del _name, _gate
