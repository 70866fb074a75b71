"""Argument checks: one convention for the whole library.

nn's layers and functions and optim's rules and schedules check their
arguments with these functions, so every mistake reads the same way: a wrong
type is a TypeError, a wrong value a ValueError, and the message names who was
called, the argument, what it must be and what it got:

    >>> integer("Conv2d", "in_channels", 3.0, minimum=1)
    Traceback (most recent call last):
    TypeError: Conv2d: in_channels must be an int, got 3.0

Each check returns the argument in its normal form (a Python int, float,
bool or a pair of ints), so a constructor can store what the check returns.
"""
import numbers

import numpy as np


def _fail(error, owner, message):
    return error(f"{owner}: {message}")


def integer(owner, name, value, minimum=None, maximum=None):
    """An int (not a bool) in [minimum, maximum]; returns it as a Python int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise _fail(TypeError, owner, f"{name} must be an integer, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _fail(ValueError, owner, f"{name} must be an integer {_bounds(minimum, maximum)}, got {value}")
    return int(value)


def number(owner, name, value, *, minimum=None, maximum=None, above=None, below=None):
    """A real number (not a bool, not NaN) with minimum <= value <= maximum and
    above < value < below, for the bounds given; returns it as a Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _fail(TypeError, owner, f"{name} must be a number, got {type(value).__name__} {value!r}")
    given, value = value, float(value)
    low, low_open = (above, True) if above is not None else (minimum, False)
    high, high_open = (below, True) if below is not None else (maximum, False)
    fits = ((low is None or (value > low if low_open else value >= low))
            and (high is None or (value < high if high_open else value <= high)))
    if value != value or not fits:                                  # NaN fits no bound
        wanted = _bounds(low, high, low_open, high_open) if (low, high) != (None, None) else "a number, not NaN"
        raise _fail(ValueError, owner, f"{name} must be {wanted}, got {given!r}")
    return value


def _bounds(low, high, low_open=False, high_open=False):
    """'>= 0', '< 1', 'in [0, 1)': the bounds of an argument, as a message says them."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    return f"{'<' if high_open else '<='} {high}"


def probability(owner, name, value):
    """A number in [0, 1] (a dropout rate, a momentum)."""
    return number(owner, name, value, minimum=0, maximum=1)


def boolean(owner, name, value):
    """True or False (numpy's bools too); returns a Python bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise _fail(TypeError, owner, f"{name} must be True or False, got {value!r}")
    return bool(value)


def choice(owner, name, value, choices):
    """One of `choices` (compared with ==); returns it."""
    if not isinstance(value, (str, numbers.Number, type(None))) or value not in choices:
        raise _fail(ValueError, owner,
                    f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def pair(owner, name, value, minimum=1):
    """An int or a pair of ints, each >= minimum; returns a tuple of two ints
    (PyTorch's `kernel_size=3` for (3, 3))."""
    values = (value, value) if isinstance(value, numbers.Integral) else value
    if (not isinstance(values, (tuple, list)) or len(values) != 2
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))
                       for v in values)):
        raise _fail(TypeError, owner, f"{name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise _fail(ValueError, owner, f"{name} must be >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])
