"""Every fused gate of nn, property-tested against central differences.

Each test is `check_gate(function, strategy)` on an empty function, as in
tests/test_gates.py: hypothesis draws shapes, batch sizes (1 included),
kernel sizes, strides, paddings and dilations; `assert_gate` compares
backward's gradients with central differences in float64, checks that the
inputs are not mutated, that float32 stays float32 and that the graph is
released. Gates whose local gradients are written with operators are also
checked to second order. `test_every_fused_gate_is_tested` walks the table.
"""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
import nn.functional as F
from autograd import Value
from autograd.gradcheck import compare, numerical_gradient
from autograd.testing import arrays, check_gate, reals, untied_arrays
from nn import gates

away_from_zero = reals(avoid=[0.0], margin=0.05)
few = settings(max_examples=100)


# ---------------------------------------------------------------- strategies
@st.composite
def conv_geometry(draw, transposed=False):
    """Kernel, stride, dilation, padding and an input size the window fits."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    if transposed:
        padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
        extra = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
        out = [(n - 1) * s - 2 * p + d * (k - 1) + e + 1
               for n, s, p, d, k, e in zip(size, stride, padding, dilation, kernel, extra)]
        assume(min(out) >= 1)
        return kernel, stride, dilation, padding, extra, size
    padding = draw(st.sampled_from(["valid", "same", 0, 1, 2, (0, 1), (2, 0)]))
    if padding == "same":
        stride = (1, 1)
    pads = {"valid": (0, 0), "same": (0, 0)}.get(padding, padding if isinstance(padding, tuple) else (padding,) * 2)
    extent = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    size = tuple(max(1, e - 2 * p) + draw(st.integers(0, 4)) for e, p in zip(extent, pads))
    return kernel, stride, dilation, padding, size


@st.composite
def conv2d_args(draw):
    kernel, stride, dilation, padding, (h, w) = draw(conv_geometry())
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    bias = draw(st.one_of(st.none(), arrays((o,))))
    return draw(arrays((n, c, h, w))), draw(arrays((o, c) + kernel)), bias, stride, padding, dilation


@st.composite
def conv_transpose2d_args(draw):
    kernel, stride, dilation, padding, extra, (h, w) = draw(conv_geometry(transposed=True))
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    bias = draw(st.one_of(st.none(), arrays((o,))))
    return draw(arrays((n, c, h, w))), draw(arrays((c, o) + kernel)), bias, stride, padding, extra, dilation


@st.composite
def pool_args(draw, untied=True, with_dilation=True):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if with_dilation else (1, 1)
    extent = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    size = tuple(max(1, e - 2 * p) + draw(st.integers(0, 4)) for e, p in zip(extent, padding))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + size
    x = draw(untied_arrays(shape) if untied else arrays(shape))
    # with dilation a window can hold padding only: -inf for max pooling (as PyTorch), no gradient to check
    assume(np.all(np.isfinite(F.max_pool2d(x, kernel, stride, padding, dilation))))
    return x, kernel, stride, padding, dilation


# ---------------------------------------------------------------- linear and convolution
@st.composite
def linear_args(draw):
    lead = draw(st.lists(st.integers(1, 3), max_size=2).map(tuple))
    i, o = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return draw(arrays(lead + (i,))), draw(arrays((o, i))), draw(st.one_of(st.none(), arrays((o,))))


@check_gate(F.linear, linear_args())
def test_linear(x, w, b):
    "x @ Wᵀ + b for inputs (in,), (n, in) and (n, m, in), with and without bias"


@few
@check_gate(F.conv2d, conv2d_args(), second_order=False)
def test_conv2d(x, w, b, stride, padding, dilation):
    "conv2d over drawn kernels 1..3, strides 1..3, dilations 1..2, int/pair/'same'/'valid' padding, batch 1..2"


@pytest.mark.parametrize("shifted", [True, False], ids=["shifted matmuls", "im2col"])
def test_conv2d_at_stride_1_by_either_path(shifted, monkeypatch):
    """A stride-1 convolution (and the stride-1 convolution that is conv2d's d/dx) takes shifted
    matmuls or im2col by its shape (shifts_pay): each path, forced, on drawn shapes."""
    monkeypatch.setattr(gates.conv, "shifts_pay", lambda *shapes: shifted)
    stride_1 = conv2d_args().map(lambda args: args[:3] + ((1, 1),) + args[4:])

    @few
    @check_gate(F.conv2d, stride_1, second_order=False)
    def test(x, w, b, stride, padding, dilation):
        pass
    test()


@st.composite
def grouped_conv2d_args(draw):
    kernel, stride, dilation, padding, (h, w) = draw(conv_geometry())
    groups, per_in, per_out = draw(st.integers(2, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    n, c, o = draw(st.integers(1, 2)), groups * per_in, groups * per_out
    bias = draw(st.one_of(st.none(), arrays((o,))))
    return draw(arrays((n, c, h, w))), draw(arrays((o, per_in) + kernel)), bias, stride, padding, dilation, groups


@settings(max_examples=30)
@check_gate(F.conv2d, grouped_conv2d_args(), second_order=False)
def test_conv2d_groups(x, w, b, stride, padding, dilation, groups):
    "grouped convolution (2 or 3 groups, depthwise included), its weight placed block-diagonally"


@few
@check_gate(lambda x, w, b, stride, padding, extra, dilation:
            F.conv_transpose2d(x, w, b, stride, padding, output_padding=extra, dilation=dilation),
            conv_transpose2d_args(), second_order=False)
def test_conv_transpose2d(x, w, b, stride, padding, output_padding, dilation):
    "the transposed convolution over drawn kernels, strides, paddings, output paddings, dilations"


# ---------------------------------------------------------------- pooling
@few
@check_gate(F.max_pool2d, pool_args(), second_order=False)
def test_max_pool2d(x, kernel, stride, padding, dilation):
    "max pooling without ties, overlapping and tiling windows, -inf padding, dilation"


@st.composite
def tiling_pool_args(draw):
    k = draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), k * draw(st.integers(1, 3)), k * draw(st.integers(1, 3)))
    return draw(untied_arrays(shape)), k


@few
@check_gate(F.max_pool2d, tiling_pool_args(), second_order=False)
def test_max_pool2d_tiling(x, k):
    "the fast path: windows that tile the input exactly (stride = kernel)"


@st.composite
def avg_pool_args(draw):
    x, kernel, stride, padding, _ = draw(pool_args(untied=False, with_dilation=False))
    return x, kernel, stride, padding, draw(st.booleans())


@few
@check_gate(lambda x, kernel, stride, padding, count: F.avg_pool2d(x, kernel, stride, padding, count_include_pad=count),
            avg_pool_args(), second_order=False)
def test_avg_pool2d(x, kernel, stride, padding, count):
    "average pooling, zero padding counted in the divisor or not"


# ---------------------------------------------------------------- resampling (issue 16)
@st.composite
def adaptive_pool_args(draw):
    x = draw(arrays((draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 6)),
                     draw(st.integers(1, 6)))))
    size = draw(st.one_of(st.integers(1, 7), st.tuples(st.one_of(st.none(), st.integers(1, 7)), st.integers(1, 7))))
    return x, size


@check_gate(F.adaptive_avg_pool2d, adaptive_pool_args())
def test_adaptive_avg_pool2d(x, size):
    "adaptive average pooling to drawn sizes, smaller and larger than the input (overlapping windows), None axes"


@st.composite
def interpolate_args(draw, mode):
    x = draw(arrays((draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 5)),
                     draw(st.integers(1, 5)))))
    if draw(st.booleans()):
        size, scale = draw(st.tuples(st.integers(1, 9), st.integers(1, 9))), None
    else:
        size, scale = None, draw(st.sampled_from([2, 3, 1.5, 0.5, (2, 1.7)]))
        assume(all(int(n * s) >= 1 for n, s in zip(x.shape[2:], np.broadcast_to(scale, 2))))
    corners = draw(st.sampled_from([None, False, True])) if mode == "bilinear" else None
    return x, size, scale, corners


@check_gate(lambda x, size, scale, corners: F.interpolate(x, size, scale, "nearest"), interpolate_args("nearest"))
def test_upsample_nearest2d(x, size, scale, corners):
    "nearest-neighbour resizing to drawn sizes and by drawn scale factors (up and down)"


@check_gate(lambda x, size, scale, corners: F.interpolate(x, size, scale, "bilinear", corners),
            interpolate_args("bilinear"))
def test_upsample_bilinear2d(x, size, scale, corners):
    "bilinear resizing, align_corners False and True, to drawn sizes and by drawn scale factors"


# ---------------------------------------------------------------- batch norm
@st.composite
def batch_norm_args(draw, training):
    ndim = draw(st.sampled_from([2, 3, 4]))
    shape = (draw(st.integers(1 if ndim > 2 else 2, 3)), draw(st.integers(1, 3))) + tuple(
        draw(st.integers(1, 3)) for _ in range(ndim - 2))
    assume(np.prod(shape) // shape[1] >= 2)
    c = shape[1]
    w = draw(st.one_of(st.none(), arrays((c,))))
    b = draw(st.one_of(st.none(), arrays((c,))))
    x = draw(arrays(shape))
    if training:
        assume(np.all(np.var(x, axis=(0,) + tuple(range(2, ndim))) > 0.05))   # a spread to normalise
        return x, w, b
    stats = (draw(arrays((c,))), draw(arrays((c,), elements=reals(0.1, 2.0))))
    return x, w, b, stats


@few
@check_gate(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), batch_norm_args(True),
            second_order=False)
def test_batch_norm(x, w, b):
    "training mode: batch statistics, the gradient flows through the mean and the variance"


@few
@check_gate(lambda x, w, b, stats: F.batch_norm(x, stats[0], stats[1], w, b, training=False),
            batch_norm_args(False), second_order=False)
def test_batch_norm_eval(x, w, b, stats):
    "evaluation mode: running statistics are constants"


# ---------------------------------------------------------------- activations
@st.composite
def array_and_dim(draw):
    x = draw(arrays(min_dims=1))
    return x, draw(st.integers(-x.ndim, x.ndim - 1))


@check_gate(F.softmax, array_and_dim())
def test_softmax(x, dim):
    "softmax along a drawn axis"


@check_gate(F.log_softmax, array_and_dim())
def test_log_softmax(x, dim):
    "log-softmax along a drawn axis"


@st.composite
def prelu_args(draw):
    x = draw(arrays(elements=away_from_zero, min_dims=1))
    channels = x.shape[1] if x.ndim >= 2 else 1
    return x, draw(arrays((draw(st.sampled_from([1, channels])),), elements=reals(0.0, 1.0)))


@check_gate(F.prelu, prelu_args())
def test_prelu(x, a):
    "PReLU with one slope or one per channel"


def _dropout(x, p, seed):
    autograd.manual_seed(seed)                  # the same mask on every call of a gradient check
    return F.dropout(x, p, training=True)


@check_gate(_dropout, st.tuples(arrays(), st.sampled_from([0.0, 0.3, 0.5, 1.0]), st.integers(0, 100)))
def test_dropout(x, p, seed):
    "inverted dropout with a fixed mask"


@st.composite
def guided_relu_args(draw):
    x = draw(arrays(elements=away_from_zero))
    return x, draw(arrays(x.shape, elements=away_from_zero))


@given(guided_relu_args())
def test_guided_relu(args):
    "guided ReLU: its rule g·[x > 0]·[g > 0], which is ReLU's gradient when every g > 0"
    # The gate's backward is deliberately not the derivative of its forward (negative
    # gradients from above are stopped), so check_gate's central differences under a
    # random-signed upstream gradient do not apply: the rule is checked as written, and
    # against central differences of max(0, x) under a positive upstream gradient.
    x, g = args
    v = Value(x)
    out = gates.guided_relu(v)
    np.testing.assert_array_equal(out.data, np.maximum(x, 0))
    out.backward(g)
    np.testing.assert_array_equal(v.grad, np.where((x > 0) & (g > 0), g, 0.0))

    positive = np.abs(g)
    v = Value(x)
    gates.guided_relu(v).backward(positive)
    numeric = numerical_gradient(gates.guided_relu, [Value(np.array(x))], 0, positive, 1e-6)
    assert not compare(v.grad, numeric, 1e-5, 1e-3), compare(v.grad, numeric, 1e-5, 1e-3)

    # create_graph: the same gradient, as a graph of the upstream gradient: g times a
    # constant mask, so d(first)/dg is the mask (and, as for ReLU, nothing flows to x)
    v, upstream = Value(x), Value(g)
    out = gates.guided_relu(v)
    (first,) = autograd.grad(out, [v], grad_output=g, create_graph=True)
    np.testing.assert_array_equal(first.data, np.where((x > 0) & (g > 0), g, 0.0))
    (first,) = autograd.grad((out * upstream).sum(), [v], create_graph=True)
    assert isinstance(first, Value) and first.requires_grad
    d_upstream, d_x = autograd.grad(first.sum(), [upstream, v], allow_unused=True)
    np.testing.assert_array_equal(d_upstream, ((x > 0) & (g > 0)).astype(float))
    assert d_x is None or not np.any(d_x)

    v32 = Value(x.astype(np.float32))
    out32 = gates.guided_relu(v32)
    out32.backward(g.astype(np.float32))
    assert out32.dtype == np.float32 and v32.grad.dtype == np.float32


# ---------------------------------------------------------------- losses
reductions = st.sampled_from(["mean", "sum", "none"])


@st.composite
def scores_and_labels(draw, spatial=True):
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) if spatial else ()
    labels = draw(st.lists(st.integers(0, c - 1), min_size=n * int(np.prod(extra)),
                           max_size=n * int(np.prod(extra))))
    return draw(arrays((n, c) + extra)), np.array(labels, dtype=np.int64).reshape((n,) + extra), draw(reductions)


@check_gate(lambda x, y, r: F.cross_entropy(x, y, reduction=r), scores_and_labels(), second_order=False)
def test_cross_entropy(x, y, r):
    "softmax cross-entropy with integer labels, (N, C) and (N, C, d...) scores, every reduction"


@st.composite
def margin_args(draw):
    x, y, r = draw(scores_and_labels(spatial=False))
    p, margin = draw(st.sampled_from([1, 2])), draw(st.sampled_from([1.0, 0.5]))
    hinge = margin - x[np.arange(len(y)), y][:, None] + x
    hinge[np.arange(len(y)), y] = 1.0
    assume(np.all(np.abs(hinge) > 1e-3))        # away from the hinge's kink
    return x, y, p, margin, r


@check_gate(lambda x, y, p, m, r: F.multi_margin_loss(x, y, p, m, reduction=r), margin_args(), second_order=False)
def test_multi_margin_loss(x, y, p, m, r):
    "the multiclass SVM loss, hinge and squared hinge"


@st.composite
def pair_args(draw, elements=None):
    a = draw(arrays(min_dims=1))
    return a, draw(arrays(a.shape, elements=elements)), draw(reductions)


@check_gate(lambda x, t, r: F.binary_cross_entropy_with_logits(x, t, reduction=r),
            pair_args(elements=reals(0.0, 1.0)))
def test_binary_cross_entropy_with_logits(x, t, r):
    "BCE from logits, gradients for both logits and targets"


@st.composite
def bce_args(draw):
    p = draw(arrays(min_dims=1, elements=reals(0.05, 0.95)))      # probabilities away from the clamps at 0, 1
    t, r = draw(arrays(p.shape, elements=reals(0.0, 1.0))), draw(reductions)
    weight = draw(st.sampled_from([None, "full", "last axis"]))
    if weight is not None:
        weight = draw(arrays(p.shape if weight == "full" else p.shape[-1:], elements=reals(0.0, 2.0)))
        weight = weight.tolist()        # a constant of the loss: a list, so check_gate does not differentiate it
    return p, t, weight, r


@check_gate(lambda p, t, w, r: F.binary_cross_entropy(p, t, w, reduction=r), bce_args())
def test_binary_cross_entropy(p, t, w, r):
    "BCE on probabilities: gradients for both probabilities and targets, with and without a weight"


@check_gate(lambda a, b, r: F.mse_loss(a, b, reduction=r), pair_args())
def test_mse_loss(a, b, r):
    "the L2 loss"


@st.composite
def untied_pair(draw):
    a, b, r = draw(pair_args())
    assume(np.all(np.abs(a - b) > 1e-3))
    return a, b, r


@check_gate(lambda a, b, r: F.l1_loss(a, b, reduction=r), untied_pair())
def test_l1_loss(a, b, r):
    "the L1 loss away from its kink"


# ---------------------------------------------------------------- the walk
def test_every_fused_gate_is_tested():
    tested = {name[len("test_"):] for name, f in globals().items()
              if name.startswith("test_") and hasattr(f, "hypothesis")}
    missing = [name for name in gates.TABLE if not any(t == name or t.startswith(name + "_") for t in tested)]
    assert not missing, f"fused gates without a property test in tests/test_nn_gates.py: {missing}"
    assert len(gates.TABLE) >= 15


# ---------------------------------------------------------------- sequences (issue 15)
@st.composite
def embedding_args(draw):
    rows, dim = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))        # any shape, empty and repeats too
    idx = np.array(draw(st.lists(st.integers(0, rows - 1), min_size=int(np.prod(shape)),
                                 max_size=int(np.prod(shape)))), dtype=np.int64).reshape(shape)
    return draw(arrays((rows, dim))), idx, draw(st.integers(-rows, rows - 1))


@check_gate(lambda w, idx, pad: F.embedding(idx, w), embedding_args())
def test_embedding(w, idx, pad):
    "W[idx] for index arrays of any shape (0-d, empty, repeated indices)"


@given(embedding_args())
def test_embedding_padding_row(args):
    "the padding row gets no gradient (as PyTorch: not the derivative), every other row the same as without"
    w, idx, pad = args
    g = np.random.default_rng(0).standard_normal(idx.shape + w.shape[1:])
    plain, padded = Value(w), Value(w)
    F.embedding(idx, plain).backward(g)
    out = F.embedding(idx, padded, pad)
    out.backward(g)
    np.testing.assert_array_equal(out.data, w[idx])
    expected = np.array(plain.grad)
    expected[pad] = 0
    np.testing.assert_array_equal(padded.grad, expected)


@st.composite
def layer_norm_args(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    k = draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - k:]
    assume(np.prod(normalized) >= 2)
    x = draw(arrays(shape))
    assume(np.all(np.var(x.reshape(-1, int(np.prod(normalized))), axis=1) > 0.05))   # a spread to normalise
    w = draw(st.one_of(st.none(), arrays(normalized)))
    b = draw(st.one_of(st.none(), arrays(normalized)))
    return x, normalized, w, b


@few
@check_gate(F.layer_norm, layer_norm_args(), second_order=False)
def test_layer_norm(x, normalized_shape, w, b):
    "layer norm over the last 1..3 axes, with and without weight and bias"


@st.composite
def lstm_args(draw):
    steps, batch, features, hidden = (draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3)),
                                      draw(st.integers(1, 3)))
    batch_first = draw(st.booleans())
    x = draw(arrays((batch, steps, features) if batch_first else (steps, batch, features)))
    small = reals(-1.0, 1.0)
    h0, c0 = draw(arrays((batch, hidden))), draw(arrays((batch, hidden)))
    w_ih, w_hh = draw(arrays((4 * hidden, features), elements=small)), draw(arrays((4 * hidden, hidden), elements=small))
    biases = draw(st.one_of(st.just((None, None)), st.tuples(arrays((4 * hidden,)), arrays((4 * hidden,)))))
    return (x, h0, c0, w_ih, w_hh) + biases + (batch_first,)


@few
@check_gate(gates.lstm, lstm_args(), second_order=False)
def test_lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, batch_first):
    "the whole-sequence LSTM gate: 1..3 steps, batch 1..2, time-major and batch-first, with and without biases"


@st.composite
def gru_rnn_args(draw, blocks):
    steps, batch, features, hidden = (draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3)),
                                      draw(st.integers(1, 3)))
    batch_first = draw(st.booleans())
    x = draw(arrays((batch, steps, features) if batch_first else (steps, batch, features)))
    small = reals(-1.0, 1.0)
    h0 = draw(arrays((batch, hidden)))
    w_ih = draw(arrays((blocks * hidden, features), elements=small))
    w_hh = draw(arrays((blocks * hidden, hidden), elements=small))
    biases = draw(st.one_of(st.just((None, None)), st.tuples(arrays((blocks * hidden,)), arrays((blocks * hidden,)))))
    return (x, h0, w_ih, w_hh) + biases + (batch_first,)


@few
@check_gate(gates.gru, gru_rnn_args(3), second_order=False)
def test_gru(x, h0, w_ih, w_hh, b_ih, b_hh, batch_first):
    "the whole-sequence GRU gate: 1..3 steps, batch 1..2, time-major and batch-first, with and without biases"


@st.composite
def rnn_args(draw):
    x, h0, w_ih, w_hh, b_ih, b_hh, batch_first = draw(gru_rnn_args(1))
    relu = draw(st.booleans())
    if relu:                                   # away from relu's kink at every step
        h = h0
        for x_t in (x.transpose(1, 0, 2) if batch_first else x):
            a = x_t @ w_ih.T + h @ w_hh.T + (0 if b_ih is None else b_ih + b_hh)
            assume(np.all(np.abs(a) > 1e-3))
            h = np.maximum(a, 0)
    return x, h0, w_ih, w_hh, b_ih, b_hh, relu, batch_first


@few
@check_gate(gates.rnn, rnn_args(), second_order=False)
def test_rnn(x, h0, w_ih, w_hh, b_ih, b_hh, relu, batch_first):
    "the whole-sequence Elman RNN gate, tanh and relu, time-major and batch-first, with and without biases"
