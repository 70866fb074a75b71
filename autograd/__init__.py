"""circuitgrad's autograd engine: a computation is a circuit of gates.

Every gate computes its output on the way forward and, on the way back,
multiplies the gradient arriving at its output by its local gradient; gradients
add up where wires fork (CS231n, "Backpropagation, Intuitions").

    >>> from autograd import Value
    >>> x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    >>> f = (x + y) * z
    >>> f.backward()
    >>> x.grad, y.grad, z.grad
    (-4.0, -4.0, 3.0)

The pieces: `Value` (value.py), the `Gate` protocol (gate.py), the gate table
with every derivative formula (gates.py), the backward pass (backprop.py),
grad mode and scopes (mode.py), drawings (draw.py), the library's random generator and
noise as constant Values (random.py: randn, rand),
`gradcheck` (gradcheck.py) and hypothesis helpers for testing gates (testing.py).
"""
from .value import Value  # first: the gate table and backward are built with Value
from . import gates
from .backprop import grad
from .draw import draw, draw_text
from .gate import Gate, raw
from .gates import concatenate, maximum, minimum, stack, where
from .gradcheck import gradcheck
from .mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope, set_grad_enabled
from .random import generator, manual_seed, rand, randn

__version__ = "0.1.0"

# nn, optim and the command line check this marker: another package named
# `autograd` (HIPS autograd installs as one) would be found instead of this one
# only in an environment that has both, and must fail loudly, not strangely.
__circuitgrad__ = __version__

__all__ = ["Value", "Gate", "gates", "grad", "gradcheck", "maximum", "minimum", "concatenate",
           "stack", "where", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "scope", "detect_anomaly", "raw", "manual_seed", "generator", "randn", "rand", "draw", "draw_text"]
