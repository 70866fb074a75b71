"""Gate: the one way to define an operation of the engine (and your own).

A gate is a forward computation and, for each of its inputs, the local gradient
that backward multiplies into the gradient arriving at the gate's output:

    mul = Gate("mul", lambda a, b: a * b,
               lambda g, out, a, b: g * b,      # d(out)/da = b: the mul gate swaps
               lambda g, out, a, b: g * a)      # d(out)/db = a

* `forward(*inputs)` receives plain data (Python floats and numpy arrays) and
  returns the output's data. Inputs after the last local gradient are
  parameters (an axis, a shape, an index): passed along, never differentiated.
* Each local gradient receives `(g, out, *inputs)`: the gradient arriving at the
  output, the output and the inputs, and returns the gradient for its own
  input, the chain rule applied (g times the local derivative). `None` in place
  of a local gradient marks an input that gets none (a condition, a mask).
* A local gradient may return the broadcast shape: backward sums it back to
  the input's shape, in one place (`fit_gradient` in backprop.py).
* Called on Values, a gate returns a Value and records itself in the graph
  (when grad mode is on and some input needs a gradient). Called on plain data
  it only computes. So local gradients written with operators and gates run on
  arrays in an ordinary backward and on Values under
  `backward(create_graph=True)`, where the backward pass becomes a graph that
  can be differentiated again. A mask taken of `raw(x)` is a constant.
* `cached=True`: forward returns `(out, cache)`, and the local gradients
  receive the cache in place of `out`: a fused gate can save work for its
  backward (an im2col matrix, the positions of maxima). Backward releases it.
* `onnx=`: the gate's form in ONNX, the format other runtimes read (nn.onnx
  exports a traced circuit with it). A function `(node, *inputs)` of a node
  builder and the gate's inputs as the exporter sees them: the name of the
  tensor for each input with a local gradient, plain data for the parameters.
  It calls `node(op_type, *input_names, **attributes)` for each ONNX node it
  needs and returns the output's name: `onnx=lambda node, a, b: node("Mul", a, b)`.
"""
import math

import numpy as np

# value.py imports this module before it defines Value (so that the class can
# say `__mul__ = gates.mul.operate`): the gates below read `values.Value` when
# they run, not when this module is imported.
from . import value as values
from .arraylike import writes
from .mode import CHECKED, OFF, anomaly_detection, current_recording

PLAIN = -2    # the depth of plain data (numbers, arrays): a gate given no Value makes no node
_ERRORS = (IndexError, TypeError, ValueError, ArithmeticError)   # reported naming the gate


class Gate:
    """A differentiable operation: `Gate(name, forward, *local_grads, cached=False, doc=None, onnx=None)`.

    See the module docstring for the protocol, and `autograd/gates.py` for the
    engine's own gates. `doc` gives the formula and the local gradients, e.g.
    "a / b;  d/da = 1/b, d/db = -a/b²"; `onnx` its ONNX form (None: it has none)."""

    def __init__(self, name, forward, *local_grads, cached=False, doc=None, onnx=None):
        self.name = name
        self.forward = forward
        self.local_grads = local_grads
        self.cached = cached
        self.onnx = onnx
        self.__doc__ = doc or forward.__doc__ or f"The {name} gate."
        if len(local_grads) == 2 and None not in local_grads and not cached:
            self.operate = two_values(self)           # the fast path: Value's operator (below)
        self._last_constant = (None, None)             # see constant_operand

    def __repr__(self):
        return f"<gate {self.name}>"

    def __call__(self, *inputs):
        """Run the gate on Values, numbers and arrays: forward on their data and,
        given Values, the output as a Value: a node of the graph, or a constant
        when no input needs a gradient or grad mode is off (no_grad)."""
        depth = PLAIN                                 # the deepest input's depth
        data = []
        for x in inputs:
            if isinstance(x, values.Value):
                if x._depth > depth:
                    depth = x._depth
                x = x._data
            data.append(x)
        try:
            out = self.forward(*data)
        except _ERRORS as e:
            raise gate_error(e, self.name, inputs) from None
        cache = None
        if self.cached:
            out, cache = out
        if depth == PLAIN:                            # plain data in, plain data out
            return out
        if type(out) is not float:
            out = self.checked(out, inputs)
        return self.record(out, inputs, depth, current_recording(), cache)

    def record(self, out, inputs, depth, scope, cache=None):
        """The Value the gate returns for its output data: a constant under
        no_grad (scope OFF) or when no input needs a gradient, else a new node
        of the graph, one deeper than its deepest input, in `scope`. Under
        detect_anomaly (scope CHECKED, or any scope) the output is checked first."""
        if scope is OFF:
            return values.constant(out)
        if scope is CHECKED or (scope is not None and anomaly_detection()):
            if not _all_finite(out):
                raise anomaly(self, "its output", "forward", inputs, None if scope is CHECKED else scope)
            scope = None if scope is CHECKED else scope
        if depth == values.CONSTANT:
            return values.constant(out)
        return values.node(self, out, self.recorded(inputs), depth + 1, scope, cache)

    def checked(self, out, inputs):
        """Output data as a Value holds it; a result that is not real floats
        (complex, an object array) is an error naming the gate."""
        if type(out) is np.ndarray and out.dtype.kind == "f" and out.ndim:
            return out                                # the common case of array circuits
        dtype = getattr(out, "dtype", None)
        if dtype is None or dtype.kind != "f":
            raise TypeError(f"{self.name}: the result is {describe(out)}, not real floats "
                            f"(inputs: {', '.join(describe(x) for x in inputs)})")
        if np.ndim(out) == 0 and all(type(raw(x)) is float for x in inputs if isinstance(x, values.Value)):
            return float(out)                         # scalar circuits stay in Python floats
        return np.asarray(out)

    def recorded(self, inputs):
        """The inputs as the node keeps them: a Value where the gate has no
        local gradient (a condition, a parameter) is kept as its data, so
        backward never asks for its gradient."""
        grads = self.local_grads
        if len(inputs) <= len(grads) and None not in grads:
            return inputs                             # every input has a local gradient
        return tuple(raw(x) if i >= len(grads) or grads[i] is None else x for i, x in enumerate(inputs))

    def constant_operand(self, x):
        """x as a constant Value. The number this gate used last is recorded as
        the same Value again: a literal in a loop (`h = h + 1.0`, a million
        times) costs no object per gate. Holding the number keeps `is` honest:
        its id cannot be reused while it is held."""
        number, value = self._last_constant
        if value is not None and x is number:
            return value
        value = values.constant(x)
        if type(x) is float or type(x) is int:
            self._last_constant = (x, value)
        return value


