"""Sequence layers (issue 15): Embedding, RNN / LSTM / GRU and their cells, LayerNorm, gradient clipping.

Each layer is checked against numbers worked out by hand (numpy formulas
written out in the test, step by step, independently of the library), against
PyTorch's own outputs and gradients (tests/fixtures/torch_sequences.npz, made
once by tests/fixtures/make_torch_fixtures.py; torch is never imported here),
and the two LSTMs (composed of the engine's gates, and the fused
whole-sequence gate) against each other. The gates' gradients are
property-tested in tests/test_nn_gates.py.
"""
import pathlib

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import Value
from autograd.testing import assert_gate, assert_reports
from nn.layers import recurrent

FIXTURES = np.load(pathlib.Path(__file__).parent / "fixtures" / "torch_sequences.npz", allow_pickle=False)


def fixture(case):
    """(state_dict, tensors) of one case of the PyTorch fixture."""
    state = {k.split("/", 1)[1]: FIXTURES[k] for k in FIXTURES.files if k.startswith(case + "/") and "/@" not in k}
    tensors = {k.split("/@", 1)[1]: FIXTURES[k] for k in FIXTURES.files if k.startswith(case + "/@")}
    return state, tensors


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- the notes' "hello" char-RNN, by hand
VOCAB = "helo"
HELLO_IN, HELLO_OUT = [VOCAB.index(ch) for ch in "hell"], [VOCAB.index(ch) for ch in "ello"]
W_IH = np.array([[0.5, -0.3, 0.8, 0.1], [-0.2, 0.4, 0.1, -0.6], [0.3, 0.2, -0.5, 0.7]])
W_HH = np.array([[0.1, -0.4, 0.2], [0.3, 0.2, -0.1], [-0.5, 0.1, 0.4]])
B_IH, B_HH = np.array([0.1, 0.0, -0.1]), np.array([0.05, -0.05, 0.0])
W_HY = np.array([[1.0, -0.5, 0.2], [-0.3, 0.8, 0.5], [0.4, 0.1, -0.9], [0.2, -0.7, 0.6]])
B_Y = np.array([0.0, 0.1, -0.1, 0.2])


def hello_by_hand():
    """Forward and backward through time of the notes' example, written out step by step."""
    xs = np.eye(4)[HELLO_IN]                               # one-hot inputs, one per step
    hs, h = [], np.zeros(3)
    for x in xs:
        h = np.tanh(W_IH @ x + B_IH + W_HH @ h + B_HH)
        hs.append(h)
    ys = [W_HY @ h + B_Y for h in hs]
    ps = [softmax(y) for y in ys]
    loss = np.mean([-np.log(p[t]) for p, t in zip(ps, HELLO_OUT)])
    grads = {k: np.zeros_like(v) for k, v in (("w_ih", W_IH), ("w_hh", W_HH), ("b", B_IH), ("w_hy", W_HY),
                                              ("b_y", B_Y))}
    dh_next = np.zeros(3)
    for t in reversed(range(4)):
        dy = ps[t] - np.eye(4)[HELLO_OUT[t]]
        dy /= 4                                            # the mean over the 4 steps
        grads["w_hy"] += np.outer(dy, hs[t])
        grads["b_y"] += dy
        dh = W_HY.T @ dy + dh_next
        da = dh * (1 - hs[t] ** 2)                         # through tanh
        grads["w_ih"] += np.outer(da, xs[t])
        grads["w_hh"] += np.outer(da, hs[t - 1] if t > 0 else np.zeros(3))
        grads["b"] += da
        dh_next = W_HH.T @ da
    return np.array(hs), loss, grads


def hello_model(nonlinearity="tanh"):
    embed, rnn, head = nn.Embedding(4, 4).double(), nn.RNN(4, 3, nonlinearity=nonlinearity).double(), nn.Linear(3, 4).double()
    embed.weight.data[...] = np.eye(4)                    # the embedding of a one-hot input: the identity
    rnn.load_state_dict({"weight_ih_l0": W_IH, "weight_hh_l0": W_HH, "bias_ih_l0": B_IH, "bias_hh_l0": B_HH})
    head.load_state_dict({"weight": W_HY, "bias": B_Y})
    return embed, rnn, head


