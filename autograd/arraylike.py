"""What makes a Value behave as a number and as an array in Python.

`Value` (value.py) inherits these: its shape and dtype, `copy_` (new numbers
in place), `len()`, `bool()`, `float()`, `np.asarray(value)`, f-strings,
`repr`, `copy.deepcopy`, and its label and scope. None of them builds a graph.
"""
import copy
import weakref

import numpy as np

# Labels and scopes are rare, so they are kept off the nodes (a slot would
# cost every node) in tables that forget a Value when it dies.
_labels = weakref.WeakKeyDictionary()
_scopes = weakref.WeakKeyDictionary()

# Writes into a Value's data: `copy_`, and assigning `.data` (value.py).
# Backward reads each input's data as it is when backward runs, so a write
# between a gate's forward and its backward would give the gradient at the new
# numbers, silently. So writes are counted: a node keeps the count at its
# making (`_born`), a written Value the count at its last write (kept off the
# nodes too: few Values are ever written), and backward refuses a node with an
# input written after it (backprop.py), as PyTorch does. Writing into the array
# itself (`p.data[0] = 1`) is not seen.
writes = [0]                                  # the count so far (a list, so that modules importing it see it grow)
_written = weakref.WeakKeyDictionary()        # Value -> the count at its last write


def wrote(v):
    """Count a write into v's data."""
    writes[0] += 1
    _written[v] = writes[0]


def written_after(v, count):
    """Whether v's data was written after the first `count` writes."""
    return _written.get(v, 0) > count


class ArrayLike:
    """The array side of a Value, and its name: nothing here builds a graph."""

    __slots__ = ()

    @property
    def shape(self):
        """The shape of data; () for a scalar."""
        return shape_of(self.data)

    @property
    def ndim(self):
        """The number of dimensions of data."""
        return np.ndim(self.data)

    @property
    def size(self):
        """The number of elements of data."""
        return np.size(self.data)

    @property
    def dtype(self):
        """The numpy dtype of data (float64 for a Python float)."""
        return np.result_type(self.data)

    def copy_(self, data):
        """Write new numbers into this Value, building no graph: into its array,
        in place (whatever else holds the array sees them; data broadcasts to
        its shape), or as its new number when it holds a Python float. How an
        optimizer updates a parameter; returns self. A write: a backward through
        a gate that used this Value before it raises."""
        data = data.data if isinstance(data, ArrayLike) else data
        if type(self._data) is float:
            if np.size(data) != 1:
                raise ValueError(f"copy_: a scalar Value takes one number, got shape {np.shape(data)}")
            self._data = float(np.reshape(data, ()))
        elif data is not self._data:
            try:
                np.copyto(self._data, data, casting="same_kind")
            except (TypeError, ValueError) as e:
                raise type(e)(f"copy_: {np.shape(data)} {np.result_type(data)} data does not fit this "
                              f"Value's {self._data.shape} {self._data.dtype} array ({e})") from None
        wrote(self)
        return self

    def item(self):
        """The single element as a Python float."""
        if np.size(self.data) != 1:
            raise ValueError(f"item(): only a single-element Value converts to a float, "
                             f"this one has shape {self.shape}")
        return float(np.asarray(self.data).reshape(()))

    @property
    def label(self):
        """A name for drawings and reprs (None: none)."""
        return _labels.get(self)

    @label.setter
    def label(self, name):
        if name is None:
            _labels.pop(self, None)
        else:
            _labels[self] = name

    scope = property(lambda self: _scopes.get(self),
                     doc="The innermost autograd.scope the gate that made this Value ran in (None: none): "
                         "how a drawing groups the gates of one layer.")

    def __len__(self):
        if np.ndim(self.data) == 0:
            raise TypeError("len() of a 0-d Value")
        return len(self.data)

    def __bool__(self):
        if np.size(self.data) != 1:
            raise ValueError(f"the truth value of a Value of shape {self.shape} is ambiguous; "
                             f"use .data.any() or .data.all()")
        return bool(self.item())

    def __float__(self):
        return self.item()

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.data, dtype=dtype)

    def __format__(self, spec):
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_short(self.data)}, grad={_short(self.grad)}{label})"

    def __deepcopy__(self, memo):
        """`copy.deepcopy` of a leaf (a parameter, a model's state): a new leaf of
        the same type with copies of data and grad, the same requires_grad and
        label. A gate's output refuses, as in PyTorch: its copy would be a second
        graph whose gates and inputs are not the engine's."""
        from .value import Value
        if not self.is_leaf:
            raise RuntimeError(f"deepcopy: only leaves (inputs, parameters) can be deep-copied; this "
                               f"Value is the output of a '{self.op}' gate (deep-copy its .detach() "
                               f"for the data alone)")
        copied = object.__new__(type(self))
        Value.__init__(copied, copy.deepcopy(self.data, memo), self.requires_grad, self.label)
        copied.grad = copy.deepcopy(self.grad, memo)
        return copied


def _short(x):
    if x is None or isinstance(x, float):
        return repr(x)
    if isinstance(x, ArrayLike):
        return repr(x)
    x = np.asarray(x)
    if x.size <= 6:
        return np.array2string(x, precision=4, separator=", ")
    return f"<{x.dtype} array {x.shape}>"


def shape_of(data):
    """The shape of what a Value holds (a float or an ndarray), without
    np.shape's conversion of a float (a few µs: a step of micrograd's demo
    writes 337 numbers into its parameters)."""
    return () if type(data) is float else data.shape
