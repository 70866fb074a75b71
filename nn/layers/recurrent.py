"""Recurrent layers with PyTorch's names, layouts and initialisation: RNN, LSTM,
GRU over whole sequences, and RNNCell, LSTMCell, GRUCell for one step.

A recurrent layer applies the same cell at every time step, carrying a state:

    RNN    h' = tanh(W_ih x + b_ih + W_hh h + b_hh)                 (or relu)
    LSTM   i, f, g, o = σ, σ, tanh, σ of the four blocks of W_ih x + b_ih + W_hh h + b_hh
           c' = f·c + i·g        h' = o·tanh(c')
    GRU    r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
           n = tanh(W_in x + b_in + r·(W_hn h + b_hn))     h' = (1 - z)·n + z·h

Weights are PyTorch's: W_ih (gates·H, I) and W_hh (gates·H, H) hold the gate
blocks stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n), named
weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} for layer k (the
cells: weight_ih, weight_hh, bias_ih, bias_hh), all drawn from U(-1/√H, 1/√H):
a PyTorch state_dict converted to numpy loads as it is.

The cells are composed of the engine's own gates (matmul, add, sigmoid, tanh,
mul, getitem), so `autograd.draw` shows a step as the circuit it is and
create_graph=True works through it. nn.RNN, nn.LSTM and nn.GRU run each layer
as one fused gate (nn.gates.rnn, lstm, gru: the whole sequence, backward
through time in closed form) unless built with fused=False, which composes
every step of the engine's gates instead: the same numbers, a circuit to draw
and to differentiate twice, several times slower (benchmarks/sequences.py).

Truncated backpropagation through time: carry the state over to the next
batch detached, `h = h.detach()` (for an LSTM both h and c), so backward stops there.
"""
import math

import numpy as np

from autograd import gates as engine
from autograd import raw

from .. import checks, init
from .. import functional as F
from .. import gates
from ..module import Module, Parameter

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}    # blocks of H rows in W_ih and W_hh


# ---------------------------------------------------------------- one step, composed of the engine's gates
def _block(a, k, hidden):
    """The k-th block of H numbers of a (..., blocks·H) pre-activation."""
    return engine.getitem(a, (Ellipsis, slice(k * hidden, (k + 1) * hidden)))


def _hidden_part(h, w_hh, b_hh):
    """W_hh h + b_hh, for a batch of states h (..., H)."""
    a = engine.matmul(h, engine.transpose(w_hh, None))
    return a if b_hh is None else engine.add(a, b_hh)


def input_part(x, w_ih, b_ih):
    """W_ih x + b_ih for inputs x (..., I): every time step at once when x is a sequence."""
    a = engine.matmul(x, engine.transpose(w_ih, None))
    return a if b_ih is None else engine.add(a, b_ih)


def rnn_step(xw, h, w_hh, b_hh, relu=False):
    """One RNN step from the inputs' share xw = W_ih x + b_ih: h' = tanh(xw + W_hh h + b_hh) (or relu)."""
    a = engine.add(xw, _hidden_part(h, w_hh, b_hh))
    return engine.relu(a) if relu else engine.tanh(a)


def lstm_step(xw, h, c, w_hh, b_hh):
    """One LSTM step from the inputs' share xw = W_ih x + b_ih; returns (h', c').

    a = xw + W_hh h + b_hh; i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g);
    c' = f·c + i·g; h' = o·tanh(c')."""
    hidden = np.shape(raw(w_hh))[1]
    a = engine.add(xw, _hidden_part(h, w_hh, b_hh))
    i = engine.sigmoid(_block(a, 0, hidden))           # input gate: how much of g to write
    f = engine.sigmoid(_block(a, 1, hidden))           # forget gate: how much of c to keep
    g = engine.tanh(_block(a, 2, hidden))              # the candidate values
    o = engine.sigmoid(_block(a, 3, hidden))           # output gate: how much of the cell to show
    c = engine.add(engine.mul(f, c), engine.mul(i, g))
    h = engine.mul(o, engine.tanh(c))
    return h, c


