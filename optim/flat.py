"""Flat state dicts: every value a numpy array, so `np.savez` writes it and
`np.load(path, allow_pickle=False)` reads it back without running any code.

Keys are paths ("groups/0/lr", "state/3/momentum_buffer"). A value is encoded
as: a number or bool -> a 0-d array; a string -> a 0-d unicode array; a tuple
or list of numbers -> a 1-d array; an array -> a copy; None -> an empty
array. `decode` inverts this for settings (hyperparameters).
"""
import numpy as np


def encode(value, key):
    """`value` as a numpy array that `.npz` stores without pickling."""
    if value is None:
        return np.zeros(0)
    array = np.array(value)                       # a copy: the state dict is a snapshot
    if array.dtype.kind not in "biufU" or (array.dtype.kind == "U" and array.ndim):
        raise TypeError(f"state dict entry {key!r}: a {type(value).__name__} cannot be saved "
                        f"without pickling (numbers, strings, tuples of numbers and arrays can)")
    return array


def decode(array):
    """A setting read back: 0-d -> Python scalar or str, 1-d -> tuple, empty -> None."""
    array = np.asarray(array)
    if array.ndim == 0:
        return array.item()
    if array.size == 0:
        return None
    return tuple(array.tolist())


def split(state_dict, sections, owner):
    """{"groups/0/lr": a, "state/3/step": b} -> {"groups": {"0": {"lr": a}},
    "state": {"3": {"step": b}}}; a key outside `sections` is an error."""
    out = {section: {} for section in sections}
    for key in state_dict:
        parts = key.split("/", 2)
        if len(parts) != 3 or parts[0] not in out:
            raise ValueError(f"{owner}.load_state_dict: unexpected key {key!r} (expected "
                             f"{' or '.join(s + '/<i>/<name>' for s in sections)})")
        section, index, name = parts
        out[section].setdefault(index, {})[name] = np.asarray(state_dict[key])
    return out
