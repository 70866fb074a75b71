"""Thread-local switches that gates read when they run: grad mode and the current scope.

`no_grad()` turns graph building off (inside it, gates compute values and record
nothing); `scope(name)` tags every gate created inside it, which is how a drawing
can put the gates of one layer call into one box without the engine knowing
about layers.
"""
import contextlib
import threading


OFF = object()    # `recording` under no_grad


class _State(threading.local):
    # Class attributes are each new thread's starting values.
    grad_enabled = True
    scope = None
    # What a gate reads, in one lookup: OFF, or the scope new gates join (None: none).
    recording = None

    def update(self, grad_enabled, scope):
        self.grad_enabled = grad_enabled
        self.scope = scope
        self.recording = scope if grad_enabled else OFF


state = _State()


def is_grad_enabled():
    """True when operations on Values record a graph (the default)."""
    return state.grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager (or decorator) that switches graph building on or off
    for the current thread, restoring the previous setting on exit."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._previous = []

    def __enter__(self):
        self._previous.append(state.grad_enabled)
        state.update(self.mode, state.scope)

    def __exit__(self, *exc):
        state.update(self._previous.pop(), state.scope)
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
    outer = state.scope
    state.update(state.grad_enabled, Scope(str(name), outer))
    try:
        yield state.scope
    finally:
        state.update(state.grad_enabled, outer)
