"""The fused recurrent gates: a whole sequence through one LSTM, GRU or RNN
layer as ONE gate, forward and the closed-form backward through time side by
side. The LSTM first; the GRU and the Elman RNN below follow the same plan.

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
composed cells (nn.LSTM(..., fused=False)), written with the engine's gates.
The first local gradient asked for computes every input's gradient and keeps
them for the others (one pass backward through time, not one per input).
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
    acts = _rows_times(x.astype(dtype, copy=False), w_ih.T.astype(dtype, copy=False))   # all steps at once
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


def _rows_times(a, w):
    """a (..., k) @ w (k, m) as ONE matrix product over all leading axes (numpy's
    matmul of a 3-D array makes one small product per batch item)."""
    return np.matmul(a.reshape(-1, a.shape[-1]), w).reshape(a.shape[:-1] + (w.shape[1],))


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
    grads = (_rows_times(d_acts, w_ih.astype(acts.dtype, copy=False)),      # dx
             dh_next, dc_next,                                   # dh0, dc0
             da2.T @ x.reshape(-1, x.shape[-1]).astype(acts.dtype, copy=False),   # dW_ih
             da2.T @ h_prev,                                     # dW_hh
             db, None if db is None else db.copy())          # two parameters: two arrays
    cache["g"], cache["grads"] = g, grads
    return grads


def _part(backward, k):
    """The local gradient of input k: its part of what `backward` computes for
    every input at once (the first call computes, the others read the cache)."""
    def local(g, cache, *inputs):
        return backward(g, cache, *inputs)[k]
    return local


# ---------------------------------------------------------------- ONNX: the sequence unrolled
# Each recurrent gate is written as the steps of its forward, one ONNX node per
# operation (one MatMul for the inputs' share of every step, then per step a
# MatMul, Split into the gate blocks, Sigmoid/Tanh, ...), so the output holds
# every step's state, as the gate's. A zero initial state (the default) is
# made in the graph to the batch's size, so the batch can change.
def _inputs_share(node, x, w_ih, bias):
    xw = node("MatMul", x, node("Transpose", w_ih))
    return xw if bias is None else node("Add", xw, bias)


def _steps(node, x, time):
    """The number of time steps to unroll; the time axis must not be the symbolic batch."""
    if time in node.batch_axes_of(x):
        raise ValueError("the sequence is unrolled over its time steps, so its time axis cannot be the batch: "
                         "put the batch first (batch_first=True), or export with dynamic_batch=False")
    return node.shape(x)[time]


def _initial(node, x, state, batch_first, hidden):
    if node.value(state) is None or np.any(node.value(state)):
        return state
    size = node("Concat", node("Gather", node("Shape", x), node.ints([0 if batch_first else 1])),
                node.ints([hidden]), axis=0)
    return node("ConstantOfShape", size, value=np.zeros(1, node.float_dtype))


def _stacked(node, states, batch_first):
    """The steps' states (B, H) as one (T, B, H) (or (B, T, H)) tensor."""
    time = 1 if batch_first else 0
    return node("Concat", *(node("Unsqueeze", h, node.ints([time])) for h in states), axis=time)


def _lstm_onnx(node, x, h0, c0, w_ih, w_hh, b_ih, b_hh, batch_first):
    hidden, time = node.shape(w_hh)[1], 1 if batch_first else 0
    xw = _inputs_share(node, x, w_ih, None if b_ih is None else node("Add", b_ih, b_hh))
    w_hh_t = node("Transpose", w_hh)
    h, c, hs, cs = _initial(node, x, h0, batch_first, hidden), _initial(node, x, c0, batch_first, hidden), [], []
    for t in range(_steps(node, x, time)):
        a = node("Add", node("Gather", xw, node.constant(np.array(t)), axis=time), node("MatMul", h, w_hh_t))
        i, f, g, o = node("Split", a, node.ints([hidden] * 4), axis=-1, outputs=4)
        c = node("Add", node("Mul", node("Sigmoid", f), c), node("Mul", node("Sigmoid", i), node("Tanh", g)))
        h = node("Mul", node("Sigmoid", o), node("Tanh", c))
        hs.append(h), cs.append(c)
    both = [node("Unsqueeze", _stacked(node, states, batch_first), node.ints([0])) for states in (hs, cs)]
    return node("Concat", *both, axis=0)


