"""BatchNorm's gate sums over the rows of a channels-last matrix when the memory
allows it (as convolutions leave their outputs): the same values and gradients
as on NCHW memory, in training and in evaluation, and the statistics too."""
import numpy as np
import pytest

import nn.functional as F
from autograd import Value
from nn.gates import norm
from nn.gates.layout import channels_first, is_channels_last


def channels_last_copy(x):
    return channels_first(np.ascontiguousarray(x.transpose(0, 2, 3, 1)))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_on_channels_last_memory_equals_nchw(training):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5, 6)) * 2 + 1
    g = rng.standard_normal(x.shape)
    weight, bias = rng.standard_normal(4), rng.standard_normal(4)
    stats = (rng.standard_normal(4), rng.uniform(0.5, 2, 4))
    results = []
    for data, grad in ((x, g), (channels_last_copy(x), channels_last_copy(g))):
        v, w, b = Value(data), Value(weight.copy()), Value(bias.copy())
        mean, var = (None, None) if training else (stats[0].copy(), stats[1].copy())
        out = F.batch_norm(v, mean, var, w, b, training=training)
        out.backward(grad)
        results.append((out.data, v.grad, w.grad, b.grad))
    assert is_channels_last(channels_last_copy(x)) and norm._matrix(channels_last_copy(x)) is not None
    assert norm._matrix(x) is None                          # the other path: numpy's sums over axes
    for nchw, nhwc in zip(*results):
        np.testing.assert_allclose(nhwc, nchw, rtol=1e-10, atol=1e-12)


def test_batch_statistics_match_numpy_in_both_layouts():
    x = np.random.default_rng(1).standard_normal((4, 3, 2, 5)).astype(np.float32) + 3
    for data in (x, channels_last_copy(x)):
        mean, var = norm.batch_statistics(data)
        assert mean.dtype == var.dtype == np.float32
        np.testing.assert_allclose(mean, x.mean(axis=(0, 2, 3)), rtol=1e-5)
        np.testing.assert_allclose(var, x.var(axis=(0, 2, 3)), rtol=1e-4)


def test_batch_norm_backward_sums_follow_each_gradient():
    """The gate's three local gradients share Σg and Σg·x̂ through its cache: a
    second backward (retain_graph) with another gradient must not reuse the first
    one's sums. The accumulated gradients equal one backward with g1 + g2."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3, 2, 2))
    g1, g2 = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    grads = []
    for upstream in ((g1, g2), (g1 + g2,)):
        v, w, b = Value(x.copy()), Value(rng.standard_normal(3)), Value(np.zeros(3))
        w.data[...] = [0.5, 2.0, -1.0]
        out = F.batch_norm(v, None, None, w, b, training=True)
        for g in upstream:
            out.backward(g, retain_graph=True)
        grads.append((v.grad, w.grad, b.grad))
    for twice, once in zip(*grads):
        np.testing.assert_allclose(twice, once, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(64, 16, 4, 4), (3, 5, 3, 1), (2, 7, 1, 3), (16, 24)])
def test_batch_norm_reads_rows_of_many_pixels_as_one(shape):
    """With few channels the gate reads k pixels' channels as one row of k·C numbers
    (k dividing the pixels: 32 for 1024 pixels of 16 channels, 3 for 9 of 5, 1 for 6
    of 7) and tiles the per-channel numbers k times. The results equal plain
    broadcasting over the NCHW axes, for a gradient in either layout, and a cropped
    one."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape) * 3 + 2
    weight, bias = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    if len(shape) == 4:
        data = channels_last_copy(x)
        wider = channels_last_copy(rng.standard_normal(shape[:3] + (shape[3] + 2,)))
        wider[..., :shape[3]] = rng.standard_normal(shape)
        upstream = [channels_last_copy(wider[..., :shape[3]]), wider[..., :shape[3]].copy(), wider[..., :shape[3]]]
    else:
        data, upstream = x, [rng.standard_normal(shape)]
    matrix = norm._matrix(data)
    assert matrix is not None and matrix.shape[1] % shape[1] == 0 and np.shares_memory(matrix, data)
    mean, var = norm.batch_statistics(data)
    np.testing.assert_allclose(mean, x.mean(axis=norm.stat_axes(x.ndim)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=norm.stat_axes(x.ndim)), rtol=1e-12, atol=1e-12)
    out, _ = norm.batch_norm.forward(data, weight, bias, mean, var, 1e-5, True)
    per_channel = lambda v: v.reshape((1, -1) + (1,) * (x.ndim - 2))          # noqa: E731
    expected = (x - per_channel(mean)) / per_channel(np.sqrt(var + 1e-5)) * per_channel(weight) + per_channel(bias)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert out.shape == data.shape and (x.ndim == 2 or is_channels_last(out))
    for g in upstream:
        grads = [f(g, {}, data, weight, bias, mean, var, 1e-5, True) for f in norm.batch_norm.local_grads]
        reference = [f(np.ascontiguousarray(g), {}, x, weight, bias, mean, var, 1e-5, True)
                     for f in norm.batch_norm.local_grads]
        for ours, theirs in zip(grads, reference):
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_adaptive_average_pooling_returns_its_gradient_in_the_input_layout():
    """Global average pooling's gradient is a broadcast of g (N, C, 1, 1): in NCHW memory it
    would make every gate before it (relu, batch_norm) walk two layouts at once."""
    from nn.gates import resample
    x = channels_last_copy(np.random.default_rng(4).standard_normal((2, 3, 4, 5)))
    rows, cols = resample.average_matrix(4, 1), resample.average_matrix(5, 1)
    g = np.arange(6.0).reshape(2, 3, 1, 1)
    dx = resample.adaptive_avg_pool2d.local_grads[0](g, None, x, rows, cols)
    assert is_channels_last(dx)
    np.testing.assert_allclose(dx, np.broadcast_to(g / 20, x.shape))
    assert not is_channels_last(resample.adaptive_avg_pool2d.local_grads[0](g, None, np.ascontiguousarray(x),
                                                                            rows, cols))
