"""Module and Parameter: what every layer and network is made of, as in PyTorch.

A Module's trainable Values are the `Parameter`s among its attributes, its
sub-layers are the Modules among them (both found in assignment order, so no
registration call is needed), and its buffers (state that is saved but not
trained, such as BatchNorm's running statistics) are numpy arrays registered
with `register_buffer`. Names are dotted paths: `features.0.weight`.

Calling a module runs `forward` inside `autograd.scope(<class name>)`, which
tags every gate the call creates, so a drawing can show a layer as one box.
Sequential, ModuleList and ModuleDict (containers.py) are Modules too.
"""
import collections

import numpy as np

from autograd import Value, raw, scope, storage

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
IncompatibleKeys.__doc__ = "What load_state_dict(strict=False) did not match: the missing and unexpected keys."


class Parameter(Value):
    """A Value that a Module trains: `Parameter(data, requires_grad=True)`.

    Assigning one to an attribute of a Module registers it: it appears in
    `parameters()`, `named_parameters()` and `state_dict()`. An array is used
    as is (not copied); numbers and lists become arrays (integers as float64)."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(np.asarray(raw(data)), requires_grad=requires_grad)

    def __repr__(self):
        if self.size <= 6:
            return f"Parameter({np.array2string(np.asarray(self.data), precision=4, separator=', ')})"
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


class Module:
    """Base class of every layer and network.

    Subclasses set Parameters and sub-Modules as attributes in __init__ and
    define `forward`; calling the module calls forward inside a graph scope.
    Modules start in training mode.
    """

    training = True

    def __init__(self):
        self.training = True

    def forward(self, *inputs):
        """The layer's computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *inputs, **options):
        with scope(type(self).__name__):
            return self.forward(*inputs, **options)

    # ------------------------------------------------------------ the tree
    def register_buffer(self, name, array):
        """Keep a numpy array as state that is saved and loaded but not trained."""
        setattr(self, name, np.asarray(raw(array)))
        if name not in self._buffer_names():
            self._buffers = self._buffer_names() + (name,)

    def _buffer_names(self):
        return vars(self).get("_buffers", ())

    def named_children(self):
        """(name, module) for each direct sub-module, in assignment order."""
        seen = set()
        for name, value in vars(self).items():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self):
        """The direct sub-modules."""
        return (module for _, module in self.named_children())

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module ('' ) and every module below it, depth first."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack.extend(reversed([(_join(name, child_name), child)
                                   for child_name, child in module.named_children()]))

    def modules(self):
        """This module and every module below it."""
        return (module for _, module in self.named_modules())

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) for every parameter, each once (shared ones under their first name)."""
        seen = set()
        for module_name, module in self.named_modules(prefix) if recurse else [(prefix, self)]:
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield _join(module_name, name), value

    def parameters(self, recurse=True):
        """Every Parameter of this module and its sub-modules (what an optimizer updates)."""
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix=""):
        """(dotted name, array) for every buffer."""
        for module_name, module in self.named_modules(prefix):
            for name in module._buffer_names():
                yield _join(module_name, name), getattr(module, name)

    def buffers(self):
        """Every buffer array (running statistics...)."""
        return (b for _, b in self.named_buffers())

    # ------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Set training mode (batch statistics, dropout on) on this module and all below; returns self."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        """Set evaluation mode (running statistics, dropout off) everywhere below; returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter (None, or zeros with set_to_none=False)."""
        for p in self.parameters():
            p.zero_grad(set_to_none)

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter of this module and all below;
        returns self. A frozen parameter is a constant: backward computes no
        gradient for it, so its .grad stays None and optimizers skip it. (Batch
        statistics are not parameters: call .eval() on a frozen BatchNorm to
        keep its running statistics too.)"""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def apply(self, fn):
        """Call fn(module) on every sub-module, each child's whole subtree before
        the next child, and on this module last (as PyTorch; e.g. a custom
        initialisation: `model.apply(init_weights)`); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, dtype):
        """Convert every parameter and float buffer to dtype (e.g. np.float64 for a gradient check); returns self."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
        for module in self.modules():
            for name in module._buffer_names():
                if getattr(module, name).dtype.kind == "f":            # counts stay integers
                    setattr(module, name, getattr(module, name).astype(dtype))
        return self

    def float(self):
        """Parameters and buffers in float32 (the default); returns self."""
        return self.to(np.float32)

    def double(self):
        """Parameters and buffers in float64; returns self."""
        return self.to(np.float64)

    # ------------------------------------------------------------ saving and loading
    def _state(self):
        """name -> (object holding the array, attribute name), for parameters then buffers, module by module."""
        state = {}
        for module_name, module in self.named_modules():
            for name, value in vars(module).items():
                if isinstance(value, Parameter):
                    state.setdefault(_join(module_name, name), (value, "data"))
            for name in module._buffer_names():
                state[_join(module_name, name)] = (module, name)
        return state

    def state_dict(self):
        """A dict of dotted name -> a copy of the array, for every parameter and buffer."""
        return {name: np.array(getattr(holder, attr)) for name, (holder, attr) in self._state().items()}

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays (or Values) into the parameters and buffers, in place.

        Every problem is reported at once, before anything is copied: a wrong
        shape always raises (naming the key and both shapes); with strict=True
        so do missing and unexpected keys. Returns (missing_keys, unexpected_keys)."""
        own = self._state()
        # a buffer a module lists in `optional_state` may be absent (BatchNorm's num_batches_tracked, in older files)
        missing = [k for k in own if k not in state_dict and own[k][1] not in getattr(own[k][0], "optional_state", ())]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict:
            problems += [f"missing key {k!r} (the model's shape is {np.shape(getattr(*own[k]))})" for k in missing]
            problems += [f"unexpected key {k!r} (shape {np.shape(raw(state_dict[k]))})" for k in unexpected]
        arrays = {}
        for key in own.keys() & state_dict.keys():
            value = np.asarray(raw(state_dict[key]))
            target = getattr(*own[key])
            if value.dtype.kind not in "fiub":
                problems.append(f"{key!r} holds {value.dtype} data, not numbers")
            elif value.shape != np.shape(target):
                problems.append(f"shape mismatch for {key!r}: the state dict has {value.shape}, "
                                f"the model has {np.shape(target)}")
            arrays[key] = value
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for key, value in arrays.items():
            getattr(*own[key])[...] = value        # in place: optimizers keep their references
        return IncompatibleKeys(missing, unexpected)

    def save(self, path, meta=None):
        """Write the state dict to a model file at exactly `path`: an .npz of plain
        arrays (no pickled objects), written atomically (a failed save leaves the
        previous file as it was). `meta` (a dict of numbers, strings and arrays)
        is saved along, for whatever rebuilds the model (autograd.storage)."""
        storage.save_model(path, self.state_dict(), meta)

    def load(self, path, strict=True):
        """Load the model saved in `path` (by `save`, `circuitgrad train`, or a
        Solver checkpoint), read with allow_pickle=False: loading never runs
        code; a file that is not a model file raises FileFormatError naming it.
        Returns self."""
        state, _, _ = storage.load_model(path)
        self.load_state_dict(state, strict=strict)
        return self

    # ------------------------------------------------------------ printing
    def extra_repr(self):
        """The arguments shown between the parentheses of repr (layers override it)."""
        return ""

    def _repr(self):
        lines = [f"  ({name}): " + child._repr().replace("\n", "\n  ") for name, child in self.named_children()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        extra = f"{self.extra_repr()}\n" if self.extra_repr() else ""
        return f"{type(self).__name__}(\n{extra}" + "\n".join(lines) + "\n)"

    def __repr__(self):
        count = sum(p.size for p in self.parameters())
        return f"{self._repr()}  [{count:,} parameters]"
