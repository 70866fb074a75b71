"""One seed for every random choice in the library.

Initialisation, dropout masks, data shuffling and augmentation all draw from
`generator()`, so `manual_seed(n)` makes a whole run reproducible.
"""
import numpy as np

_state = {"generator": np.random.default_rng()}


def manual_seed(seed):
    """Reseed the library's generator (as `torch.manual_seed`); returns it."""
    _state["generator"] = np.random.default_rng(seed)
    return _state["generator"]


def generator():
    """The numpy Generator that every random choice of the library draws from."""
    return _state["generator"]