lstm = Gate("lstm", _lstm, *(_part(_backward_through_time, k) for k in range(7)), cached=True, onnx=_lstm_onnx,
            doc="a whole sequence through an LSTM layer: a = W_ih x_t + b_ih + W_hh h + b_hh, "
                "i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g), c' = f·c + i·g, h' = o·tanh(c'); "
                "out = (h_1..h_T, c_1..c_T) stacked;  backward through time in closed form: "
                "dc += dh·o·(1 - tanh²c'), da_i = dc·g·i(1-i), da_f = dc·c·f(1-f), da_g = dc·i(1-g²), "
                "da_o = dh·tanh(c')·o(1-o), dh_prev = W_hhᵀ da, dc_prev = dc·f")


# ---------------------------------------------------------------- the GRU, the same way
# r = σ(xw_r + hw_r)   z = σ(xw_z + hw_z)   n = tanh(xw_n + r·hw_n)   h' = (1 - z)·n + z·h
# with xw = W_ih x_t + b_ih (all steps in one matmul) and hw = W_hh h + b_hh (one matmul a step).
# Backward, with dh arriving at step t:
#     dn = dh·(1 - z)    dz = dh·(h - n)    da_n = dn·(1 - n²)    dr = da_n·hw_n
#     dxw = (dr·r(1 - r), dz·z(1 - z), da_n)      dhw = (the same r and z blocks, da_n·r)
#     dh_prev = dh·z + W_hhᵀ dhw
def _gru(x, h0, w_ih, w_hh, b_ih, b_hh, batch_first):
    dtype = np.result_type(*(v for v in (x, h0, w_ih, w_hh, b_ih, b_hh) if v is not None))
    hidden = w_hh.shape[1]
    at = _step(batch_first)
    acts = _rows_times(x.astype(dtype, copy=False), w_ih.T.astype(dtype, copy=False))   # xw, then r, z, n
    if b_ih is not None:
        acts += b_ih.astype(dtype, copy=False)
    out = np.empty(acts.shape[:-1] + (hidden,), dtype)
    hw_n = np.empty_like(out)                          # W_hn h + b_hn of every step, for backward
    w_hh_t = w_hh.T.astype(dtype, copy=False)
    b_hh = None if b_hh is None else b_hh.astype(dtype, copy=False)
    h = h0.astype(dtype, copy=False)
    for t in range(x.shape[1 if batch_first else 0]):
        a, hw = at(acts, t), h @ w_hh_t
        if b_hh is not None:
            hw += b_hh
        a[:, :2 * hidden] += hw[:, :2 * hidden]
        _sigmoid_(a[:, :2 * hidden])
        r, z, n = a[:, :hidden], a[:, hidden:2 * hidden], a[:, 2 * hidden:]
        at(hw_n, t)[...] = hw[:, 2 * hidden:]
        n += r * hw[:, 2 * hidden:]
        np.tanh(n, out=n)
        h_new = at(out, t)
        np.subtract(h, n, out=h_new)                    # h' = n + z·(h - n)
        h_new *= z
        h_new += n
        h = h_new
    return out, {"acts": acts, "hw_n": hw_n, "out": out}


