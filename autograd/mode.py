"""Per-thread (and per-task) switches that gates read when they run: grad
mode, the current scope, and anomaly detection.

`no_grad()` turns graph building off (inside it, gates compute values and record
nothing); `scope(name)` tags every gate created inside it, which is how a drawing
can put the gates of one layer call into one box without the engine knowing
about layers; `detect_anomaly()` makes every gate check its output and its
gradients for NaN and inf.
"""
import contextlib
from contextvars import ContextVar

OFF = object()      # `recording` under no_grad
CHECKED = object()  # `recording` outside any scope while detect_anomaly is on

# Context variables are per thread (a new thread starts from the defaults) and
# per asyncio task, and reading one costs less than a threading.local attribute.
_grad_enabled = ContextVar("circuitgrad_grad_enabled", default=True)
_scope = ContextVar("circuitgrad_scope", default=None)
_anomaly = ContextVar("circuitgrad_anomaly", default=False)
# What a gate reads, in one lookup: OFF, the scope new gates join, CHECKED, or
# None (record, no scope, no checks: the case gates make fastest).
recording = ContextVar("circuitgrad_recording", default=None)
# Gates call these for every node. Bound once: `recording.get()` would make a
# new bound method object at each call (a third of a scalar gate's time).
current_recording = recording.get
anomaly_detection = _anomaly.get


def _switch(grad_enabled, scope, anomaly):
    """Set the mode; returns what `_restore` needs to undo it."""
    if not grad_enabled:
        mode = OFF
    elif scope is None and anomaly:
        mode = CHECKED
    else:
        mode = scope
    return (_grad_enabled.set(grad_enabled), _scope.set(scope), _anomaly.set(anomaly), recording.set(mode))


def _restore(tokens):
    for var, token in zip((_grad_enabled, _scope, _anomaly, recording), tokens):
        var.reset(token)


def is_grad_enabled():
    """True when operations on Values record a graph (the default)."""
    return _grad_enabled.get()


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager (or decorator) that switches graph building on or off
    for the current thread, restoring the previous setting on exit."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_switch(self.mode, _scope.get(), _anomaly.get()))

    def __exit__(self, *exc):
        _restore(self._tokens.pop())
        return False


class no_grad(set_grad_enabled):
    """`with no_grad():` operations build no graph; their results are constants.

    Use it for evaluation and for hand-written parameter updates. Thread-local.
    """

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """`with enable_grad():` builds the graph again inside a `no_grad()` block."""

    def __init__(self):
        super().__init__(True)


class Scope:
    """A named region of the graph: every gate created inside `scope(name)`
    records the innermost Scope. Scopes nest through `parent`."""

    __slots__ = ("name", "parent")

    def __init__(self, name, parent):
        self.name = name
        self.parent = parent

    def path(self):
        """The scope names from the outermost to this one."""
        names, s = [], self
        while s is not None:
            names.append(s.name)
            s = s.parent
        return names[::-1]

    def __repr__(self):
        return f"Scope({'/'.join(self.path())!r})"


@contextlib.contextmanager
def scope(name):
    """Tag the gates created inside the block with `name`.

    `nn.Module.__call__` opens one scope per call, so `draw` can cluster (and
    collapse) the gates of one layer. Each entry creates a new Scope, so two
    calls of the same layer are two clusters.
    """
    inner = Scope(str(name), _scope.get())
    tokens = _switch(_grad_enabled.get(), inner, _anomaly.get())
    try:
        yield inner
    finally:
        _restore(tokens)


class detect_anomaly(contextlib.ContextDecorator):
    """`with detect_anomaly():` every gate checks its output on the way forward
    and the gradients it sends on the way back: a NaN or an inf raises
    RuntimeError naming the gate, the layer scope it ran in, its inputs and the
    pass (PyTorch's name). Slower: for finding where a run goes wrong."""

    def __init__(self):
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_switch(_grad_enabled.get(), _scope.get(), True))
        return self

    def __exit__(self, *exc):
        _restore(self._tokens.pop())
        return False
