"""nn.init: fill a Value (or array) in place with initial weights, as torch.nn.init.

Fans, for a weight of shape (out, in, *kernel): fan_in = in·k, fan_out = out·k,
k the number of kernel positions (1 for a Linear weight).

    normal_            N(mean, std²)                      "small random numbers"
    xavier_uniform_    U(-a, a), a = gain·√(6/(fan_in + fan_out))
    xavier_normal_     N(0, σ²), σ = gain·√(2/(fan_in + fan_out))   (≈ 1/√n)
    kaiming_uniform_   U(-b, b), b = gain·√(3/fan)
    kaiming_normal_    N(0, σ²), σ = gain/√fan                      (√(2/n) for ReLU)
    sparse_            N(0, std²) with a fraction of each column zeroed (or a fixed number
                       of connections per unit)
    default_           PyTorch's default for Linear and convolution layers: weight and
                       bias from U(-1/√fan_in, 1/√fan_in)

gain = calculate_gain(nonlinearity, a): 1 for linear/sigmoid, 5/3 for tanh,
√2 for relu, √(2/(1 + a²)) for leaky_relu. Every random number comes from
autograd.random.generator(), so autograd.manual_seed makes it reproducible.
"""
import math

import numpy as np

from autograd import random, raw

__all__ = ["calculate_gain", "zeros_", "ones_", "constant_", "uniform_", "normal_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "sparse_", "default_"]


def _fill(tensor, values):
    """Write values into the tensor's array in place (keeping its dtype); return the tensor."""
    data = raw(tensor)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"nn.init: can only fill an array or a Value holding one, got {type(data).__name__}")
    data[...] = values
    return tensor


def _shape(tensor):
    return np.shape(raw(tensor))


def _fans(tensor, op):
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError(f"{op}: fan_in and fan_out need a weight of at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor, mode, op):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, op)
    return fan_in if mode == "fan_in" else fan_out


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps the variance of activations at 1 through a nonlinearity."""
    if nonlinearity in ("linear", "identity", "sigmoid") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def zeros_(tensor):
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill with 1."""
    return _fill(tensor, 1)


def constant_(tensor, val):
    """Fill with val."""
    return _fill(tensor, val)


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with draws from U(a, b)."""
    return _fill(tensor, random.generator().uniform(a, b, _shape(tensor)))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with draws from N(mean, std²): the notes' "small random numbers" with std=0.01."""
    return _fill(tensor, random.generator().normal(mean, std, _shape(tensor)))


def xavier_uniform_(tensor, gain=1.0):
    """U(-a, a) with a = gain·√(6/(fan_in + fan_out)) (Glorot & Bengio)."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """N(0, σ²) with σ = gain·√(2/(fan_in + fan_out)) (Glorot & Bengio)."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b) with b = gain·√(3/fan) (He et al.; for ReLU nets, gain √2)."""
    fan = _fan(tensor, mode, "kaiming_uniform_")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, σ²) with σ = gain/√fan: √(2/n) for ReLU (He et al.), the notes' recommendation."""
    fan = _fan(tensor, mode, "kaiming_normal_")
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def default_(weight, bias=None):
    """PyTorch's initialisation of Linear, Conv2d and ConvTranspose2d layers:
    weight from kaiming_uniform_ with a = √5, which is U(-1/√fan_in, 1/√fan_in),
    and bias from the same U(-1/√fan_in, 1/√fan_in); fan_in from the weight's
    shape (axis 1 times the kernel positions). Returns the weight."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(_fans(weight, "default_")[0])
        uniform_(bias, -bound, bound)
    return weight


def sparse_(tensor, sparsity=None, std=0.01, *, connections=None):
    """A sparse 2-D weight (out, in) with nonzero entries from N(0, std²).

    sparse_(w, sparsity) is PyTorch's: in every column, ceil(sparsity·out)
    randomly chosen entries are zero. sparse_(w, connections=k) is the notes'
    version: every unit (row) is connected to exactly k randomly chosen inputs."""
    shape = _shape(tensor)
    if len(shape) != 2:
        raise ValueError(f"sparse_: needs a 2-D weight (out, in), got shape {shape}")
    if (sparsity is None) == (connections is None):
        raise TypeError("sparse_: give exactly one of sparsity (a fraction per column) or connections "
                        "(a number of inputs per unit)")
    rows, cols = shape
    generator = random.generator()
    values = generator.normal(0.0, std, shape)
    if connections is None:
        if not 0 <= sparsity <= 1:
            raise ValueError(f"sparse_: sparsity is a fraction in [0, 1], got {sparsity!r}")
        # each column's rows ranked in a random order; the first ceil(sparsity·rows) are cut
        rank = generator.random(shape).argsort(axis=0).argsort(axis=0)
        values[rank < math.ceil(sparsity * rows)] = 0
    else:
        if not 0 <= connections <= cols:
            raise ValueError(f"sparse_: connections must be in [0, {cols}] for shape {shape}, got {connections!r}")
        rank = generator.random(shape).argsort(axis=1).argsort(axis=1)
        values[rank >= connections] = 0
    return _fill(tensor, values)
