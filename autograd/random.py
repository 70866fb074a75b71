"""One seed for every random choice in the library, and random Values.

Initialisation, dropout masks, data shuffling and augmentation all draw from
`generator()`, so `manual_seed(n)` makes a whole run reproducible.

`randn(*size)` and `rand(*size)` are PyTorch's: noise as a Value that is a
constant of the graph (requires_grad=False, as torch.randn's), drawn from the
same generator. A GAN's generator input `G(randn(64, 100))` or a VAE's
ε ~ N(0, I) is such a constant: backward stops at it. (A plain numpy array is a
constant too: `G(np.random.standard_normal((64, 100)))` builds the same graph;
randn only adds the dtype, the seed and PyTorch's spelling.)
"""
import numpy as np

from .checks import integer
from .value import Value

_state = {"generator": np.random.default_rng()}


def manual_seed(seed):
    """Reseed the library's generator (as `torch.manual_seed`); returns it."""
    _state["generator"] = np.random.default_rng(seed)
    return _state["generator"]


def generator():
    """The numpy Generator that every random choice of the library draws from."""
    return _state["generator"]


def _size(op, size):
    """randn(2, 3) and randn((2, 3)) alike: the shape as a tuple of ints >= 0."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(integer(op, "size", n, minimum=0) for n in size)


def _dtype(op, dtype):
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{op}: dtype must be float32 or float64, got {dtype}")
    return dtype


def randn(*size, generator=None, dtype=np.float32, requires_grad=False):
    """A Value of shape `size` with elements drawn from N(0, 1), independently:
    `randn(64, 100)` or `randn((64, 100))`. Drawn from `generator` (a numpy
    Generator) or the library's (see manual_seed); float32 by default, as nn's
    parameters; a constant of the graph unless requires_grad=True."""
    shape, dtype = _size("randn", size), _dtype("randn", dtype)
    noise = (generator or _state["generator"]).standard_normal(shape, dtype=dtype)
    return Value(noise, requires_grad=requires_grad)


def rand(*size, generator=None, dtype=np.float32, requires_grad=False):
    """A Value of shape `size` with elements drawn uniformly from [0, 1); as randn otherwise."""
    shape, dtype = _size("rand", size), _dtype("rand", dtype)
    noise = (generator or _state["generator"]).random(shape, dtype=dtype)
    return Value(noise, requires_grad=requires_grad)
