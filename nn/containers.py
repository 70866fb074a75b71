"""Containers of modules, as in PyTorch: Sequential (layers applied in
order), ModuleList and ModuleDict (sub-modules held by index or by name, for
networks that call them in their own forward)."""
from .module import Module


class Sequential(Module):
    """Modules applied one after another: `Sequential(layer, layer, ...)`, or
    `Sequential({'name': layer, ...})` for named layers. Indexing gives a layer
    (or a Sequential for a slice)."""

    def __init__(self, *layers):
        super().__init__()
        items = layers[0].items() if len(layers) == 1 and isinstance(layers[0], dict) else enumerate(layers)
        for name, layer in items:
            self.append(layer, str(name))

    def append(self, layer, name=None):
        """Add a layer at the end; returns self."""
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential: {layer!r} is a {type(layer).__name__}, not a Module")
        setattr(self, str(len(self)) if name is None else name, layer)
        return self

    def _layers(self):
        return [v for v in vars(self).values() if isinstance(v, Module)]

    def forward(self, x):
        """x through every layer in order."""
        for layer in self._layers():
            x = layer(x)
        return x

    def __len__(self):
        return len(self._layers())

    def __iter__(self):
        return iter(self._layers())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self._layers()[index])
        return self._layers()[index]


def _checked_module(module, owner):
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: {module!r} is a {type(module).__name__}, not a Module")
    return module


class ModuleList(Module):
    """A list of sub-modules whose parameters are registered with the list's
    owner: `ModuleList([block, block, ...])`. Indexing, slicing (a ModuleList),
    iteration, len, append, extend and insert work as for a list; names are the
    indices ('0', '1', ...). It has no forward: the owning module decides how to
    call its members (e.g. `for block in self.blocks: x = block(x)`)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _members(self):
        return [v for v in vars(self).values() if isinstance(v, Module)]

    def _renumber(self, members):
        for name in [k for k, v in vars(self).items() if isinstance(v, Module)]:
            delattr(self, name)
        for i, module in enumerate(members):
            setattr(self, str(i), _checked_module(module, "ModuleList"))

    def _index(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"ModuleList: index {index} is out of range for {len(self)} modules")
        return index % len(self)

    def append(self, module):
        """Add a module at the end; returns self."""
        setattr(self, str(len(self)), _checked_module(module, "ModuleList"))
        return self

    def extend(self, modules):
        """Append each of `modules`; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Put a module before position `index` (the later ones are renumbered)."""
        members = self._members()
        members.insert(index, module)
        self._renumber(members)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(self._members()[index])
        return self._members()[self._index(index)]

    def __setitem__(self, index, module):
        setattr(self, str(self._index(index)), _checked_module(module, "ModuleList"))

    def __delitem__(self, index):
        members = self._members()
        del members[index if isinstance(index, slice) else self._index(index)]
        self._renumber(members)

    def __len__(self):
        return len(self._members())

    def __iter__(self):
        return iter(self._members())


class ModuleDict(Module):
    """A dict of named sub-modules, registered with the dict's owner:
    `ModuleDict({'conv': nn.Conv2d(...), 'pool': nn.MaxPool2d(2)})`. Keys are
    strings (no '.', which separates names in state_dict, and none that is
    already an attribute, such as 'training'); the order is insertion order.
    Supports [key], `in`, len, iteration over keys, keys(), values(), items(),
    update() and pop(). It has no forward."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _key(self, key):
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {key!r}")
        if not key or "." in key:
            raise KeyError(f"ModuleDict: a key must be a non-empty string without '.', got {key!r}")
        return key

    def __setitem__(self, key, module):
        key = self._key(key)
        if key not in self and hasattr(self, key):
            raise KeyError(f"ModuleDict: the key {key!r} would hide the attribute {type(self).__name__}.{key}")
        setattr(self, key, _checked_module(module, "ModuleDict"))

    def __getitem__(self, key):
        if key not in self:
            raise KeyError(f"ModuleDict: no module named {key!r} (keys: {list(self.keys())})")
        return vars(self)[key]

    def __delitem__(self, key):
        self[key]                                    # a KeyError for an unknown key
        delattr(self, key)

    def __contains__(self, key):
        return isinstance(key, str) and isinstance(vars(self).get(key), Module)

    def __len__(self):
        return len(self.keys())

    def __iter__(self):
        return iter(self.keys())

    def keys(self):
        """The names, in insertion order."""
        return [k for k, v in vars(self).items() if isinstance(v, Module)]

    def values(self):
        """The modules, in insertion order."""
        return [self[k] for k in self.keys()]

    def items(self):
        """(name, module) pairs, in insertion order."""
        return [(k, self[k]) for k in self.keys()]

    def update(self, modules):
        """Add (or replace) modules from a dict or an iterable of (name, module) pairs."""
        for key, module in (modules.items() if hasattr(modules, "items") else modules):
            self[key] = module

    def pop(self, key):
        """Remove the module named `key` and return it."""
        module = self[key]
        del self[key]
        return module
