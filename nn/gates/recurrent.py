"""The fused LSTM gate: a whole sequence through one LSTM layer as ONE gate,
forward and the closed-form backward through time side by side.

For each time step t, with the input x_t, the previous state (h, c) and
PyTorch's layout (W_ih (4H, I), W_hh (4H, H), gate order i, f, g, o):

    a = W_ih x_t + b_ih + W_hh h + b_hh            (4H numbers: four blocks of H)
    i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
    c' = f·c + i·g          h' = o·tanh(c')

Forward: the input's share W_ih x_t + b for all steps in one matmul, then a
loop over time steps, one matmul (W_hh h) per step. The output holds every
step's h and c, stacked: out[0] = h_1..h_T, out[1] = c_1..c_T (time-major
(2, T, B, H), or (2, B, T, H) with batch_first); the layer slices out its
output and (h_n, c_n).

Backward through time, from the last step to the first, with the gradients
dh, dc arriving at step t from above (g) and from step t + 1:

    dc   += dh·o·(1 - tanh²c')
    da_i = dc·g·i(1 - i)     da_f = dc·c·f(1 - f)
    da_g = dc·i·(1 - g²)     da_o = dh·tanh(c')·o(1 - o)
    dh_prev = W_hhᵀ da       dc_prev = dc·f

and, once every da is known, one matmul each: dW_ih = Σ_t da_tᵀ x_t,
dW_hh = Σ_t da_tᵀ h_{t-1}, db_ih = db_hh = Σ_t da_t, dx_t = W_ihᵀ da_t.
The backward is first order (numpy): under create_graph=True use the
composed cell (nn.LSTM(..., fused=False)), written with the engine's gates.
"""
import numpy as np

from autograd import Gate, Value


def _step(batch_first):
    """a[t] along the time axis: axis 0, or axis 1 with batch_first."""
    return (lambda a, t: a[:, t]) if batch_first else (lambda a, t: a[t])


