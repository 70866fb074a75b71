"""Gate: the one way to define an operation of the engine (and your own).

A gate is a forward computation and, for each of its inputs, the local gradient
that backward multiplies into the gradient arriving at the gate's output:

    mul = Gate("mul", lambda a, b: a * b,
               lambda g, out, a, b: g * b,      # d(out)/da = b: the mul gate swaps
               lambda g, out, a, b: g * a)      # d(out)/db = a

* `forward(*inputs)` receives plain data (Python floats and numpy arrays) and
  returns the output data. Inputs after the last local gradient are parameters
  (an axis, a shape, an index): passed along, never differentiated.
* Each local-gradient function receives `(g, out, *inputs)`: the gradient
  arriving at the output, the output, and the inputs, and returns the gradient
  for its own input, with the chain rule applied (g times the local gradient).
  `None` marks an input that has no gradient (a condition, a mask).
* Gradients come back to an input's shape in one place (`fit_gradient`): a
  local gradient may return the broadcast shape; it is summed back.
* A gate called on Values returns a Value and, when grad mode is on and an
  input requires grad, records itself in the graph. Called on plain data it
  simply computes. So local gradients written with operators and gates run on
  plain arrays in an ordinary backward and on Values under
  `backward(create_graph=True)`, where the backward pass becomes a graph that
  can be differentiated again. A mask taken of `raw(x)` is a constant.
* `cached=True`: forward returns `(out, cache)` and the local gradients receive
  the cache in place of `out`: for a fused gate that saves work for backward
  (an im2col matrix, the positions of maxima). Backward releases it.
* A gate is the only place that knows its formulas; `PASS` as a local gradient
  says "the gradient passes through unchanged" (local gradient 1), and
  `TIMES_A` / `TIMES_B` say "g times the first / second operand" (the mul
  gate's): the engine applies these without a call.
"""
import numpy as np

from .mode import OFF, recording
from .value import Value, constant, node

_new = object.__new__
# What new gates join: OFF under no_grad, else the current scope. Bound once:
# looking the method up on every gate would cost twice as much as the call.
_recording = recording.get

_WRAPPED = (IndexError, TypeError, ValueError, ArithmeticError)
PLAIN = -2      # the depth of a computation on plain data (no Value): it makes no node


class _Pass:
    """The local gradient 1: the gradient passes through unchanged."""

    def __repr__(self):
        return "PASS"

    def __call__(self, g, out, *inputs):
        return g


PASS = _Pass()


class _Times:
    """The local gradient "g times one of the operands" (the mul gate's: it swaps)."""

    def __init__(self, name, index):
        self.name = name
        self.index = index

    def __repr__(self):
        return self.name

    def __call__(self, g, out, *inputs):
        return g * inputs[self.index]


# mul's local gradients, which the engine applies without a call: half the gates
# of a scalar circuit are muls, and a call per operand is ~6% of their backward.
TIMES_A = _Times("TIMES_A", 0)      # g * a
TIMES_B = _Times("TIMES_B", 1)      # g * b


class Gate:
    """A differentiable operation: `Gate(name, forward, *local_gradients, cached=False)`.

    See the module docstring for the protocol; `autograd/gates.py` is the table
    of the engine's own gates.
    """

    def __init__(self, name, forward, *local_gradients, cached=False, doc=None):
        self.name = name
        self.forward = forward
        self.vjps = local_gradients
        self.cached = cached
        self.__doc__ = doc or forward.__doc__ or f"The {name} gate."
        # Operands at positions without a local gradient are constants even when
        # given as Values; -1 when some position inside the arity has none.
        self._arity = -1 if None in local_gradients else len(local_gradients)
        if self._arity == 1 and not cached:
            self.unary = _one_operand(self)
        if self._arity == 2 and not cached:
            self.binary, self.operator = _two_operands(self)

    # `unary(x)`, `binary(a, b)` and `operator(value, b)`: apply() for a gate of
    # one or two operands and no parameters, lean enough to be Value's
    # one-operand methods and operators themselves (see _two_operands); None
    # for other gates.
    unary = binary = operator = None

    def __repr__(self):
        return f"<gate {self.name}>"

    def apply(self, *args):
        """Run the gate: `gate.apply(*args)`, or simply `gate(*args)`."""
        if len(args) == 2 and self.binary is not None:
            return self.binary(args[0], args[1])
        if len(args) == 1 and self.unary is not None:
            return self.unary(args[0])
        return self._apply(args)

    def _apply(self, args):
        """apply() for any operands: Values, constants and parameters."""
        data = []
        depth = PLAIN
        for a in args:
            if isinstance(a, Value):
                if a._depth > depth:
                    depth = a._depth
                a = a.data
            data.append(a)
        try:
            out = self.forward(*data)
        except _WRAPPED as e:
            raise gate_error(e, self.name, args) from None
        cache = None
        if self.cached:
            out, cache = out
        if depth == PLAIN:
            return out
        return self._output(out, args, depth, cache)

    __call__ = apply

    def _output(self, out, args, depth, cache=None):
        """What a run of this gate on Values returns: a node of the graph, or a
        constant when no operand needs a gradient or under no_grad. `depth` is
        the deepest operand's."""
        if type(out) is not float:
            out = self._checked(out, args)
        scope = _recording()
        if depth < 0 or scope is OFF:
            return constant(out)
        if len(args) > self._arity:
            args = self._constants_as_data(args)
        return node(out, self, args, depth + 1, scope, cache)

    def _checked(self, out, args):
        if type(out) is np.ndarray and out.dtype.kind == "f" and out.ndim:
            return out
        dtype = getattr(out, "dtype", None)
        if dtype is None or dtype.kind != "f":
            raise TypeError(f"{self.name}: the result is {describe(out)}, not real floats "
                            f"(inputs: {', '.join(describe(a) for a in args)})")
        if out.ndim == 0 and all(type(a.data) is float for a in args if isinstance(a, Value)):
            return float(out)           # scalar circuits stay in Python floats
        return out

    def _constants_as_data(self, args):
        vjps = self.vjps
        return tuple(a.data if isinstance(a, Value) and (i >= len(vjps) or vjps[i] is None) else a
                     for i, a in enumerate(args))


