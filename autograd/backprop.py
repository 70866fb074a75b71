"""The backward pass: the chain rule applied gate by gate, from the output back.

1. Every node knows its depth: a leaf is 0, a gate's output is one more than
   its deepest input, so a node is always deeper than everything it was made
   from.
2. Start at the output and always take the deepest node that has received a
   gradient. Every node that uses it is deeper, so it has already been taken
   and has delivered: the gradient is complete. Store it in `.grad`, then send
   `local gradient × g` down each input wire; gradients arriving at one node
   add up (forks). Nodes wait in buckets by depth, so there is no separate
   ordering walk and no recursion: a chain of a million gates is fine.
3. Once a node has sent its gradient on, mark it released (and drop what
   its gate saved) unless the caller keeps the graph (retain_graph): a later
   backward that reaches it raises instead of silently reusing it.
"""
import itertools

import numpy as np

from . import gates
from .gate import _WRAPPED, PASS, TIMES_A, TIMES_B, gate_error
from .mode import set_grad_enabled
from .value import NO, RELEASED, Value, raw

_ndarray = np.ndarray


def backward(root, grad=None, retain_graph=False, create_graph=False):
    """Backpropagate from `root`, adding d(root)/d(v) into `v.grad` for every
    Value v the pass reaches. See `Value.backward`."""
    _run(root, _seed(root, grad, create_graph), retain_graph or create_graph, create_graph)


def grad(output, inputs, grad_output=None, retain_graph=False, create_graph=False,
         allow_unused=False):
    """d(output)/d(input) for each of `inputs`, returned as a list; `.grad`
    is left untouched. With create_graph=True the results are Values that can
    be differentiated again (a Hessian-vector product is `grad` of
    `sum(grad(f, x, create_graph=True)[0] * v)`)."""
    single = isinstance(inputs, Value)
    inputs = [inputs] if single else list(inputs)
    captured = {v: None for v in inputs}
    _run(output, _seed(output, grad_output, create_graph), retain_graph or create_graph,
         create_graph, captured)
    result = [captured[v] for v in inputs]
    if not allow_unused and any(r is None for r in result):
        unused = [i for i, r in enumerate(result) if r is None]
        raise ValueError(f"grad: inputs {unused} are not reached by backward from the output "
                         f"(pass allow_unused=True to get None for them)")
    return result[0] if single else result