def test_hello_char_rnn_by_hand():
    hs, loss, grads = hello_by_hand()
    embed, rnn, head = hello_model()
    out, h_n = rnn(embed(np.array(HELLO_IN)[:, None]))    # (4 steps, batch 1)
    np.testing.assert_allclose(out.data[:, 0], hs, rtol=1e-12)
    np.testing.assert_allclose(h_n.data[0, 0], hs[-1], rtol=1e-12)
    scores = head(out)
    result = F.cross_entropy(scores.reshape(4, 4), np.array(HELLO_OUT))
    assert result.item() == pytest.approx(loss, rel=1e-12)
    result.backward()
    np.testing.assert_allclose(rnn.weight_ih_l0.grad, grads["w_ih"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(rnn.weight_hh_l0.grad, grads["w_hh"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(rnn.bias_ih_l0.grad, grads["b"], rtol=1e-10)
    np.testing.assert_allclose(rnn.bias_hh_l0.grad, grads["b"], rtol=1e-10)
    np.testing.assert_allclose(head.weight.grad, grads["w_hy"], rtol=1e-10)
    np.testing.assert_allclose(head.bias.grad, grads["b_y"], rtol=1e-10)
    # the embedding's gradient: each token's row gets W_ihᵀ da of the steps that read it ('l' twice, 'o' never);
    # with one-hot inputs Σ of those da is column `token` of dW_ih, so dE = dW_ihᵀ W_ih
    assert np.all(embed.weight.grad[VOCAB.index("o")] == 0)
    np.testing.assert_allclose(embed.weight.grad, grads["w_ih"].T @ W_IH, rtol=1e-10, atol=1e-15)


def test_hello_with_the_cell_step_by_step():
    hs, _, _ = hello_by_hand()
    cell = nn.RNNCell(4, 3).double()
    cell.load_state_dict({"weight_ih": W_IH, "weight_hh": W_HH, "bias_ih": B_IH, "bias_hh": B_HH})
    h = None
    for t, token in enumerate(HELLO_IN):
        h = cell(np.eye(4)[token], h)                      # unbatched: (input_size,) -> (hidden_size,)
        np.testing.assert_allclose(h.data, hs[t], rtol=1e-12)


def test_relu_rnn_by_hand():
    embed, rnn, _ = hello_model("relu")
    h, expected = np.zeros(3), []
    for token in HELLO_IN:
        h = np.maximum(W_IH @ np.eye(4)[token] + B_IH + W_HH @ h + B_HH, 0)
        expected.append(h)
    out, _ = rnn(embed(np.array(HELLO_IN)))              # unbatched (L,) tokens -> (L, 4) -> (L, 3)
    np.testing.assert_allclose(out.data, np.array(expected), rtol=1e-12)


# ---------------------------------------------------------------- LSTM and GRU cells, by hand
def lstm_by_hand(x, h, c, w_ih, w_hh, b_ih, b_hh):
    H = h.shape[-1]
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f, g, o = sigmoid(a[..., :H]), sigmoid(a[..., H:2 * H]), np.tanh(a[..., 2 * H:3 * H]), sigmoid(a[..., 3 * H:])
    c = f * c + i * g
    return o * np.tanh(c), c


def gru_by_hand(x, h, w_ih, w_hh, b_ih, b_hh):
    H = h.shape[-1]
    xr, xz, xn = (x @ w_ih[k * H:(k + 1) * H].T + b_ih[k * H:(k + 1) * H] for k in range(3))
    hr, hz, hn = (h @ w_hh[k * H:(k + 1) * H].T + b_hh[k * H:(k + 1) * H] for k in range(3))
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def params_of(module, k=None):
    suffix = "" if k is None else f"_l{k}"
    return [getattr(module, name + suffix).data for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def test_lstm_by_hand_cell_and_layers():
    rng = np.random.default_rng(1)
    x, h0, c0 = rng.standard_normal((3, 2, 4)), rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    cell = nn.LSTMCell(4, 5).double()
    h1, c1 = cell(x[0], (h0, c0))
    expected_h, expected_c = lstm_by_hand(x[0], h0, c0, *params_of(cell))
    np.testing.assert_allclose(h1.data, expected_h, rtol=1e-12)
    np.testing.assert_allclose(c1.data, expected_c, rtol=1e-12)
    lstm = nn.LSTM(4, 5).double()
    hs, h, c = [], h0, c0
    for t in range(3):
        h, c = lstm_by_hand(x[t], h, c, *params_of(lstm, 0))
        hs.append(h)
    for fused in (True, False):
        lstm.fused = fused
        out, (h_n, c_n) = lstm(x, (h0[None], c0[None]))
        np.testing.assert_allclose(out.data, np.array(hs), rtol=1e-12)
        np.testing.assert_allclose(h_n.data[0], h, rtol=1e-12)
        np.testing.assert_allclose(c_n.data[0], c, rtol=1e-12)


def test_gru_by_hand_cell_and_layer():
    rng = np.random.default_rng(2)
    x, h0 = rng.standard_normal((3, 2, 4)), rng.standard_normal((2, 5))
    cell = nn.GRUCell(4, 5).double()
    np.testing.assert_allclose(cell(x[0], h0).data, gru_by_hand(x[0], h0, *params_of(cell)), rtol=1e-12)
    gru = nn.GRU(4, 5, batch_first=True).double()
    h, hs = h0, []
    for t in range(3):
        h = gru_by_hand(x[t], h, *params_of(gru, 0))
        hs.append(h)
    out, h_n = gru(x.transpose(1, 0, 2), h0[None])
    np.testing.assert_allclose(out.data, np.array(hs).transpose(1, 0, 2), rtol=1e-12)
    np.testing.assert_allclose(h_n.data[0], h, rtol=1e-12)


# ---------------------------------------------------------------- PyTorch's layouts: state_dicts load as they are
@pytest.mark.parametrize("case, cls, options", [("lstm", nn.LSTM, {}), ("gru", nn.GRU, {}),
                                                ("rnn_relu", nn.RNN, {"nonlinearity": "relu"}),
                                                ("rnn_tanh", nn.RNN, {})])
def test_recurrent_layers_match_pytorch(case, cls, options):
    state, t = fixture(case)
    layer = cls(3, 5, num_layers=2, batch_first=True, **options).double()
    assert list(layer.state_dict()) == list(state)         # the same names, in PyTorch's order
    layer.load_state_dict(state)
    for fused in (True, False):
        layer.fused = fused
        x, h0 = Value(t["input"]), Value(t["h0"])
        inputs = {"input": x, "h0": h0}
        if case == "lstm":
            inputs["c0"] = c0 = Value(t["c0"])
            out, (h_n, c_n) = layer(x, (h0, c0))
            np.testing.assert_allclose(c_n.data, t["c_n"], rtol=1e-10)
            loss = (out * t["r"]).sum() + (h_n * t["s"]).sum() + (c_n * t["u"]).sum()
        else:
            out, h_n = layer(x, h0)
            loss = (out * t["r"]).sum() + (h_n * t["s"]).sum()
        np.testing.assert_allclose(out.data, t["output"], rtol=1e-10)
        np.testing.assert_allclose(h_n.data, t["h_n"], rtol=1e-10)
        layer.zero_grad()
        loss.backward()
        for name, p in list(layer.named_parameters()) + list(inputs.items()):
            np.testing.assert_allclose(p.grad, t["grad/" + name], rtol=1e-9, atol=1e-12, err_msg=f"{case} {name}")


@pytest.mark.parametrize("case, cls", [("lstm_cell", nn.LSTMCell), ("gru_cell", nn.GRUCell), ("rnn_cell", nn.RNNCell)])
def test_cells_match_pytorch(case, cls):
    state, t = fixture(case)
    cell = cls(3, 4).double()
    assert sorted(cell.state_dict()) == sorted(state)
    cell.load_state_dict(state)
    if case == "lstm_cell":
        h1, c1 = cell(t["input"], (t["h"], t["c"]))
        np.testing.assert_allclose(c1.data, t["c1"], rtol=1e-10)
    else:
        h1 = cell(t["input"], t["h"])
    np.testing.assert_allclose(h1.data, t["h1"], rtol=1e-10)


def test_embedding_and_layer_norm_match_pytorch():
    state, t = fixture("embedding")
    emb = nn.Embedding(7, 4, padding_idx=2).double()
    emb.load_state_dict(state)
    out = emb(t["input"])
    np.testing.assert_array_equal(out.data, t["output"])
    out.backward(np.linspace(-1, 1, out.data.size).reshape(out.shape))
    np.testing.assert_allclose(emb.weight.grad, t["grad/weight"], rtol=1e-12)
    state, t = fixture("layer_norm")
    ln = nn.LayerNorm((3, 4)).double()
    ln.load_state_dict(state)
    np.testing.assert_allclose(ln(t["input"]).data, t["output"], rtol=1e-10)


def test_initialisation_is_pytorchs():
    autograd.manual_seed(0)
    lstm = nn.LSTM(10, 16, num_layers=2, bias=True)
    for name, p in lstm.named_parameters():
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= 1 / 4 and np.abs(p.data).max() > 0.9 / 4, name     # U(-1/√16, 1/√16)
    assert [n for n, _ in lstm.named_parameters()] == [f"{k}_l{i}" for i in range(2) for k in
                                                       ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert lstm.weight_ih_l0.shape == (64, 10) and lstm.weight_ih_l1.shape == (64, 16)
    assert nn.GRU(3, 5, bias=False).state_dict().keys() == {"weight_ih_l0", "weight_hh_l0"}
    assert nn.GRUCell(3, 5).weight_hh.shape == (15, 5)
    emb = nn.Embedding(1000, 8, padding_idx=-1)
    assert emb.padding_idx == 999 and not emb.weight.data[999].any()
    assert 0.9 < emb.weight.data[:999].std() < 1.1                                        # N(0, 1)
    ln = nn.LayerNorm(6)
    assert np.all(ln.weight.data == 1) and np.all(ln.bias.data == 0)


# ---------------------------------------------------------------- fused and composed agree
@pytest.mark.parametrize("cls, options", [(nn.LSTM, {}), (nn.GRU, {}), (nn.RNN, {}), (nn.RNN, {"nonlinearity": "relu"})])
@pytest.mark.parametrize("batch_first, num_layers, bias", [(False, 1, True), (True, 2, True), (True, 1, False),
                                                           (False, 3, False)])
def test_fused_and_composed_layers_agree(cls, options, batch_first, num_layers, bias):
    rng = np.random.default_rng(3)
    layer = cls(3, 4, num_layers=num_layers, bias=bias, batch_first=batch_first, **options).double()
    shape = (2, 5, 3) if batch_first else (5, 2, 3)
    x, h0, c0 = (Value(rng.standard_normal(s)) for s in (shape, (num_layers, 2, 4), (num_layers, 2, 4)))
    r = rng.standard_normal(shape[:2] + (4,))
    lstm = cls is nn.LSTM
    inputs = (x, h0, c0) if lstm else (x, h0)
    results = []
    for fused in (True, False):
        layer.fused = fused
        for v in (*inputs, *layer.parameters()):
            v.zero_grad()
        out, state = layer(x, (h0, c0) if lstm else h0)
        h_n, c_n = state if lstm else (state, state)
        ((out * r).sum() + (h_n * h_n).sum() + (c_n * 3).sum()).backward()
        results.append([out.data, h_n.data, c_n.data] + [v.grad for v in (*inputs, *layer.parameters())])
        if bias:                     # two parameters, two gradient arrays (clipping scales each in place)
            assert layer.bias_ih_l0.grad is not layer.bias_hh_l0.grad
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


def test_composed_cell_is_a_circuit_and_differentiates_twice():
    rng = np.random.default_rng(4)
    cell = nn.LSTMCell(2, 3).double()
    h, c = cell(Value(rng.standard_normal((1, 2))), (np.zeros((1, 3)), np.zeros((1, 3))))
    text = autograd.draw_text(h.sum())
    for gate in ("sigmoid", "tanh", "matmul", "mul", "add"):
        assert gate in text
    # second order through the composed step: gradients of gradients match central differences
    w_hh = rng.standard_normal((12, 3)) * 0.5
    assert_gate(lambda x, h, c, w_ih, w_hh: autograd.concatenate(
        recurrent.lstm_step(recurrent.input_part(x, w_ih, None), h, c, w_hh, None), axis=-1),
        rng.standard_normal((2, 2)), rng.standard_normal((2, 3)), rng.standard_normal((2, 3)),
        rng.standard_normal((12, 2)), w_hh)
    assert_gate(lambda x, h, w_ih, w_hh: recurrent.gru_step(recurrent.input_part(x, w_ih, None), h, w_hh, None),
                rng.standard_normal((2, 2)), rng.standard_normal((2, 3)), rng.standard_normal((9, 2)),
                rng.standard_normal((9, 3)))


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_fused_layers_under_create_graph_say_what_to_do(cls):
    layer = cls(2, 3).double()
    x = Value(np.ones((2, 1, 2)))
    out, _ = layer(x)
    assert_reports(lambda: autograd.grad(out.sum(), [x], create_graph=True), TypeError,
                   [cls.__name__.lower(), f"nn.{cls.__name__}(..., fused=False)"])
    layer.fused = False
    out, _ = layer(x)
    (dx,) = autograd.grad(out.sum(), [x], create_graph=True)
    assert isinstance(dx, Value) and dx.requires_grad


# ---------------------------------------------------------------- edges, dtypes, states
@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_edges_and_unbatched_input(cls):
    layer = cls(3, 4, num_layers=2).double()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 1, 3))                     # one step, batch of one
    out, state = layer(x)
    assert out.shape == (1, 1, 4)
    seq = rng.standard_normal((6, 3))                      # unbatched: (L, input_size)
    out, state = layer(seq)
    batched_out, batched_state = layer(seq[:, None])
    assert out.shape == (6, 4)
    np.testing.assert_allclose(out.data, batched_out.data[:, 0], rtol=1e-13)
    h_n, batched_h = (state[0], batched_state[0]) if cls is nn.LSTM else (state, batched_state)
    assert h_n.shape == (2, 4)
    np.testing.assert_allclose(h_n.data, batched_h.data[:, 0], rtol=1e-13)
    empty = Value(np.zeros((5, 0, 3)))                     # an empty batch
    out, _ = layer(empty)
    assert out.shape == (5, 0, 4)
    out.sum().backward()
    assert layer.weight_hh_l0.grad.shape == layer.weight_hh_l0.shape and not layer.weight_hh_l0.grad.any()


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_dtypes_promote_as_numpy_does(cls):
    layer = cls(3, 4)                                      # float32 parameters
    cell = cls in (nn.RNNCell, nn.LSTMCell, nn.GRUCell)
    x64 = np.random.default_rng(6).standard_normal((2, 3) if cell else (5, 2, 3))
    result = layer(x64)
    out = result[0] if isinstance(result, tuple) else result
    assert out.dtype == np.float64                         # float64 input, float32 weights: float64, no error
    out.sum().backward()
    assert layer.weight_ih.grad.dtype == np.float32 if cell else layer.weight_ih_l0.grad.dtype == np.float32
    result = layer(x64.astype(np.float32))                 # float32 input and the zero state it makes
    out = result[0] if isinstance(result, tuple) else result
    assert out.dtype == np.float32


def test_numpy_inputs_and_states_are_constants():
    lstm = nn.LSTM(3, 4)
    rng = np.random.default_rng(7)
    x, h0, c0 = (rng.standard_normal(s).astype(np.float32) for s in ((2, 1, 3), (1, 1, 4), (1, 1, 4)))
    for fused in (True, False):
        lstm.fused = fused
        lstm.zero_grad()
        out, (h_n, c_n) = lstm(x, (h0, c0))
        assert isinstance(out, Value) and out.requires_grad
        out.sum().backward()
        assert lstm.weight_ih_l0.grad is not None
    with autograd.no_grad():
        out, _ = lstm(x, (h0, c0))
    assert not out.requires_grad


def test_truncated_backpropagation_through_time():
    rng = np.random.default_rng(8)
    lstm = nn.LSTM(2, 3).double()
    first, second = rng.standard_normal((4, 1, 2)), rng.standard_normal((4, 1, 2))
    _, (h, c) = lstm(first)
    h, c = h.detach(), c.detach()                          # backward stops here
    out, _ = lstm(second, (h, c))
    out.sum().backward()
    carried = lstm.weight_hh_l0.grad.copy()
    lstm.zero_grad()
    out, _ = lstm(second, (h.data.copy(), c.data.copy())) # the same chunk from a constant state
    out.sum().backward()
    np.testing.assert_allclose(carried, lstm.weight_hh_l0.grad, rtol=1e-13)
    lstm.zero_grad()
    _, (h, c) = lstm(first)
    out, _ = lstm(second, (h, c))                          # not detached: the first chunk is reached too
    out.sum().backward()
    assert not np.allclose(carried, lstm.weight_hh_l0.grad)


def test_dropout_between_layers_in_training_only():
    autograd.manual_seed(0)
    gru = nn.GRU(3, 4, num_layers=2, dropout=0.5).double()
    x = np.random.default_rng(9).standard_normal((5, 2, 3))
    trained, _ = gru(x)
    gru.eval()
    evaluated, _ = gru(x)
    plain = nn.GRU(3, 4, num_layers=2).double()
    plain.load_state_dict(gru.state_dict())
    reference, _ = plain(x)
    np.testing.assert_allclose(evaluated.data, reference.data, rtol=1e-13)
    assert not np.allclose(trained.data, reference.data)


def test_errors_name_the_layer_and_the_shapes():
    lstm, gru = nn.LSTM(3, 4, num_layers=2), nn.GRU(3, 4, batch_first=True)
    x = np.zeros((5, 2, 3), np.float32)
    assert_reports(lambda: lstm(np.zeros((5, 2, 7))), ValueError, ["LSTM", "input_size=3", "(5, 2, 7)"])
    assert_reports(lambda: lstm(np.zeros((5, 2, 3, 1))), ValueError, ["LSTM", "(5, 2, 3, 1)"])
    assert_reports(lambda: lstm(np.zeros((0, 2, 3))), ValueError, ["LSTM", "no time steps"])
    assert_reports(lambda: lstm(x, (np.zeros((1, 2, 4)), np.zeros((2, 2, 4)))), ValueError,
                   ["LSTM", "h0", "(2, 2, 4)", "(1, 2, 4)", "(5, 2, 3)"])
    assert_reports(lambda: lstm(x, np.zeros((2, 2, 4))), ValueError, ["LSTM", "(h0, c0)"])
    assert_reports(lambda: gru(x, np.zeros((1, 2, 4))), ValueError, ["GRU", "h0", "(1, 5, 4)", "(1, 2, 4)"])
    assert_reports(lambda: nn.LSTMCell(3, 4)(np.zeros((2, 3)), (np.zeros((2, 4)), np.zeros((3, 4)))), ValueError,
                   ["LSTMCell", "c", "(2, 4)", "(3, 4)"])
    assert_reports(lambda: nn.RNNCell(3, 4)(np.zeros((2, 5))), ValueError, ["RNNCell", "input_size=3", "(2, 5)"])
    assert_reports(lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, ["RNN", "nonlinearity", "'sigmoid'"])
    assert_reports(lambda: nn.LSTM(3, 0), ValueError, ["LSTM", "hidden_size"])
    assert_reports(lambda: nn.GRU(3, 4, dropout=1.5), ValueError, ["GRU", "dropout"])
    emb = nn.Embedding(5, 2)
    assert_reports(lambda: emb(np.array([1, 5])), IndexError, ["embedding", "[0, 5)", "5"])
    assert_reports(lambda: emb(np.array([0.0, 1.0])), TypeError, ["embedding", "integer", "float64"])
    assert_reports(lambda: nn.Embedding(5, 2, padding_idx=5), ValueError, ["Embedding", "padding_idx"])
    assert_reports(lambda: nn.LayerNorm(4)(np.zeros((2, 3))), ValueError, ["LayerNorm", "(2, 3)", "(4,)"])
    assert_reports(lambda: F.layer_norm(np.zeros((2, 4)), 4, weight=np.ones(3)), ValueError,
                   ["layer_norm", "weight", "(4,)", "(3,)"])


# ---------------------------------------------------------------- Embedding and LayerNorm by hand
def test_embedding_by_hand():
    emb = nn.Embedding(4, 2, padding_idx=0).double()
    emb.weight.data[...] = [[0.0, 0.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    idx = np.array([[1, 1], [0, 3]])
    out = emb(idx)
    np.testing.assert_array_equal(out.data, [[[1, 2], [1, 2]], [[0, 0], [5, 6]]])
    out.backward(np.array([[[1.0, 10.0], [2.0, 20.0]], [[7.0, 7.0], [3.0, 30.0]]]))
    # token 1 read twice: both gradients add up; the padding row 0 gets none; row 2 unused
    np.testing.assert_array_equal(emb.weight.grad, [[0, 0], [3, 30], [0, 0], [3, 30]])
    assert emb(3).shape == (2,) and emb(np.zeros((0, 5), int)).shape == (0, 5, 2)


def test_layer_norm_by_hand():
    ln = nn.LayerNorm(4).double()
    ln.weight.data[...] = [1.0, 2.0, 1.0, 0.5]
    ln.bias.data[...] = [0.0, 0.0, 1.0, 0.0]
    x = Value(np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 6.0]]))
    out = ln(x)
    # row 0: μ = 2.5, σ² = 1.25; row 1: μ = 3, σ² = 3
    xhat = np.array([[-1.5, -0.5, 0.5, 1.5] / np.sqrt(1.25 + 1e-5), [-1, -1, -1, 3] / np.sqrt(3 + 1e-5)])
    np.testing.assert_allclose(out.data, xhat * [1, 2, 1, 0.5] + [0, 0, 1, 0], rtol=1e-12)
    out.backward(np.ones((2, 4)))
    np.testing.assert_allclose(ln.bias.grad, [2, 2, 2, 2])
    np.testing.assert_allclose(ln.weight.grad, xhat.sum(axis=0), rtol=1e-12)
    # d/dx of Σ γ·x̂ with ĝ = γ: (ĝ - mean ĝ - x̂·mean(ĝ·x̂))/σ
    gw = np.array([1, 2, 1, 0.5])
    sigma = np.sqrt(np.array([[1.25], [3.0]]) + 1e-5)
    expected = (gw - gw.mean() - xhat * (gw * xhat).mean(axis=1, keepdims=True)) / sigma
    np.testing.assert_allclose(x.grad, expected, rtol=1e-10)
    one = nn.LayerNorm(3)(np.array([[5.0, 5.0, 5.0]]))     # no spread: 0, not NaN
    np.testing.assert_array_equal(one.data, np.zeros((1, 3)))


# ---------------------------------------------------------------- gradient clipping
def test_clip_grad_norm_by_hand():
    a, b = Value(np.zeros(2)), Value(np.zeros((1, 1)))
    a.grad, b.grad = np.array([3.0, 0.0]), np.array([[4.0]])
    total = nn.utils.clip_grad_norm_([a, b, Value(1.0)], max_norm=1.0)    # a Value without a gradient is skipped
    assert total == pytest.approx(5.0)                                    # the norm before clipping
    np.testing.assert_allclose(a.grad, [3 / (5 + 1e-6), 0], rtol=1e-12)
    np.testing.assert_allclose(b.grad, [[4 / (5 + 1e-6)]], rtol=1e-12)
    a.grad = np.array([0.3, -0.4])
    assert nn.utils.clip_grad_norm_(a, 1.0) == pytest.approx(0.5)        # below max_norm: untouched
    np.testing.assert_array_equal(a.grad, [0.3, -0.4])
    assert nn.utils.clip_grad_norm_(a, 0.1, norm_type=float("inf")) == pytest.approx(0.4)
    np.testing.assert_allclose(a.grad, [0.3 * 0.1 / (0.4 + 1e-6), -0.4 * 0.1 / (0.4 + 1e-6)])
    a.grad = np.array([1.0, -2.0])
    assert nn.utils.clip_grad_norm_(a, 10.0, norm_type=1) == pytest.approx(3.0)
    assert_reports(lambda: nn.utils.clip_grad_norm_([a], -1.0), ValueError, ["clip_grad_norm_", "max_norm"])


def test_clip_grad_value_by_hand():
    a = Value(np.zeros(3, np.float32))
    a.grad = np.array([-5.0, 0.5, 2.0], np.float32)
    nn.utils.clip_grad_value_([a], 1.0)
    np.testing.assert_array_equal(a.grad, [-1.0, 0.5, 1.0])
    assert a.grad.dtype == np.float32


def test_clipping_an_exploding_rnn():
    rnn = nn.RNN(2, 3, nonlinearity="relu").double()
    rnn.weight_hh_l0.data[...] = 3 * np.eye(3)             # each step multiplies the gradient by 3
    out, _ = rnn(np.ones((30, 1, 2)))
    out.sum().backward()
    total = nn.utils.clip_grad_norm_(rnn.parameters(), 1.0)
    assert total > 1e10
    after = np.sqrt(sum(np.sum(p.grad ** 2) for p in rnn.parameters()))
    assert after == pytest.approx(1.0, rel=1e-5)