def _sigmoid_(a):
    """σ(a) in place, as ½·tanh(½a) + ½ (one transcendental, never overflows)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, batch_first):
    dtype = np.result_type(*(v for v in (x, h0, c0, w_ih, w_hh, b_ih, b_hh) if v is not None))
    hidden = w_hh.shape[1]
    at = _step(batch_first)
    steps = x.shape[1 if batch_first else 0]
    acts = np.matmul(x, w_ih.T, dtype=dtype)          # the inputs' share, all steps at once
    if b_ih is not None:
        acts += (b_ih + b_hh).astype(dtype, copy=False)
    out = np.empty((2,) + acts.shape[:-1] + (hidden,), dtype)
    hs, cs = out[0], out[1]
    tanh_cs = np.empty_like(cs)
    w_hh_t = w_hh.T.astype(dtype, copy=False)
    h, c = h0.astype(dtype, copy=False), c0.astype(dtype, copy=False)
    for t in range(steps):
        a = at(acts, t)                               # becomes the activations i, f, g, o in place
        a += h @ w_hh_t
        _sigmoid_(a[:, :2 * hidden])
        np.tanh(a[:, 2 * hidden:3 * hidden], out=a[:, 2 * hidden:3 * hidden])
        _sigmoid_(a[:, 3 * hidden:])
        i, f, g, o = a[:, :hidden], a[:, hidden:2 * hidden], a[:, 2 * hidden:3 * hidden], a[:, 3 * hidden:]
        c_new, tc, h_new = at(cs, t), at(tanh_cs, t), at(hs, t)
        np.multiply(f, c, out=c_new)
        c_new += i * g
        np.tanh(c_new, out=tc)
        np.multiply(o, tc, out=h_new)
        h, c = h_new, c_new
    return out, {"acts": acts, "tanh_cs": tanh_cs, "out": out}


def _previous(states, first, batch_first):
    """h_{t-1} (or c_{t-1}) for every step: the initial state, then the states but the last."""
    axis = 1 if batch_first else 0
    return np.concatenate([np.expand_dims(first.astype(states.dtype, copy=False), axis),
                           states[:, :-1] if batch_first else states[:-1]], axis=axis)


def _backward_through_time(g, cache, x, h0, c0, w_ih, w_hh, b_ih, b_hh, batch_first):
    """Every input's gradient at once (dx, dh0, dc0, dW_ih, dW_hh, db_ih, db_hh),
    computed by the first local gradient asked for and kept for the others."""
    if cache.get("g") is g:
        return cache["grads"]
    if isinstance(g, Value):
        raise TypeError("the fused LSTM gate's backward is first order only: for create_graph=True "
                        "use the composed cell, nn.LSTM(..., fused=False)")
    acts, tanh_cs, (hs, cs) = cache["acts"], cache["tanh_cs"], cache["out"]
    hidden = w_hh.shape[1]
    at = _step(batch_first)
    c_prev_all = _previous(cs, c0, batch_first)
    d_acts = np.empty_like(acts)
    w_hh_d = w_hh.astype(acts.dtype, copy=False)
    dh_next = np.zeros_like(h0, dtype=acts.dtype)
    dc_next = np.zeros_like(c0, dtype=acts.dtype)
    for t in range(acts.shape[1 if batch_first else 0] - 1, -1, -1):
        a = at(acts, t)
        i, f, gg, o = a[:, :hidden], a[:, hidden:2 * hidden], a[:, 2 * hidden:3 * hidden], a[:, 3 * hidden:]
        tc = at(tanh_cs, t)
        dh = at(g[0], t) + dh_next
        dc = at(g[1], t) + dc_next
        dc += dh * o * (1 - tc * tc)
        da = at(d_acts, t)
        np.multiply(dc * gg, i * (1 - i), out=da[:, :hidden])
        np.multiply(dc * at(c_prev_all, t), f * (1 - f), out=da[:, hidden:2 * hidden])
        np.multiply(dc * i, 1 - gg * gg, out=da[:, 2 * hidden:3 * hidden])
        np.multiply(dh * tc, o * (1 - o), out=da[:, 3 * hidden:])
        dh_next = da @ w_hh_d
        dc_next = dc * f
    da2 = d_acts.reshape(-1, 4 * hidden)
    h_prev = _previous(hs, h0, batch_first).reshape(-1, hidden)
    db = da2.sum(axis=0) if b_ih is not None else None
    grads = (d_acts @ w_ih.astype(acts.dtype, copy=False),      # dx
             dh_next, dc_next,                                   # dh0, dc0
             da2.T @ x.reshape(-1, x.shape[-1]).astype(acts.dtype, copy=False),   # dW_ih
             da2.T @ h_prev,                                     # dW_hh
             db, db)
    cache["g"], cache["grads"] = g, grads
    return grads


def _input_grad(k):
    def local(g, cache, *inputs):
        return _backward_through_time(g, cache, *inputs)[k]
    return local


def _lstm_onnx(node, x, h0, c0, w_ih, w_hh, b_ih, b_hh, batch_first):
    """The sequence unrolled into ONNX nodes, step by step as the forward above
    (one MatMul for the inputs' share of every step, then per step a MatMul,
    Split into i, f, g, o, Sigmoid/Tanh, c' = f·c + i·g, h' = o·tanh(c')), so the
    output holds every step's h and c. A zero initial state (the default) is
    made in the graph to the batch's size, so the batch can change."""
    hidden, time = node.shape(w_hh)[1], 1 if batch_first else 0
    batch = 1 - time

    def state(s):
        if node.value(s) is None or np.any(node.value(s)):
            return s
        size = node("Concat", node("Gather", node("Shape", x), node.ints([batch])), node.ints([hidden]), axis=0)
        return node("ConstantOfShape", size, value=np.zeros(1, node.float_dtype))

    xw = node("MatMul", x, node("Transpose", w_ih))
    if b_ih is not None:
        xw = node("Add", xw, node("Add", b_ih, b_hh))
    w_hh_t = node("Transpose", w_hh)
    h, c, hs, cs = state(h0), state(c0), [], []
    for t in range(node.shape(x)[time]):
        a = node("Add", node("Gather", xw, node.constant(np.array(t)), axis=time), node("MatMul", h, w_hh_t))
        i, f, g, o = node("Split", a, node.ints([hidden] * 4), axis=-1, outputs=4)
        c = node("Add", node("Mul", node("Sigmoid", f), c), node("Mul", node("Sigmoid", i), node("Tanh", g)))
        h = node("Mul", node("Sigmoid", o), node("Tanh", c))
        hs.append(node("Unsqueeze", h, node.ints([0, time + 1])))
        cs.append(node("Unsqueeze", c, node.ints([0, time + 1])))
    return node("Concat", node("Concat", *hs, axis=time + 1), node("Concat", *cs, axis=time + 1), axis=0)


lstm = Gate("lstm", _lstm, *(_input_grad(k) for k in range(7)), cached=True, onnx=_lstm_onnx,
            doc="a whole sequence through an LSTM layer: a = W_ih x_t + b_ih + W_hh h + b_hh, "
                "i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g), c' = f·c + i·g, h' = o·tanh(c'); "
                "out = (h_1..h_T, c_1..c_T) stacked;  backward through time in closed form: "
                "dc += dh·o·(1 - tanh²c'), da_i = dc·g·i(1-i), da_f = dc·c·f(1-f), da_g = dc·i(1-g²), "
                "da_o = dh·tanh(c')·o(1-o), dh_prev = W_hhᵀ da, dc_prev = dc·f")