def gru_step(xw, h, w_hh, b_hh):
    """One GRU step from the inputs' share xw = W_ih x + b_ih (blocks r, z, n):

    hw = W_hh h + b_hh; r = σ(xw_r + hw_r), z = σ(xw_z + hw_z);
    n = tanh(xw_n + r·hw_n); h' = (1 - z)·n + z·h."""
    hidden = np.shape(raw(w_hh))[1]
    hw = _hidden_part(h, w_hh, b_hh)
    r = engine.sigmoid(engine.add(_block(xw, 0, hidden), _block(hw, 0, hidden)))   # reset gate
    z = engine.sigmoid(engine.add(_block(xw, 1, hidden), _block(hw, 1, hidden)))   # update gate
    n = engine.tanh(engine.add(_block(xw, 2, hidden), engine.mul(r, _block(hw, 2, hidden))))
    return engine.add(engine.mul(engine.sub(1.0, z), n), engine.mul(z, h))


def _step(mode, xw, state, w_hh, b_hh):
    """One step of any mode; state and the result: h, or (h, c) for an LSTM."""
    if mode == "LSTM":
        return lstm_step(xw, state[0], state[1], w_hh, b_hh)
    if mode == "GRU":
        return gru_step(xw, state, w_hh, b_hh)
    return rnn_step(xw, state, w_hh, b_hh, relu=mode == "RNN_RELU")