def _gru_backward(g, cache, x, h0, w_ih, w_hh, b_ih, b_hh, batch_first):
    """Every input's gradient at once (dx, dh0, dW_ih, dW_hh, db_ih, db_hh), kept for the other inputs."""
    if cache.get("g") is g:
        return cache["grads"]
    if isinstance(g, Value):
        raise TypeError("the fused GRU gate's backward is first order only: for create_graph=True "
                        "use the composed cell, nn.GRU(..., fused=False)")
    acts, hw_n, hs = cache["acts"], cache["hw_n"], cache["out"]
    hidden = w_hh.shape[1]
    at = _step(batch_first)
    h_prev = _previous(hs, h0, batch_first)
    d_xw, d_hw = np.empty_like(acts), np.empty_like(acts)
    w_hh_d = w_hh.astype(acts.dtype, copy=False)
    dh_next = np.zeros_like(h0, dtype=acts.dtype)
    for t in range(acts.shape[1 if batch_first else 0] - 1, -1, -1):
        a = at(acts, t)
        r, z, n = a[:, :hidden], a[:, hidden:2 * hidden], a[:, 2 * hidden:]
        dh = at(g, t) + dh_next
        dxw, dhw = at(d_xw, t), at(d_hw, t)
        da_n = dxw[:, 2 * hidden:]
        np.multiply(dh * (1 - z), 1 - n * n, out=da_n)
        np.multiply(da_n * at(hw_n, t), r * (1 - r), out=dxw[:, :hidden])
        np.multiply(dh * (at(h_prev, t) - n), z * (1 - z), out=dxw[:, hidden:2 * hidden])
        dhw[:, :2 * hidden] = dxw[:, :2 * hidden]
        np.multiply(da_n, r, out=dhw[:, 2 * hidden:])
        dh_next = dh * z
        dh_next += dhw @ w_hh_d
    dxw2, dhw2 = d_xw.reshape(-1, 3 * hidden), d_hw.reshape(-1, 3 * hidden)
    grads = (_rows_times(d_xw, w_ih.astype(acts.dtype, copy=False)), dh_next,
             dxw2.T @ x.reshape(-1, x.shape[-1]).astype(acts.dtype, copy=False),
             dhw2.T @ h_prev.reshape(-1, hidden),
             None if b_ih is None else dxw2.sum(axis=0), None if b_hh is None else dhw2.sum(axis=0))
    cache["g"], cache["grads"] = g, grads
    return grads


def _gru_onnx(node, x, h0, w_ih, w_hh, b_ih, b_hh, batch_first):
    hidden, time = node.shape(w_hh)[1], 1 if batch_first else 0
    xw, w_hh_t = _inputs_share(node, x, w_ih, b_ih), node("Transpose", w_hh)
    h, hs = _initial(node, x, h0, batch_first, hidden), []
    for t in range(_steps(node, x, time)):
        xr, xz, xn = node("Split", node("Gather", xw, node.constant(np.array(t)), axis=time),
                          node.ints([hidden] * 3), axis=-1, outputs=3)
        hw = node("MatMul", h, w_hh_t)
        hr, hz, hn = node("Split", hw if b_hh is None else node("Add", hw, b_hh), node.ints([hidden] * 3),
                          axis=-1, outputs=3)
        r, z = node("Sigmoid", node("Add", xr, hr)), node("Sigmoid", node("Add", xz, hz))
        n = node("Tanh", node("Add", xn, node("Mul", r, hn)))
        h = node("Add", n, node("Mul", z, node("Sub", h, n)))           # h' = n + z·(h - n)
        hs.append(h)
    return _stacked(node, hs, batch_first)


gru = Gate("gru", _gru, *(_part(_gru_backward, k) for k in range(6)), cached=True, onnx=_gru_onnx,
           doc="a whole sequence through a GRU layer: xw = W_ih x_t + b_ih, hw = W_hh h + b_hh, "
               "r, z = σ(xw_r + hw_r, xw_z + hw_z), n = tanh(xw_n + r·hw_n), h' = (1 - z)·n + z·h; "
               "out = h_1..h_T;  backward through time in closed form: dn = dh·(1-z), dz = dh·(h-n), "
               "da_n = dn·(1-n²), dr = da_n·hw_n, dh_prev = dh·z + W_hhᵀ dhw")


