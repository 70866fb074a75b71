"""The backward pass: the chain rule applied gate by gate, from the output back.

1. Every node knows its depth: a leaf's is 0 (LEAF), a gate's output is one
   deeper than its deepest input. So a node is deeper than everything it was
   made from, and shallower than everything made from it.
2. Start at the output, and always take the deepest node that holds a
   gradient. Every node that uses it is deeper, so it has been taken already
   and has delivered its share: the gradient is complete. Keep it in `.grad`,
   ask the node's gate for its local gradients, and deliver g times each one
   down the input wires; gradients arriving at one node add up (forks). Nodes
   wait in buckets by depth: no separate ordering walk and no recursion, so a
   chain of a million gates is fine.
3. Once a node has sent its gradient on, release it (and what its gate saved)
   unless the caller keeps the graph (retain_graph): a later backward that
   reaches it raises instead of silently reusing a graph that is gone.
4. A gate's local gradients read its inputs' data as it is now. So a node one
   of whose inputs was written (copy_, `.data =`) after the node was made
   raises too: the gradient would be computed at the new numbers.
"""
import itertools

import numpy as np

from . import gates
from .arraylike import writes, written_after
from .gate import _ERRORS, _all_finite, anomaly, gate_error, raw
from .mode import anomaly_detection, set_grad_enabled
from .value import CONSTANT, LEAF, RELEASED, Value


def backward(root, grad=None, retain_graph=False, create_graph=False):
    """Backpropagate from `root`, adding d(root)/d(v) into `v.grad` for every
    Value v the pass reaches. See `Value.backward`."""
    run(root, seed(root, grad, create_graph), retain_graph or create_graph, create_graph)


def grad(output, inputs, grad_output=None, retain_graph=False, create_graph=False,
         allow_unused=False):
    """d(output)/d(input) for each of `inputs`, returned as a list; `.grad` is
    left untouched. With create_graph=True the results are Values that can be
    differentiated again (a Hessian-vector product is `grad` of
    `sum(grad(f, x, create_graph=True)[0] * v)`)."""
    single = isinstance(inputs, Value)
    inputs = [inputs] if single else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: the inputs must be Values, input {i} is a {type(x).__name__}")
    captured = {x: None for x in inputs}
    run(output, seed(output, grad_output, create_graph), retain_graph or create_graph, create_graph,
        captured)
    result = [captured[x] for x in inputs]
    if not allow_unused and any(r is None for r in result):
        unused = [i for i, r in enumerate(result) if r is None]
        raise ValueError(f"grad: inputs {unused} are not reached by backward from the output "
                         f"(pass allow_unused=True to get None for them)")
    return result[0] if single else result


