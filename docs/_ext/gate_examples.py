"""One worked example per gate, for the drawings of the gate table (gate_table.py).

The gate table itself comes from `autograd.gates.TABLE` and `nn.gates.TABLE`:
a gate added there shows up on the page without an entry here. An entry only
chooses the inputs of its drawing: small numbers, named as the gate's doc names
them, with parameters (axis, shape, stride...) as the gate takes them (already
validated: tuples for strides and paddings, as nn.functional passes them).
A gate without an entry is tried on small arrays named after its doc's
"d/dx" terms; when that call fails, the page says there is no example yet.

Each entry returns `Example(*arguments, grad=None)`; `grad` is the gradient
arriving at the output (None: ones, so that each input's gradient is its
local gradient itself).
"""
import numpy as np

from autograd import Value
from nn.gates import resample


class Example:
    """The arguments of one call of a gate, and the gradient sent back from its output."""

    def __init__(self, *arguments, grad=None):
        self.arguments = arguments
        self.grad = grad


def v(data, label):
    """A labelled input of a worked example (float64, so the numbers are exact)."""
    return Value(np.asarray(data, dtype=np.float64) if isinstance(data, list) else float(data), label=label)


def _images(shape, label, start=1.0):
    """Small NCHW numbers 1, 2, 3, ... (shifted by start), easy to follow through a window."""
    return v(np.arange(start, start + np.prod(shape)).reshape(shape).tolist(), label)


INDEX = np.array([0, 2, 2])          # picks x[2] twice: its gradients add up

