"""Attention (issue 15): F.scaled_dot_product_attention and nn.MultiheadAttention,
by hand, against PyTorch's outputs (tests/fixtures/torch_sequences.npz; torch is
never imported here), gradients against central differences."""
import math
import pathlib

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Value
from autograd.testing import assert_gate, assert_reports

FIXTURES = np.load(pathlib.Path(__file__).parent / "fixtures" / "torch_sequences.npz", allow_pickle=False)


def fixture(case):
    state = {k.split("/", 1)[1]: FIXTURES[k] for k in FIXTURES.files if k.startswith(case + "/") and "/@" not in k}
    tensors = {k.split("/@", 1)[1]: FIXTURES[k] for k in FIXTURES.files if k.startswith(case + "/@")}
    return state, tensors


Q = np.array([[1.0, 0.0], [0.0, 1.0]])                   # 2 queries
K = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])       # 3 keys
V = np.array([[1.0], [2.0], [3.0]])


def test_attention_by_hand():
    s = 1 / math.sqrt(2)                                   # scores q·k/√2: row 0 (1, 0, 1)/√2, row 1 (0, 1, 1)/√2
    row0 = np.array([math.exp(s), 1, math.exp(s)]) / (2 * math.exp(s) + 1)
    row1 = np.array([1, math.exp(s), math.exp(s)]) / (2 * math.exp(s) + 1)
    out = F.scaled_dot_product_attention(Q, K, V)
    np.testing.assert_allclose(out, [[row0 @ [1, 2, 3]], [row1 @ [1, 2, 3]]], rtol=1e-12)
    # a bool mask: True = may attend. Query 1 sees key 1 only: its output is v_1 exactly
    mask = np.array([[True, False, True], [False, True, False]])
    out = F.scaled_dot_product_attention(Q, K, V, attn_mask=mask)
    np.testing.assert_allclose(out, [[2.0], [2.0]], rtol=1e-12)       # query 0: keys 0 and 2, equal scores
    # causal (3 queries, 3 keys): query i attends to keys 0..i
    q3 = np.zeros((3, 2))                                  # equal scores: plain averages of the visible values
    np.testing.assert_allclose(F.scaled_dot_product_attention(q3, K, V, is_causal=True), [[1.0], [1.5], [2.0]])
    # a float mask is added to the scores: log(2) doubles the weight of key 2 for every query
    np.testing.assert_allclose(F.scaled_dot_product_attention(q3, K, V, attn_mask=np.log([1.0, 1.0, 2.0])),
                               [[(1 + 2 + 6) / 4]] * 3, rtol=1e-12)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q3, K, V, scale=0.0), [[2.0]] * 3)


def test_attention_matches_pytorch():
    _, t = fixture("sdpa")
    np.testing.assert_allclose(F.scaled_dot_product_attention(t["query"], t["key"], t["value"], t["mask"]),
                               t["output_mask"], rtol=1e-10)
    np.testing.assert_allclose(F.scaled_dot_product_attention(t["query"], t["key"][:, :3], t["value"][:, :3],
                                                              is_causal=True), t["output_causal"], rtol=1e-10)


def test_attention_gradients():
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 2))
    mask = rng.random((3, 5)) > 0.3
    mask[:, 0] = True                                      # every query sees a key
    assert_gate(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), q, k, v)
    assert_gate(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), q, k[:, :3], v[:, :3])
    out = F.scaled_dot_product_attention(Value(q), k, v)   # numpy arrays mixed in are constants
    assert isinstance(out, Value) and out.shape == (2, 3, 2)


def test_multihead_attention_matches_pytorch():
    state, t = fixture("mha")
    mha = nn.MultiheadAttention(6, 2, batch_first=True).double()
    assert sorted(mha.state_dict()) == sorted(state)
    mha.load_state_dict(state)
    q, k, v = t["query"], t["key"], t["value"]
    out, weights = mha(q, k, v)
    np.testing.assert_allclose(out.data, t["output"], rtol=1e-10)
    np.testing.assert_allclose(weights.data, t["weights"], rtol=1e-10)
    out, weights = mha(q, k, v, attn_mask=t["bool_mask"], key_padding_mask=t["padding"])   # True = masked out
    np.testing.assert_allclose(out.data, t["output_bool"], rtol=1e-10)
    np.testing.assert_allclose(weights.data, t["weights_bool"], rtol=1e-10)
    out, weights = mha(q, k, v, attn_mask=t["float_mask"], average_attn_weights=False)
    np.testing.assert_allclose(out.data, t["output_float"], rtol=1e-10)
    np.testing.assert_allclose(weights.data, t["weights_float"], rtol=1e-10)