# ---------------------------------------------------------------- shared by cells and layers
def _fill_uniform(module):
    """PyTorch's initialisation of every recurrent weight and bias: U(-1/√H, 1/√H)."""
    bound = 1 / math.sqrt(module.hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


def _dtype_of(x):
    """The input's float dtype: the dtype of a zero state made for it."""
    dtype = np.result_type(raw(x))
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _check_state(owner, what, state, expected, input_shape, layout):
    if checks.shape_of(state) != expected:
        raise ValueError(f"{owner}: {what} must have shape {expected} {layout} for input {input_shape}, "
                         f"got {checks.shape_of(state)}")


def _check_features(owner, shape, input_size, ranks, layout):
    if len(shape) not in ranks or shape[-1] != input_size:
        raise ValueError(f"{owner}: expected input {layout} with input_size={input_size} features, "
                         f"got shape {shape}")


class _CellBase(Module):
    mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, bias=True, *, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        self.input_size = checks.integer(name, "input_size", input_size, minimum=1)
        self.hidden_size = checks.integer(name, "hidden_size", hidden_size, minimum=1)
        self.bias = checks.boolean(name, "bias", bias)
        rows = GATES[self.mode] * hidden_size
        self.weight_ih = Parameter(np.empty((rows, input_size), dtype))
        self.weight_hh = Parameter(np.empty((rows, hidden_size), dtype))
        self.bias_ih = Parameter(np.empty(rows, dtype)) if bias else None
        self.bias_hh = Parameter(np.empty(rows, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias again from U(-1/√hidden_size, 1/√hidden_size)."""
        _fill_uniform(self)

    def _states(self, input, hx, count):
        """The input's shape checked, and the state(s) (zeros when hx is None)."""
        name, shape = type(self).__name__, checks.shape_of(input)
        _check_features(name, shape, self.input_size, (1, 2), "(batch, input_size) or (input_size,)")
        expected = shape[:-1] + (self.hidden_size,)
        if hx is None:
            return [np.zeros(expected, _dtype_of(input)) for _ in range(count)]
        hx = list(hx) if count > 1 else [hx]
        if len(hx) != count:
            raise ValueError(f"{name}: the state must be a pair (h, c), got {len(hx)} arrays")
        for what, state in zip(("h", "c"), hx):
            _check_state(name, what, state, expected, shape, "(batch, hidden_size)")
        return hx

    def forward(self, input, hx=None):
        states = self._states(input, hx, 2 if self.mode == "LSTM" else 1)
        xw = input_part(input, self.weight_ih, self.bias_ih)
        return _step(self.mode, xw, tuple(states) if self.mode == "LSTM" else states[0],
                     self.weight_hh, self.bias_hh)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class RNNCell(_CellBase):
    """One step of an Elman RNN: `RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh')`.

    h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). Called as
    `h = cell(x, h)` with x (batch, input_size) or (input_size,); h defaults to zeros."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", *, dtype=np.float32):
        self.nonlinearity = checks.choice("RNNCell", "nonlinearity", nonlinearity, ("tanh", "relu"))
        self.mode = "RNN_" + nonlinearity.upper()
        super().__init__(input_size, hidden_size, bias, dtype=dtype)

    def extra_repr(self):
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"


class LSTMCell(_CellBase):
    """One LSTM step: `LSTMCell(input_size, hidden_size, bias=True)`, called as
    `h, c = cell(x, (h, c))` (state defaults to zeros).

    i, f, g, o = σ, σ, tanh, σ of the blocks of W_ih x + b_ih + W_hh h + b_hh;
    c' = f·c + i·g; h' = o·tanh(c'). Composed of the engine's gates: drawn, the
    cell is its circuit."""
    mode = "LSTM"


class GRUCell(_CellBase):
    """One GRU step: `GRUCell(input_size, hidden_size, bias=True)`, called as `h = cell(x, h)`.

    r, z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z});
    n = tanh(W_in x + b_in + r·(W_hn h + b_hn)); h' = (1 - z)·n + z·h."""
    mode = "GRU"


# ---------------------------------------------------------------- whole sequences
class _RNNBase(Module):
    mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, *, fused=True, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        self.input_size = checks.integer(name, "input_size", input_size, minimum=1)
        self.hidden_size = checks.integer(name, "hidden_size", hidden_size, minimum=1)
        self.num_layers = checks.integer(name, "num_layers", num_layers, minimum=1)
        self.bias = checks.boolean(name, "bias", bias)
        self.batch_first = checks.boolean(name, "batch_first", batch_first)
        self.dropout = checks.probability(name, "dropout", dropout)
        if checks.boolean(name, "bidirectional", bidirectional):
            raise NotImplementedError(f"{name}: bidirectional=True is not supported")
        self.fused = checks.boolean(name, "fused", fused)
        rows = GATES[self.mode] * hidden_size
        for k in range(num_layers):               # PyTorch's order: w_ih, w_hh, b_ih, b_hh, layer by layer
            features = input_size if k == 0 else hidden_size
            setattr(self, f"weight_ih_l{k}", Parameter(np.empty((rows, features), dtype)))
            setattr(self, f"weight_hh_l{k}", Parameter(np.empty((rows, hidden_size), dtype)))
            if bias:
                setattr(self, f"bias_ih_l{k}", Parameter(np.empty(rows, dtype)))
                setattr(self, f"bias_hh_l{k}", Parameter(np.empty(rows, dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every weight and bias again from U(-1/√hidden_size, 1/√hidden_size)."""
        _fill_uniform(self)

    def _layer(self, k):
        """(W_ih, W_hh, b_ih, b_hh) of layer k (biases None without bias)."""
        return tuple(getattr(self, f"{kind}_l{k}", None)
                     for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _initial_states(self, input, hx, batched):
        """[h0] or [h0, c0] of shape (num_layers, batch, hidden_size) (zeros when hx is None)."""
        name, shape = type(self).__name__, checks.shape_of(input)
        count = 2 if self.mode == "LSTM" else 1
        expected = (self.num_layers,) + ((shape[0 if self.batch_first else 1],) if batched else ()) + (
            self.hidden_size,)
        if hx is None:
            return [np.zeros(expected, _dtype_of(input)) for _ in range(count)]
        if count == 2 and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError(f"{name}: the state must be a pair (h0, c0), got {type(hx).__name__}")
        states = list(hx) if count == 2 else [hx]
        layout = "(num_layers, batch, hidden_size)" if batched else "(num_layers, hidden_size)"
        for what, state in zip(("h0", "c0"), states):
            _check_state(name, what, state, expected, shape, layout)
        return states

    def forward(self, input, hx=None):
        """out, h_n = rnn(x, h0) (LSTM: out, (h_n, c_n) = lstm(x, (h0, c0))).

        x: (L, N, input_size), or (N, L, input_size) with batch_first, or
        (L, input_size) unbatched; h0, c0: (num_layers, N, hidden_size), zeros
        when not given. out: every step's h of the last layer, (L, N, H) (or
        (N, L, H)); h_n, c_n: the last step's state of each layer."""
        name, shape = type(self).__name__, checks.shape_of(input)
        _check_features(name, shape, self.input_size, (2, 3),
                        "(L, N, input_size), (N, L, input_size) with batch_first, or (L, input_size)")
        batched = len(shape) == 3
        if shape[1 if batched and self.batch_first else 0] == 0:
            raise ValueError(f"{name}: the input {shape} has no time steps")
        states = self._initial_states(input, hx, batched)
        batch_first = self.batch_first
        if not batched:                            # one sequence: a batch of one, time-major
            input, batch_first = engine.reshape(input, (shape[0], 1, shape[1])), False
            states = [engine.reshape(s, (self.num_layers, 1, self.hidden_size)) for s in states]
        x, finals = input, []
        for k in range(self.num_layers):
            if k > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout)
            x, final = self._run_layer(k, x, [engine.getitem(s, k) for s in states], batch_first)
            finals.append(final)
        h_n = [engine.stack([f[i] for f in finals]) for i in range(len(states))]
        if not batched:
            x = engine.reshape(x, (shape[0], self.hidden_size))
            h_n = [engine.reshape(s, (self.num_layers, self.hidden_size)) for s in h_n]
        return x, (tuple(h_n) if self.mode == "LSTM" else h_n[0])

    def _run_layer(self, k, x, states, batch_first):
        """One layer over the whole sequence: (every step's h, [h_T] or [h_T, c_T])."""
        w_ih, w_hh, b_ih, b_hh = self._layer(k)
        if self.fused:
            last = (slice(None), -1) if batch_first else (-1,)
            if self.mode == "LSTM":
                out = gates.lstm(x, states[0], states[1], w_ih, w_hh, b_ih, b_hh, batch_first)
                return engine.getitem(out, 0), [engine.getitem(out, (0,) + last), engine.getitem(out, (1,) + last)]
            if self.mode == "GRU":
                out = gates.gru(x, states[0], w_ih, w_hh, b_ih, b_hh, batch_first)
            else:
                out = gates.rnn(x, states[0], w_ih, w_hh, b_ih, b_hh, self.mode == "RNN_RELU", batch_first)
            return out, [engine.getitem(out, last)]
        if batch_first:
            x = engine.transpose(x, (1, 0, 2))
        xw = input_part(x, w_ih, b_ih)             # the inputs' share of every step, in one matmul
        state = tuple(states) if self.mode == "LSTM" else states[0]
        hs = []
        for t in range(checks.shape_of(x)[0]):     # the loop over time steps
            state = _step(self.mode, engine.getitem(xw, t), state, w_hh, b_hh)
            hs.append(state[0] if self.mode == "LSTM" else state)
        out = engine.stack(hs)
        if batch_first:
            out = engine.transpose(out, (1, 0, 2))
        return out, list(state) if self.mode == "LSTM" else [state]

    def extra_repr(self):
        options = [f"{self.input_size}, {self.hidden_size}"]
        for attr, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("fused", True)):
            if getattr(self, attr) != default:
                options.append(f"{attr}={getattr(self, attr)}")
        return ", ".join(options)


class RNN(_RNNBase):
    """An Elman RNN over sequences: `RNN(input_size, hidden_size, num_layers=1,
    nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0, *, fused=True)`.

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu), layer after
    layer (dropout between layers, in training). `out, h_n = rnn(x, h0)`.
    fused=False: every step composed of the engine's gates (see LSTM)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, *, fused=True, dtype=np.float32):
        self.nonlinearity = checks.choice("RNN", "nonlinearity", nonlinearity, ("tanh", "relu"))
        self.mode = "RNN_" + nonlinearity.upper()
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         fused=fused, dtype=dtype)

    def extra_repr(self):
        extra = f", nonlinearity={self.nonlinearity!r}" if self.nonlinearity != "tanh" else ""
        return super().extra_repr() + extra


class LSTM(_RNNBase):
    """A long short-term memory over sequences: `LSTM(input_size, hidden_size,
    num_layers=1, bias=True, batch_first=False, dropout=0.0, *, fused=True)`.

    Each step: i, f, g, o = σ, σ, tanh, σ of the blocks of
    W_ih x_t + b_ih + W_hh h + b_hh; c_t = f·c + i·g; h_t = o·tanh(c_t).
    `out, (h_n, c_n) = lstm(x, (h0, c0))`. fused=True runs each layer as one
    gate (nn.gates.lstm, backward through time in closed form: faster);
    fused=False composes each step of the engine's gates (drawn as a circuit;
    create_graph=True works through it). Both compute the same numbers."""
    mode = "LSTM"


class GRU(_RNNBase):
    """A gated recurrent unit over sequences: `GRU(input_size, hidden_size,
    num_layers=1, bias=True, batch_first=False, dropout=0.0, *, fused=True)`.

    r, z = σ(...), n = tanh(W_in x_t + b_in + r·(W_hn h + b_hn)),
    h_t = (1 - z)·n + z·h. `out, h_n = gru(x, h0)`. fused=False: every step
    composed of the engine's gates (see LSTM)."""
    mode = "GRU"
