"""Activations as modules: ReLU, LeakyReLU, PReLU, ELU, Sigmoid, Tanh, Maxout, Softmax, LogSoftmax."""

import numpy as np

from .. import functional as F
from .. import gates
from .. import checks, init
from ..module import Module, Parameter


class ReLU(Module):
    """max(0, x).

    `guided` (False): when True, the backward pass is guided backpropagation's
    (the gate nn.gates.guided_relu: g·[x > 0]·[g > 0], negative gradients from
    above stopped). The forward pass is the same. `nn.guided_backprop(model)`
    switches every ReLU of a model for the length of a `with` block."""

    guided = False

    def forward(self, x):
        return gates.guided_relu(x) if self.guided else F.relu(x)

    def extra_repr(self):
        return "guided=True" if self.guided else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x: `LeakyReLU(negative_slope=0.01)`."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """x if x > 0 else a·x with a learnable slope a: `PReLU(num_parameters=1, init=0.25)`,
    one slope for all channels or one per channel (axis 1)."""

    def __init__(self, num_parameters=1, init=0.25, *, dtype=np.float32):
        super().__init__()
        self.num_parameters = checks.integer("PReLU", "num_parameters", num_parameters, minimum=1)
        self.weight = Parameter(np.full(num_parameters, init, dtype))

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x if x > 0 else α(e^x - 1): `ELU(alpha=1.0)`."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Sigmoid(Module):
    """σ(x) = 1/(1 + e^-x)."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """tanh x."""

    def forward(self, x):
        return F.tanh(x)


class Maxout(Module):
    """The max of k linear pieces (Goodfellow et al.): `Maxout(in_features, out_features, pieces)`,
    out_j = max_k (x @ W_jkᵀ + b_jk). Generalises ReLU (max(0, w·x + b), one piece fixed at 0)
    and leaky ReLU; it doubles (or k-folds) the parameters. weight (out·pieces, in),
    bias (out·pieces,), initialised as Linear's; rows j·pieces ... j·pieces + pieces - 1
    are unit j's pieces."""

    def __init__(self, in_features, out_features, pieces, bias=True, *, dtype=np.float32):
        super().__init__()
        self.in_features = checks.integer("Maxout", "in_features", in_features, minimum=1)
        self.out_features = checks.integer("Maxout", "out_features", out_features, minimum=1)
        self.pieces = checks.integer("Maxout", "pieces", pieces, minimum=1)
        self.weight = Parameter(np.empty((out_features * pieces, in_features), dtype))
        self.bias = Parameter(np.empty(out_features * pieces, dtype)) if bias else None
        init.default_(self.weight, self.bias)

    def forward(self, x):
        z = F.linear(x, self.weight, self.bias)
        return z.reshape(z.shape[:-1] + (self.out_features, self.pieces)).max(axis=-1)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, pieces={self.pieces}"


class Softmax(Module):
    """e^x / Σ e^x along dim: `Softmax(dim)`."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x - log Σ e^x along dim: `LogSoftmax(dim)`."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.log_softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
