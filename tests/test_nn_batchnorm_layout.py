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
    assert is_channels_last(channels_last_copy(x)) and norm._rows(channels_last_copy(x)) is not None
    assert norm._rows(x) is None                          # the other path: numpy's sums over axes
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