EXAMPLES = {
    # ------------------------------------------------------------ autograd.gates
    "add": lambda: Example(v(-2.0, "x"), v(5.0, "y")),
    "sub": lambda: Example(v(3.0, "a"), v(5.0, "b")),
    "neg": lambda: Example(v(3.0, "x")),
    "mul": lambda: Example(v(3.0, "a"), v(-4.0, "b")),
    "div": lambda: Example(v(1.0, "a"), v(4.0, "b")),
    "pow": lambda: Example(v(2.0, "a"), v(3.0, "b")),
    "exp": lambda: Example(v(1.0, "x")),
    "log": lambda: Example(v(2.0, "x")),
    "sqrt": lambda: Example(v(4.0, "x")),
    "abs": lambda: Example(v([-2.0, 0.0, 3.0], "x")),
    "relu": lambda: Example(v([-2.0, 0.0, 3.0], "x")),
    "leaky_relu": lambda: Example(v([-2.0, 0.5, 3.0], "x"), 0.1),
    "elu": lambda: Example(v([-2.0, 0.5, 3.0], "x"), 1.0),
    "sigmoid": lambda: Example(v(1.0, "x")),
    "tanh": lambda: Example(v(0.5, "x")),
    "clip": lambda: Example(v([-2.0, 0.5, 3.0], "x"), -1.0, 1.0),
    "maximum": lambda: Example(v(2.0, "a"), v(-1.0, "b")),
    "minimum": lambda: Example(v(2.0, "a"), v(-1.0, "b")),
    "where": lambda: Example(np.array([True, False, True]), v([1.0, 2.0, 3.0], "a"), v([-1.0, -2.0, -3.0], "b")),
    "matmul": lambda: Example(v([[1.0, 2.0], [3.0, 4.0]], "a"), v([[1.0, -1.0], [0.5, 2.0]], "b")),
    "sum": lambda: Example(v([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "x"), 1, False),
    "mean": lambda: Example(v([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "x"), 1, False),
    "max": lambda: Example(v([[1.0, 5.0, 3.0], [4.0, 2.0, 4.0]], "x"), 1, False),
    "min": lambda: Example(v([[1.0, 5.0, 3.0], [4.0, 2.0, 4.0]], "x"), 1, False),
    "logsumexp": lambda: Example(v([1.0, 2.0, 3.0], "x"), 0, False),
    "sum_to": lambda: Example(v([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "x"), (1, 3)),
    "broadcast_to": lambda: Example(v([1.0, 2.0, 3.0], "x"), (2, 3)),
    "reshape": lambda: Example(v([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "x"), (3, 2)),
    "transpose": lambda: Example(v([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "x"), (1, 0)),
    "getitem": lambda: Example(v([1.0, 2.0, 3.0, 4.0], "x"), INDEX),
    "scatter": lambda: Example(v([1.0, 2.0, 3.0], "src"), INDEX, (4,)),
    "concatenate": lambda: Example([v([1.0, 2.0], "a"), v([3.0], "b")], 0),
    "stack": lambda: Example([v([1.0, 2.0], "a"), v([3.0, 4.0], "b")], 0),
    # ------------------------------------------------------------ nn.gates
    "dropout": lambda: Example(v([1.0, 2.0, 3.0], "x"), np.array([2.0, 0.0, 2.0])),   # p = 0.5
    "guided_relu": lambda: Example(v([-1.0, 2.0, 3.0], "x"), grad=np.array([1.0, 1.0, -1.0])),
    "softmax": lambda: Example(v([1.0, 2.0, 3.0], "x"), 0, grad=np.array([1.0, 0.0, 0.0])),
    "log_softmax": lambda: Example(v([1.0, 2.0, 3.0], "x"), 0, grad=np.array([1.0, 0.0, 0.0])),
    "prelu": lambda: Example(v([-2.0, 0.5, 3.0], "x"), v([0.25], "a")),
    "linear": lambda: Example(v([[1.0, 2.0, 3.0]], "x"), v([[0.5, -1.0, 0.0], [1.0, 1.0, 1.0]], "W"),
                              v([0.1, -0.1], "b")),
    "conv2d": lambda: Example(_images((1, 1, 3, 3), "x"), v([[[[1.0, 0.0], [0.0, -1.0]]]], "w"), v([0.5], "b"),
                              (1, 1), (0, 0, 0, 0), (1, 1)),
    "conv_transpose2d": lambda: Example(v([[[[1.0, 2.0]]]], "x"), v([[[[1.0, -1.0]]]], "w"), v([0.5], "b"),
                                        (1, 2), (0, 0, 0, 0), (1, 1), (1, 4)),
    "binary_cross_entropy_with_logits": lambda: Example(v([-1.0, 2.0], "x"), v([0.0, 1.0], "t"), "mean"),
    "binary_cross_entropy": lambda: Example(v([0.8, 0.25], "p"), v([1.0, 0.0], "t"), None, "mean"),
    "cross_entropy": lambda: Example(v([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], "x"), np.array([0, 2]), "mean"),
    "l1_loss": lambda: Example(v([1.0, -2.0], "a"), v([0.5, 1.0], "b"), "mean"),
    "mse_loss": lambda: Example(v([1.0, -2.0], "a"), v([0.5, 1.0], "b"), "mean"),
    "multi_margin_loss": lambda: Example(v([[3.2, 5.1, -1.7]], "x"), np.array([0]), 1, 1.0, "mean"),
    "batch_norm": lambda: Example(v([[1.0, 2.0], [3.0, 6.0], [5.0, 4.0]], "x"), v([1.0, 2.0], "γ"),
                                  v([0.0, 1.0], "β"), np.array([3.0, 4.0]), np.array([8 / 3, 8 / 3]),
                                  1e-5, True),
    "avg_pool2d": lambda: Example(_images((1, 1, 2, 2), "x"), (2, 2), (2, 2), (0, 0, 0, 0), True),
    "max_pool2d": lambda: Example(_images((1, 1, 2, 2), "x"), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1)),
    # resampling: out = R·x·Cᵀ with the matrices nn.functional builds (2x3 -> 1x2; 1x2 -> 1x4)
    "adaptive_avg_pool2d": lambda: Example(_images((1, 1, 2, 3), "x"), resample.average_matrix(2, 1),
                                           resample.average_matrix(3, 2)),
    "upsample_nearest2d": lambda: Example(_images((1, 1, 1, 2), "x"), resample.nearest_matrix(1, 1),
                                          resample.nearest_matrix(2, 4)),
    "upsample_bilinear2d": lambda: Example(_images((1, 1, 1, 2), "x"), resample.linear_matrix(1, 1),
                                           resample.linear_matrix(2, 4)),
    # sequences (issue 15): rows of a table (row 2 read twice), one example normalised, two recurrent steps
    "embedding": lambda: Example(v([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "W"), np.array([2, 0, 2]), None),
    "layer_norm": lambda: Example(v([[1.0, 2.0, 3.0]], "x"), v([1.0, 2.0, 1.0], "γ"), v([0.0, 0.0, 1.0], "β"),
                                  1, 1e-5),
    "lstm": lambda: Example(v([[[1.0]], [[-1.0]]], "x"), v([[0.0]], "h0"), v([[0.5]], "c0"),
                            v([[1.0], [0.5], [-1.0], [2.0]], "W_ih"), v([[0.5], [1.0], [0.3], [-0.5]], "W_hh"),
                            None, None, False),
    "gru": lambda: Example(v([[[1.0]], [[-1.0]]], "x"), v([[0.5]], "h0"), v([[1.0], [0.5], [-1.0]], "W_ih"),
                           v([[0.5], [1.0], [0.3]], "W_hh"), None, None, False),
    "rnn": lambda: Example(v([[[1.0]], [[-1.0]]], "x"), v([[0.5]], "h0"), v([[1.0]], "W_ih"), v([[0.5]], "W_hh"),
                           None, None, False, False),
}