def raw(x):
    """The data of a Value, or x itself: a mask or an index taken of raw data
    is a constant of the circuit."""
    return x._data if isinstance(x, values.Value) else x


# ---------------------------------------------------------------- the fast path
# Nearly every gate of a scalar circuit is `a + b` or `a * b` of two Values
# (micrograd's demo makes 65,000 of them a step). Value's operators are the
# gates' `operate` functions (`Value.__mul__ is gates.mul.operate`): __call__'s
# steps for two operands, with no loop over inputs, no Python call between the
# operator and the gate, and the node made in place. A constant operand (a
# number, an array) becomes a constant Value, so backward's fast path takes the
# node too. Without it micrograd's demo takes 1.6x as long (benchmarks/engine.py).
def two_values(gate):
    """The function `operate(a, b)` that runs `gate` on a Value `a` and anything `b`."""
    forward = gate.forward

    def operate(a, b):
        try:
            if not isinstance(b, values.Value):
                b = gate.constant_operand(b)
            out = forward(a._data, b._data)
        except _ERRORS as e:
            raise gate_error(e, gate.name, (a, b)) from None
        if type(out) is not float:
            out = gate.checked(out, (a, b))
        depth = a._depth if a._depth > b._depth else b._depth
        scope = current_recording()                   # None: grad mode on, outside any scope
        if scope is not None:
            return gate.record(out, (a, b), depth, scope)
        if depth == values.CONSTANT:
            return values.constant(out)
        v = new_object(values.Value)                   # values.node(), written out
        v._data = out
        v.grad = None
        v._gate = gate
        v._left = a
        v._right = b
        v._depth = depth + 1
        v._grad_so_far = None
        v._born = writes[0]
        return v

    operate.__name__ = operate.__qualname__ = gate.name
    operate.__doc__ = f"The {gate.name} gate: {gate.__doc__}"
    return operate


new_object = object.__new__   # looked up once: finding an attribute of a type is slow


def _all_finite(data):
    return math.isfinite(data) if type(data) is float else bool(np.isfinite(data).all())


def anomaly(gate, what, stage, inputs, scope):
    """The error detect_anomaly raises: a NaN or an inf where `gate` made `what`."""
    where = f" in {'/'.join(scope.path())}" if scope is not None else ""
    return RuntimeError(f"detect_anomaly: the '{gate.name}' gate{where} made NaN or inf in {what} on the "
                        f"{stage} pass (inputs: {', '.join(describe(x) for x in inputs)})")


def describe(x):
    """A short description of an input for error messages: type, dtype, shape."""
    if isinstance(x, values.Value):
        return f"Value {x.dtype} {x.shape}" if x.ndim else f"Value {x.data!r}"
    shape = getattr(x, "shape", None)
    if shape is not None and shape != ():
        return f"{type(x).__name__} {x.dtype} {shape}"
    if isinstance(x, (int, float, complex)):
        return f"{type(x).__name__} {x!r}"
    return type(x).__name__


def gate_error(e, name, inputs, stage=""):
    """The error raised inside a gate, re-raised naming the gate and its inputs."""
    message = f"{name}{stage}: {e} (inputs: {', '.join(describe(x) for x in inputs)})"
    try:
        return type(e)(message)          # the same kind of error, with the gate's name
    except Exception:                    # a type that needs other arguments
        return next(base(message) for base in _ERRORS if isinstance(e, base))
