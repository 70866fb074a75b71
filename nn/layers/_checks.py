"""Constructor argument checks shared by the layers."""
import numbers


def positive_int(value, name, layer):
    """value, if it is an int >= 1; else a TypeError/ValueError naming the layer."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{layer}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{layer}: {name} must be >= 1, got {value}")
    return int(value)