# ---------------------------------------------------------------- the Elman RNN
# h' = tanh(a) (or relu(a)), a = W_ih x_t + b_ih + W_hh h + b_hh;  da = dh·(1 - h'²) (or dh·[h' > 0]),
# dh_prev = W_hhᵀ da.
def _rnn(x, h0, w_ih, w_hh, b_ih, b_hh, relu, batch_first):
    dtype = np.result_type(*(v for v in (x, h0, w_ih, w_hh, b_ih, b_hh) if v is not None))
    at = _step(batch_first)
    out = _rows_times(x.astype(dtype, copy=False), w_ih.T.astype(dtype, copy=False))    # xw, then h in place
    if b_ih is not None:
        out += (b_ih + b_hh).astype(dtype, copy=False)
    w_hh_t = w_hh.T.astype(dtype, copy=False)
    h = h0.astype(dtype, copy=False)
    for t in range(x.shape[1 if batch_first else 0]):
        a = at(out, t)
        a += h @ w_hh_t
        if relu:
            np.maximum(a, 0, out=a)
        else:
            np.tanh(a, out=a)
        h = a
    return out, {"out": out}


def _rnn_backward(g, cache, x, h0, w_ih, w_hh, b_ih, b_hh, relu, batch_first):
    """Every input's gradient at once (dx, dh0, dW_ih, dW_hh, db_ih, db_hh), kept for the other inputs."""
    if cache.get("g") is g:
        return cache["grads"]
    if isinstance(g, Value):
        raise TypeError("the fused RNN gate's backward is first order only: for create_graph=True "
                        "use the composed cell, nn.RNN(..., fused=False)")
    hs = cache["out"]
    at = _step(batch_first)
    d_acts = np.empty_like(hs)
    w_hh_d = w_hh.astype(hs.dtype, copy=False)
    dh_next = np.zeros_like(h0, dtype=hs.dtype)
    for t in range(hs.shape[1 if batch_first else 0] - 1, -1, -1):
        h, da = at(hs, t), at(d_acts, t)
        np.add(at(g, t), dh_next, out=da)
        if relu:
            da *= h > 0
        else:
            da *= 1 - h * h
        dh_next = da @ w_hh_d
    hidden = w_hh.shape[1]
    da2 = d_acts.reshape(-1, hidden)
    db = None if b_ih is None else da2.sum(axis=0)
    grads = (_rows_times(d_acts, w_ih.astype(hs.dtype, copy=False)), dh_next,
             da2.T @ x.reshape(-1, x.shape[-1]).astype(hs.dtype, copy=False),
             da2.T @ _previous(hs, h0, batch_first).reshape(-1, hidden), db, None if db is None else db.copy())
    cache["g"], cache["grads"] = g, grads
    return grads


def _rnn_onnx(node, x, h0, w_ih, w_hh, b_ih, b_hh, relu, batch_first):
    hidden, time = node.shape(w_hh)[1], 1 if batch_first else 0
    xw = _inputs_share(node, x, w_ih, None if b_ih is None else node("Add", b_ih, b_hh))
    w_hh_t = node("Transpose", w_hh)
    h, hs = _initial(node, x, h0, batch_first, hidden), []
    for t in range(_steps(node, x, time)):
        a = node("Add", node("Gather", xw, node.constant(np.array(t)), axis=time), node("MatMul", h, w_hh_t))
        h = node("Relu" if relu else "Tanh", a)
        hs.append(h)
    return _stacked(node, hs, batch_first)


rnn = Gate("rnn", _rnn, *(_part(_rnn_backward, k) for k in range(6)), cached=True, onnx=_rnn_onnx,
           doc="a whole sequence through an Elman RNN layer: h' = tanh(W_ih x_t + b_ih + W_hh h + b_hh) "
               "(or relu); out = h_1..h_T;  backward through time in closed form: da = dh·(1 - h'²) "
               "(relu: dh·[h' > 0]), dh_prev = W_hhᵀ da, dW_hh = Σ da h_prevᵀ, dW_ih = Σ da xᵀ")