def run(root, seed, keep_graph, create_graph, captured=None):
    """The backward pass from `root` with the gradient `seed`. Each node's
    complete gradient goes into its `.grad`, or, for the nodes of `captured`
    (autograd.grad), into `captured[node]` and nowhere else."""
    waiting = [None] * (root._depth + 1)     # waiting[d]: the nodes of depth d that hold a gradient
    waiting[root._depth] = [root]
    root._grad_so_far = seed
    sent = None if keep_graph else RELEASED  # what a node's _grad_so_far becomes once it has sent on
    check = anomaly_detection()              # detect_anomaly: every gradient sent is checked
    try:
        with set_grad_enabled(create_graph):
            for depth in range(root._depth, LEAF - 1, -1):          # deepest first
                nodes, waiting[depth] = waiting[depth], None
                for node in nodes or ():
                    g = node._grad_so_far     # complete: every node using it is deeper, and has sent
                    if captured is None:
                        node.grad = g if node.grad is None else node.grad + g
                    elif node in captured:
                        captured[node] = g
                    gate = node._gate
                    if gate is None:          # a leaf: the gradient stops here
                        node._grad_so_far = None
                        continue
                    if node._born < writes[0]:   # something was written since this node was made
                        refuse_written(node)
                    node._grad_so_far = sent
                    a, b = node._left, node._right
                    if b is None or create_graph:
                        for x, gx in local_gradients(node, g, create_graph):
                            if check and not _all_finite(raw(gx)):
                                raise anomaly(gate, f"the gradient for an input ({x.dtype} {x.shape})",
                                              "backward", node.inputs, node.scope)
                            deliver(x, gx, waiting)
                        if gate.cached and not keep_graph:
                            node._saved = None    # what the gate saved is gone with the graph
                        continue
                    # ---- the fast path: the same for a gate of two Values, spelled out.
                    # local_gradients() and deliver() cost four Python calls and two
                    # lists per node: micrograd's demo takes 2.1x as long with them.
                    grad_a, grad_b = gate.local_grads
                    out, x, y = node._data, a._data, b._data
                    try:
                        if a._depth != CONSTANT:
                            ga = grad_a(g, out, x, y)
                            if type(ga) is not float:
                                ga = fit_gradient(ga, a, g)
                            if check and not _all_finite(ga):
                                raise anomaly(gate, "the gradient for input 0", "backward", (a, b), node.scope)
                            so_far = a._grad_so_far                  # deliver(a, ga)
                            if so_far is None:
                                a._grad_so_far = ga
                                bucket = waiting[a._depth]
                                if bucket is None:
                                    waiting[a._depth] = [a]
                                else:
                                    bucket.append(a)
                            elif so_far is RELEASED:
                                raise released(a)
                            else:
                                a._grad_so_far = so_far + ga
                        if b._depth != CONSTANT:
                            gb = grad_b(g, out, x, y)
                            if type(gb) is not float:
                                gb = fit_gradient(gb, b, g)
                            if check and not _all_finite(gb):
                                raise anomaly(gate, "the gradient for input 1", "backward", (a, b), node.scope)
                            so_far = b._grad_so_far                  # deliver(b, gb)
                            if so_far is None:
                                b._grad_so_far = gb
                                bucket = waiting[b._depth]
                                if bucket is None:
                                    waiting[b._depth] = [b]
                                else:
                                    bucket.append(b)
                            elif so_far is RELEASED:
                                raise released(b)
                            else:
                                b._grad_so_far = so_far + gb
                    except _ERRORS as e:
                        raise gate_error(e, gate.name, (a, b), " (backward)") from None
    except BaseException:
        for node in itertools.chain.from_iterable(filter(None, waiting)):
            if node._grad_so_far is not RELEASED:
                node._grad_so_far = None      # no half-gathered gradient is left behind
        raise


def local_gradients(node, g, create_graph):
    """(input, gradient) for each input of `node` that needs a gradient: what
    the node's gate says, g times its local gradient, in the input's shape.
    Under create_graph the local gradients get Values, and build a graph."""
    gate, inputs = node._gate, node.inputs
    if create_graph:
        out, args = (node._saved if gate.cached else node), inputs
    else:
        out, args = (node._saved if gate.cached else node._data), [raw(x) for x in inputs]
    sent = []
    for x, local in zip(inputs, gate.local_grads):      # parameters after the last: no gradient
        if isinstance(x, Value) and x._depth != CONSTANT:
            try:
                gx = local(g, out, *args)
            except _ERRORS as e:
                raise gate_error(e, gate.name, inputs, _stage(create_graph, e)) from None
            sent.append((x, fit_gradient(gx, x, g)))
    return sent


def deliver(x, gx, waiting):
    """Add gx into the gradient x is gathering; with its first gradient, x
    starts waiting at its depth."""
    so_far = x._grad_so_far
    if so_far is None:
        x._grad_so_far = gx
        bucket = waiting[x._depth]
        if bucket is None:
            waiting[x._depth] = [x]
        else:
            bucket.append(x)
    elif so_far is RELEASED:
        raise released(x)
    else:
        x._grad_so_far = so_far + gx


