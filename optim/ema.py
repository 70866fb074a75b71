"""EMA: the running average of the parameters that the notes evaluate with at test time."""
import contextlib

import numpy as np

from .optimizer import fraction, value_list


class EMA:
    """Exponential moving average of parameters: `EMA(params, decay=0.995)`.

        x_avg = decay * x_avg + (1 - decay) * x         (each update())

    The notes ("Model ensembles": a running average of parameters during
    training): evaluated with the average of the last iterations' parameters,
    a network almost always does better than with the last parameters.
    x_avg starts at a copy of the parameters. Call `update()` after each
    optimizer step; evaluate with the average inside `with ema.average():`,
    which swaps the averages into the parameters and the originals back out.
    """

    def __init__(self, params, decay=0.995):
        self.params = value_list(params, "EMA")
        self.decay = fraction("EMA", "decay", decay)
        self.shadow = [np.array(p.data) for p in self.params]        # copies
        self.swapped = False

    def update(self):
        """x_avg = decay * x_avg + (1 - decay) * x for every parameter."""
        self._not_swapped("update")
        for i, p in enumerate(self.params):
            self.shadow[i] = (self.decay * self.shadow[i] + (1 - self.decay) * p.data).astype(p.dtype, copy=False)

    def swap(self):
        """Exchange the parameters' data and the averages (call again to swap back)."""
        for i, p in enumerate(self.params):
            current = np.array(p.data)
            p.copy_(self.shadow[i])
            self.shadow[i] = current
        self.swapped = not self.swapped

    @contextlib.contextmanager
    def average(self):
        """`with ema.average(): evaluate()`: the parameters hold the averages
        inside the block and their own values again after it (also on error)."""
        self._not_swapped("average")
        self.swap()
        try:
            yield self
        finally:
            self.swap()

    def state_dict(self):
        """{"decay": ..., "average/<i>": x_avg of parameter i}, numpy arrays for `np.savez`."""
        self._not_swapped("state_dict")
        out = {"decay": np.array(self.decay)}
        out.update({f"average/{i}": np.array(a) for i, a in enumerate(self.shadow)})
        return out

    def load_state_dict(self, state_dict):
        """Restore the averages saved by `state_dict()` (a dict or `np.load`'s result)."""
        self._not_swapped("load_state_dict")
        expected = {"decay"} | {f"average/{i}" for i in range(len(self.params))}
        if set(state_dict) != expected:
            raise ValueError(f"EMA.load_state_dict: keys {sorted(state_dict)} do not match "
                             f"the {len(self.params)} parameters (expected {sorted(expected)})")
        shadow = []
        for i, p in enumerate(self.params):
            a = np.asarray(state_dict[f"average/{i}"])
            if a.shape != p.shape:
                raise ValueError(f"EMA.load_state_dict: average/{i} has shape {a.shape}, "
                                 f"its parameter {p.shape}")
            shadow.append(a.astype(p.dtype))
        self.decay = float(state_dict["decay"])
        self.shadow = shadow

    def _not_swapped(self, what):
        if self.swapped:
            raise RuntimeError(f"EMA.{what}(): the averages are swapped into the parameters; "
                               f"swap() back first")
