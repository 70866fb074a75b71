"""`circuitgrad demo`: the circuits of the CS231n backprop notes, forward and backward, as text."""
import sys

import numpy as np

from autograd import Value, maximum

HELP = "forward and backward through the notes' circuits"


def add_arguments(parser):
    """The demo takes no options."""


def run(args, out=sys.stdout):
    """Print each example's forward values and the gradients backward finds."""
    show(out)


def _report(out, title, inputs):
    out.write(f"\n{title}\n")
    for name, v in inputs.items():
        out.write(f"  {name:>4} = {np.round(v.data, 4)!s:>22}   d/d{name} = {np.round(v.grad, 4)!s}\n")


def show(out):
    """The notes' circuits, written to `out`."""
    out.write("circuitgrad: every gate multiplies the gradient arriving at its output by its\n"
              "local gradient; gradients add up where wires fork.\n")

    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.backward()
    _report(out, f"f = (x + y) * z = {f.data}", {"x": x, "y": y, "z": z})

    x, y, z, w = Value(3.0), Value(-4.0), Value(2.0), Value(-1.0)
    f = 2 * (x * y + maximum(z, w))
    f.backward()
    _report(out, f"f = 2 * (x*y + max(z, w)) = {f.data}   (add distributes, max routes, mul swaps)",
            {"x": x, "y": y, "z": z, "w": w})

    w = Value(np.array([2.0, -3.0, -3.0]))
    x = Value(np.array([-1.0, -2.0]))
    f = (w[:2] @ x + w[2]).sigmoid()
    f.backward()
    _report(out, f"a 2-D neuron: f = sigmoid(w0*x0 + w1*x1 + w2) = {f.data:.4f}", {"w": w, "x": x})