def _seed(root, grad, create_graph):
    if not isinstance(root, Value):
        raise TypeError(f"backward needs a Value, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError("backward: this Value does not require grad (it was computed from "
                           "constants only, or under no_grad)")
    if root._g is RELEASED:
        raise _released(root)
    if grad is None:
        if np.size(root.data) != 1:
            raise ValueError(f"backward: only a single-element output gets the implicit gradient 1; "
                             f"this output has shape {root.shape}: pass grad= an array of that shape")
        seed = 1.0 if isinstance(root.data, float) else np.ones_like(root.data)
    else:
        g = raw(grad)
        if np.shape(g) != root.shape:
            raise ValueError(f"backward: grad has shape {np.shape(g)} but the output has shape {root.shape}")
        try:
            seed = float(g) if isinstance(root.data, float) else np.array(g, dtype=root.dtype)
        except (TypeError, ValueError):
            raise TypeError(f"backward: grad must be numeric, got {type(g).__name__}") from None
    return Value(seed, requires_grad=False) if create_graph else seed


def _run(root, seed, retain_graph, create_graph, captured=None):
    # waiting[d]: the nodes of depth d that have received a gradient (None: none yet)
    waiting = [None] * (root._depth + 1)
    waiting[root._depth] = [root]
    root._g = seed
    done = None if retain_graph else RELEASED        # what a node's `_g` becomes once it has sent
    nodes = ()
    try:
        with set_grad_enabled(create_graph):
            # Deepest first: a node is deeper than each of its inputs, so by the
            # time the deepest waiting node is taken, every node that uses it has
            # sent its gradient: the gradient is complete. The loop is the hot
            # path of every backward, so the common cases are written out in it.
            for depth in range(root._depth, -1, -1):
                nodes = waiting[depth]
                if nodes is None:
                    continue
                waiting[depth] = None
                for node in nodes:
                    g = node._g
                    if captured is None:
                        grad = node.grad
                        node.grad = g if grad is None else grad + g
                    elif node in captured:
                        captured[node] = g
                    gate = node._gate
                    if gate is None:                              # a leaf: nothing below it
                        node._g = None
                        continue
                    a = node._a
                    b = node._b
                    try:
                        if create_graph or a is NO:               # parameters, 3+ operands, a cache
                            _send_general(node, gate, g, create_graph, retain_graph, waiting)
                        elif b is NO:                             # one Value operand
                            local = gate.vjps[0]
                            ga = g if local is PASS else local(g, node.data, a.data)
                            _deliver(a, ga if type(ga) is float else fit_gradient(ga, a, g), waiting)
                        else:
                            # Two Value operands, either may be a constant: the
                            # common case of every scalar circuit, _deliver written out.
                            out = node.data
                            x = a.data
                            y = b.data
                            if a._depth >= 0:
                                local = gate.vjps[0]
                                ga = (g if local is PASS else g * y if local is TIMES_B
                                      else local(g, out, x, y))
                                if type(ga) is not float:
                                    ga = fit_gradient(ga, a, g)
                                gathered = a._g
                                if gathered is None:
                                    a._g = ga
                                    bucket = waiting[a._depth]
                                    if bucket is None:
                                        waiting[a._depth] = [a]
                                    else:
                                        bucket.append(a)
                                elif gathered is RELEASED:
                                    raise _released(a)
                                else:
                                    a._g = gathered + ga
                            if b._depth >= 0:
                                local = gate.vjps[1]
                                gb = (g if local is PASS else g * x if local is TIMES_A
                                      else local(g, out, x, y))
                                if type(gb) is not float:
                                    gb = fit_gradient(gb, b, g)
                                gathered = b._g
                                if gathered is None:
                                    b._g = gb
                                    bucket = waiting[b._depth]
                                    if bucket is None:
                                        waiting[b._depth] = [b]
                                    else:
                                        bucket.append(b)
                                elif gathered is RELEASED:
                                    raise _released(b)
                                else:
                                    b._g = gathered + gb
                    except _WRAPPED as e:
                        stage = " (backward)"
                        if create_graph and isinstance(e, TypeError):
                            stage = (" (backward, create_graph=True: a local gradient that is to be "
                                     "differentiated again must use operators and gates, which accept "
                                     "Values, not numpy functions)")
                        raise gate_error(e, gate.name, node._inputs, stage) from None
                    node._g = done
    except BaseException:
        for node in itertools.chain(nodes, *filter(None, waiting)):   # no half-gathered gradient left
            if node._g is not RELEASED:
                node._g = None
        raise


def _released(v):
    return RuntimeError(
        f"backward: the graph through this '{v._gate.name}' gate was released by an earlier "
        f"backward; pass retain_graph=True to that first backward to backpropagate through "
        f"the same graph again")


def _deliver(v, gv, waiting):
    """Add gv into the gradient v is gathering; from its first gradient on, v
    waits at its depth."""
    gathered = v._g
    if gathered is None:
        v._g = gv
        bucket = waiting[v._depth]
        if bucket is None:
            waiting[v._depth] = [v]
        else:
            bucket.append(v)
    elif gathered is RELEASED:
        raise _released(v)
    else:
        v._g = gathered + gv


def _send_general(node, gate, g, create_graph, retain_graph, waiting):
    """Send g down the wires of any gate; under create_graph the local
    gradients get the operands as Values, so they build a graph themselves."""
    operands = node._inputs
    out = node._cache if gate.cached else node.data
    if create_graph:                                      # the backward pass becomes a graph
        if not gate.cached:
            out = node
        args = operands
    else:
        args = [v.data if isinstance(v, Value) else v for v in operands]
    for v, local in zip(operands, gate.vjps):            # parameters after the last: no gradient
        if isinstance(v, Value) and v._depth >= 0:
            _deliver(v, fit_gradient(g if local is PASS else local(g, out, *args), v, g), waiting)
    if gate.cached and not retain_graph:
        node._cache = None                                # what the gate saved is gone


def fit_gradient(grad, value, g=None):
    """Bring a gradient to its input's shape and dtype. The one place where
    broadcasting is undone: axes that broadcasting added or stretched are
    summed out. A leaf's gradient is copied if it could alias another array
    (`g` itself, or a view), so that `.grad` can be changed in place."""
    if type(grad) is float:
        return grad
    data = value.data
    if type(grad) is _ndarray and type(data) is _ndarray:     # the common case, spelled out
        if grad.shape != data.shape:
            grad = gates._sum_to(grad, data.shape)
        if grad.dtype != data.dtype:
            return grad.astype(data.dtype)
        if value._gate is None and (grad is g or grad.base is not None):
            return grad.copy()
        return grad
    shape = np.shape(data)
    if isinstance(grad, Value):                            # create_graph: summing is a gate too
        return gates.sum_to(grad, shape) if grad.shape != shape else grad
    if np.shape(grad) != shape:
        grad = gates._sum_to(grad, shape)
    if isinstance(data, float):                           # scalar circuits stay in Python floats
        return float(grad)
    if grad.dtype != data.dtype:                          # e.g. float32 input, float64 constant
        return grad.astype(data.dtype)
    if value._gate is None and type(grad) is _ndarray and (grad is g or grad.base is not None):
        return grad.copy()
    return grad