def _one_operand(gate):
    """`gate.apply` for one operand, as a plain function `unary(x)`: Value's
    one-operand methods are these functions (`Value.relu is gates.relu.unary`)."""
    forward = gate.forward

    def unary(x):
        if not isinstance(x, Value):
            return gate._apply((x,))
        try:
            out = forward(x.data)
        except _WRAPPED as e:
            raise gate_error(e, gate.name, (x,)) from None
        return gate._output(out, (x,), x._depth)

    unary.__name__ = unary.__qualname__ = gate.name
    unary.__doc__ = f"The {gate.name} gate: {gate.__doc__}"
    return unary


def _two_operands(gate):
    """`gate.apply` for two operands, as plain functions: `binary(a, b)` for
    any operands, and `operator(a, b)` for a Value `a`.

    Value's arithmetic operators are the `operator` functions themselves
    (`Value.__mul__ is gates.mul.operator`): they are most of any scalar
    circuit, so they take no detour through __call__ and *args, and for two
    Values (the hottest case) make the node in place."""
    forward = gate.forward

    def binary(a, b):
        if isinstance(a, Value):
            return operator(a, b)
        return with_constant(a, b)

    def operator(a, b):
        if not isinstance(b, Value):
            return with_constant(a, b)
        depth = a._depth
        if b._depth > depth:
            depth = b._depth
        try:
            out = forward(a.data, b.data)
        except _WRAPPED as e:
            raise gate_error(e, gate.name, (a, b)) from None
        if type(out) is not float:
            out = gate._checked(out, (a, b))
        scope = _recording()
        if scope is not None:                       # under no_grad, or inside a scope
            if scope is OFF or depth < 0:
                return constant(out)
            return node(out, gate, (a, b), depth + 1, scope)
        if depth < 0:
            return constant(out)
        v = _new(Value)                             # node(), written out
        v.data = out
        v.grad = None
        v._gate = gate
        v._a = a
        v._b = b
        v._g = None
        v._depth = depth + 1
        return v

    def with_constant(a, b):
        # An operand that is not a Value is a constant (or both are plain data).
        if isinstance(a, Value):
            x = a.data
            depth = a._depth
        else:
            x = a
            depth = PLAIN
        if isinstance(b, Value):
            y = b.data
            if b._depth > depth:
                depth = b._depth
        else:
            y = b
        try:
            out = forward(x, y)
        except _WRAPPED as e:
            raise gate_error(e, gate.name, (a, b)) from None
        if depth == PLAIN:
            return out
        if type(out) is not float:
            out = gate._checked(out, (a, b))       # errors name the constant as it was given
        scope = _recording()
        if depth < 0 or scope is OFF:
            return constant(out)
        # Recorded as a constant Value, the constant lets backward take its
        # fast two-Value path for this node too.
        if x is a:
            a = constant_operand(a)
        else:
            b = constant_operand(b)
        return node(out, gate, (a, b), depth + 1, scope)

    # The Python number this gate last recorded as a constant operand, and its
    # constant Value: a number used again (a literal in a loop, `h = h + 1.0`)
    # is recorded as the same Value, not as one more object per gate. Holding
    # the number keeps `is` honest: its id cannot be reused while it is held.
    last_constant = (None, None)

    def constant_operand(x):
        nonlocal last_constant
        number, value = last_constant
        if x is number:
            return value
        value = constant(x)
        if type(x) is float or type(x) is int:
            last_constant = (x, value)
        return value

    for f in binary, operator:
        f.__name__ = f.__qualname__ = gate.name
        f.__doc__ = f"The {gate.name} gate: {gate.__doc__}"
    return binary, operator


def describe(x):
    """A short description of an operand for error messages: type, dtype, shape."""
    if isinstance(x, Value):
        return f"Value {x.dtype} {x.shape}" if x.ndim else f"Value {x.data!r}"
    shape = getattr(x, "shape", None)
    if shape is not None and shape != ():
        return f"{type(x).__name__} {x.dtype} {shape}"
    if isinstance(x, (int, float, complex)):
        return f"{type(x).__name__} {x!r}"
    return type(x).__name__


def gate_error(e, name, args, stage=""):
    """Re-raise an error from inside a gate, naming the gate and its operands."""
    message = f"{name}{stage}: {e} (inputs: {', '.join(describe(a) for a in args)})"
    try:
        return type(e)(message)          # the same kind of error, with the gate's name
    except Exception:                    # a type that needs other arguments
        return next(base(message) for base in _WRAPPED if isinstance(e, base))