def mha_by_hand(mha, x, memory, masked=None):
    """Multi-head attention written out: projections, each head's softmax, heads joined, out_proj.
    masked: True where a query may not attend (PyTorch's nn.MultiheadAttention convention)."""
    w, b = mha.in_proj_weight.data, mha.in_proj_bias.data
    q, k, v = x @ w[:4].T + b[:4], memory @ w[4:8].T + b[4:8], memory @ w[8:].T + b[8:]
    heads, maps = [], []
    for h in range(2):                                     # head h: columns 2h, 2h+1
        cols = slice(2 * h, 2 * h + 2)
        scores = q[:, cols] @ k[:, cols].T / math.sqrt(2)
        e = np.exp(scores) * (1 if masked is None else ~masked)
        p = e / e.sum(axis=1, keepdims=True)
        heads.append(p @ v[:, cols])
        maps.append(p)
    return np.concatenate(heads, axis=1) @ mha.out_proj.weight.data.T + mha.out_proj.bias.data, (maps[0] + maps[1]) / 2


def test_multihead_attention_by_hand_unbatched():
    rng = np.random.default_rng(1)
    mha = nn.MultiheadAttention(4, 2).double()
    mha.in_proj_bias.data[...] = rng.standard_normal(12)
    x, memory = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    out, weights = mha(x, memory, memory)
    expected, expected_weights = mha_by_hand(mha, x, memory)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    np.testing.assert_allclose(weights.data, expected_weights, rtol=1e-12)
    batched, _ = mha(x[:, None], memory[:, None], memory[:, None])          # (L, N=1, E)
    np.testing.assert_allclose(batched.data[:, 0], out.data, rtol=1e-13)
    above = np.triu(np.ones((3, 3), bool), 1)              # True above the diagonal: masked, as PyTorch's MHA
    out, weights = mha(x, x, x, attn_mask=above)
    expected, expected_weights = mha_by_hand(mha, x, x, above)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(weights.data, expected_weights, rtol=1e-12)
    causal, none = mha(x, x, x, need_weights=False, is_causal=True)
    assert none is None
    np.testing.assert_allclose(causal.data, expected, rtol=1e-13, atol=1e-15)    # an output may be ~0
    causal.sum().backward()
    assert mha.in_proj_weight.grad.shape == (12, 4) and mha.out_proj.weight.grad.shape == (4, 4)


def test_multihead_attention_initialisation_and_errors():
    mha = nn.MultiheadAttention(8, 4)
    assert mha.in_proj_weight.shape == (24, 8) and mha.in_proj_weight.dtype == np.float32
    assert not mha.in_proj_bias.data.any() and not mha.out_proj.bias.data.any()
    assert np.abs(mha.in_proj_weight.data).max() <= math.sqrt(6 / (8 + 24))            # Xavier-uniform
    assert_reports(lambda: nn.MultiheadAttention(6, 4), ValueError, ["MultiheadAttention", "6", "num_heads 4"])
    assert_reports(lambda: nn.MultiheadAttention(6, 0), ValueError, ["MultiheadAttention", "num_heads"])
    x = np.zeros((3, 2, 8), np.float32)
    assert_reports(lambda: mha(x, x, np.zeros((3, 2, 5))), ValueError, ["MultiheadAttention", "(3, 2, 5)", "embed_dim=8"])
    assert_reports(lambda: mha(x, x, x, attn_mask=np.zeros((3, 4), bool)), ValueError,
                   ["MultiheadAttention", "attn_mask", "(3, 3)", "(3, 4)"])
    assert_reports(lambda: mha(x, x, x, key_padding_mask=np.zeros((3,), bool)), ValueError,
                   ["MultiheadAttention", "key_padding_mask", "(2, 3)"])
    assert_reports(lambda: F.scaled_dot_product_attention(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros((4, 1))),
                   ValueError, ["scaled_dot_product_attention", "(2, 3)", "(4, 5)"])
    assert_reports(lambda: F.scaled_dot_product_attention(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((4, 1)),
                                                          attn_mask=np.ones((3, 4), bool)),
                   ValueError, ["attn_mask", "(3, 4)", "(2, 4)"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multihead_attention_dtypes(dtype):
    mha = nn.MultiheadAttention(4, 2)                      # float32 parameters
    out, weights = mha(np.ones((2, 1, 4), dtype), np.ones((3, 1, 4), dtype), np.ones((3, 1, 4), dtype))
    assert out.dtype == dtype and weights.dtype == dtype