def seed(root, grad, create_graph):
    """The gradient that starts the pass: 1 for a single-element root, else `grad`."""
    if not isinstance(root, Value):
        raise TypeError(f"backward needs a Value, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError("backward: this Value does not require grad (it was computed from "
                           "constants only, or under no_grad)")
    if root._grad_so_far is RELEASED:
        raise released(root)
    if grad is None:
        if np.size(root._data) != 1:
            raise ValueError(f"backward: only a single-element output gets the implicit gradient 1; "
                             f"this output has shape {root.shape}: pass grad= an array of that shape")
        first = 1.0 if type(root._data) is float else np.ones_like(root._data)
    else:
        g = raw(grad)
        if not isinstance(g, (int, float, np.ndarray, np.generic)) or isinstance(g, bool):
            raise TypeError(f"backward: grad must be a number or a numeric array, got {type(g).__name__}")
        if np.shape(g) != root.shape:
            raise ValueError(f"backward: grad has shape {np.shape(g)} but the output has shape {root.shape}")
        if np.asarray(g).dtype.kind not in "iuf":
            raise TypeError(f"backward: grad must be numeric, got dtype {np.asarray(g).dtype}")
        first = float(g) if type(root._data) is float else np.array(g, dtype=root.dtype)
    return Value(first, requires_grad=False) if create_graph else first


def fit_gradient(gx, x, g=None):
    """Bring a gradient to its input's shape and dtype: the one place where
    broadcasting is undone (axes that broadcasting added or stretched are
    summed out). A leaf gets a copy when the gradient could alias another
    array (g itself, or a view), so that `.grad` can be changed in place."""
    data = x._data
    if type(gx) is float:
        return gx
    if isinstance(gx, Value):                        # create_graph: summing is a gate too
        return gates.sum_to(gx, np.shape(data)) if gx.shape != np.shape(data) else gx
    shape = data.shape if type(data) is np.ndarray else np.shape(data)
    if np.shape(gx) != shape:
        if not _fits(np.shape(gx), shape):
            raise ValueError(
                f"backward: a gradient of shape {np.shape(gx)} does not fit {_name(x)} of shape {shape}")
        gx = gates._sum_to(gx, shape)
    if type(data) is float:                           # scalar circuits stay in Python floats
        return float(gx)
    gx = np.asarray(gx)
    if gx.dtype != data.dtype:                       # e.g. a float32 input, a float64 constant
        return gx.astype(data.dtype)
    if x._gate is None and (gx is g or gx.base is not None):
        return gx.copy()
    return gx


def _fits(grad_shape, shape):
    """True when `shape` broadcasts to `grad_shape`: its gradient can be summed back."""
    return len(shape) <= len(grad_shape) and all(
        n == 1 or n == m for n, m in zip(shape[::-1], grad_shape[::-1]))


def released(x):
    """The error for a backward that reaches a node whose graph was released."""
    return RuntimeError(f"backward: the graph through this '{x.op}' gate was released by an earlier "
                        f"backward; pass retain_graph=True to that first backward to backpropagate "
                        f"through the same graph again")


def refuse_written(node):
    """Raise when an input of `node` was written (copy_, `.data =`) after its
    gate used it: the local gradients would read the new numbers."""
    for x in node.inputs:
        if isinstance(x, Value) and written_after(x, node._born):
            raise RuntimeError(f"backward: {_name(x)} ({x.dtype} {x.shape}) was written (copy_, or .data =) "
                               f"after the '{node._gate.name}' gate used it, so the gate's gradients would be "
                               f"computed at the new numbers: run the forward pass again after the write (an "
                               f"optimizer steps after backward)")


def _name(x):
    return f"the Value {x.label!r}" if x.label else f"a '{x.op}' gate's output" if x.op else "a leaf"


def _stage(create_graph, e):
    if create_graph and isinstance(e, TypeError):
        return (" (backward, create_graph=True: a local gradient that is to be differentiated again "
                "must use operators and gates, which accept Values, not numpy functions)")
    return " (backward)"
