"""The layers as modules: shapes and defaults, BatchNorm's statistics checked
by hand, Dropout's statistics, evaluation mode, activations and losses
against their formulas written out with numpy."""
import math

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import Value

rng = np.random.default_rng(0)


# ---------------------------------------------------------------- shapes and defaults
def test_linear_shapes_and_pytorch_default_init():
    autograd.manual_seed(0)
    layer = nn.Linear(400, 50)
    assert layer.weight.shape == (50, 400) and layer.bias.shape == (50,)
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(400)                             # U(-1/√in, 1/√in) for weight and bias
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert layer(np.ones((7, 400), np.float32)).shape == (7, 50)
    assert layer(np.ones((2, 3, 400), np.float32)).shape == (2, 3, 50)


def test_conv_layers_shapes_and_default_init():
    autograd.manual_seed(0)
    conv = nn.Conv2d(3, 16, 5, stride=2, padding=2)
    assert conv.weight.shape == (16, 3, 5, 5) and conv.bias.shape == (16,)
    assert np.abs(conv.weight.data).max() <= 1 / math.sqrt(3 * 25)
    assert conv(np.ones((2, 3, 32, 32), np.float32)).shape == (2, 16, 16, 16)
    assert nn.Conv2d(3, 4, (1, 3), padding="same")(np.ones((1, 3, 5, 6), np.float32)).shape == (1, 4, 5, 6)
    up = nn.ConvTranspose2d(16, 3, 4, stride=2, padding=1)
    assert up.weight.shape == (16, 3, 4, 4)
    assert np.abs(up.weight.data).max() <= 1 / math.sqrt(3 * 16)    # PyTorch: fan_in from the weight's axis 1
    assert up(np.ones((2, 16, 8, 8), np.float32)).shape == (2, 3, 16, 16)


def test_pool_and_flatten_layers():
    x = rng.standard_normal((2, 3, 8, 6)).astype(np.float32)
    windows = x.reshape(2, 3, 4, 2, 3, 2)                          # 2x2 windows, by hand
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x), windows.max(axis=(3, 5)))
    np.testing.assert_allclose(nn.AvgPool2d(2, stride=2)(x), windows.mean(axis=(3, 5)), rtol=1e-6)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    by_hand = np.max([padded[:, :, i:i + 8, j:j + 6] for i in range(3) for j in range(3)], axis=0)
    np.testing.assert_array_equal(nn.MaxPool2d(3, stride=1, padding=1)(x), by_hand)
    np.testing.assert_array_equal(nn.Flatten()(Value(x)).data, x.reshape(2, 144))
    np.testing.assert_array_equal(nn.Flatten(0, 1)(Value(x)).data, x.reshape(6, 8, 6))


# ---------------------------------------------------------------- batch norm
def test_batchnorm2d_running_statistics_after_several_steps_match_numpy_by_hand():
    bn = nn.BatchNorm2d(3)
    assert (bn.momentum, bn.eps) == (0.1, 1e-5)
    np.testing.assert_array_equal(bn.weight.data, np.ones(3))
    np.testing.assert_array_equal(bn.bias.data, np.zeros(3))
    mean, var = np.zeros(3), np.ones(3)
    batches = [rng.standard_normal((4, 3, 5, 5)) * [[[[2.0]], [[0.5]], [[1.0]]]] + 3.0 for _ in range(5)]
    for x in batches:
        out = bn(x.astype(np.float32))
        m = x.size // 3                                             # values per channel
        batch_mean = x.mean(axis=(0, 2, 3))
        batch_var = ((x - batch_mean[None, :, None, None]) ** 2).sum(axis=(0, 2, 3)) / m
        mean = 0.9 * mean + 0.1 * batch_mean
        var = 0.9 * var + 0.1 * batch_var * m / (m - 1)             # the running variance is unbiased
        expected = (x - batch_mean[None, :, None, None]) / np.sqrt(batch_var[None, :, None, None] + 1e-5)
        np.testing.assert_allclose(out.data, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-5)
    bn.eval()                                                       # evaluation: the running statistics
    x = batches[0].astype(np.float32)
    expected = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-5)    # and they do not move


def test_batchnorm1d_normalises_over_the_batch_and_length_with_learned_scale_and_shift():
    bn = nn.BatchNorm1d(2)
    bn.weight.data[:] = [2.0, 3.0]
    bn.bias.data[:] = [0.5, -1.0]
    x = rng.standard_normal((6, 2)).astype(np.float32)
    out = bn(x).data
    np.testing.assert_allclose(out.mean(axis=0), [0.5, -1.0], atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), [2.0, 3.0], rtol=1e-3)
    x3 = rng.standard_normal((4, 2, 5)).astype(np.float32)
    out3 = bn(x3).data
    np.testing.assert_allclose(out3.mean(axis=(0, 2)), [0.5, -1.0], atol=1e-5)


def test_batchnorm_options_and_gradients_reach_weight_and_bias():
    no_stats = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert no_stats.weight is None and list(no_stats.state_dict()) == []
    no_stats.eval()                                   # without running statistics: always batch statistics
    out = no_stats(rng.standard_normal((8, 3)).astype(np.float32))  # no Value in, an array out
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-5)
    bn = nn.BatchNorm2d(2)
    (bn(rng.standard_normal((3, 2, 2, 2)).astype(np.float32)) * np.arange(24.0).reshape(3, 2, 2, 2)).sum().backward()
    assert bn.weight.grad.shape == (2,) and bn.bias.grad.shape == (2,)
    np.testing.assert_allclose(bn.bias.grad, [np.arange(24.0).reshape(3, 2, 2, 2)[:, c].sum() for c in (0, 1)])


def test_batchnorm_in_training_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match=r"batch_norm: expected more than 1 value per channel.*\(1, 4\)"):
        nn.BatchNorm1d(4)(np.ones((1, 4), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected a 4-D input \(N, C, H, W\), got shape \(2, 3\)"):
        nn.BatchNorm2d(3)(np.ones((2, 3), np.float32))


# ---------------------------------------------------------------- dropout
def test_dropout_zeroes_a_fraction_p_and_preserves_the_mean():
    autograd.manual_seed(0)
    x = np.ones((200, 500), np.float32)
    for p in (0.1, 0.5, 0.8):
        out = nn.Dropout(p)(x)                                      # no Value in, an array out
        assert out.dtype == np.float32
        assert abs(np.mean(out == 0) - p) < 0.01                    # ±0.01 is > 6 standard deviations here
        assert abs(out.mean() - 1.0) < 0.03                         # survivors are scaled by 1/(1-p)
        np.testing.assert_allclose(np.unique(out), [0.0, 1 / (1 - p)], rtol=1e-6)
    assert np.all(nn.Dropout(1.0)(x) == 0)


def test_dropout_is_reproducible_with_manual_seed_and_the_identity_in_eval():
    x = rng.standard_normal((10, 10)).astype(np.float32)
    drop = nn.Dropout(0.5)
    autograd.manual_seed(7)
    first = drop(x)
    autograd.manual_seed(7)
    np.testing.assert_array_equal(drop(x), first)
    assert not np.array_equal(drop(x), first)                       # a new mask each call
    drop.eval()
    assert drop(x) is x
    v = Value(x)
    v_out = F.dropout(v, 0.5, training=True)
    v_out.backward(np.ones_like(x))
    np.testing.assert_array_equal(v.grad, v_out.data / np.where(x == 0, 1, x))  # the gradient is the mask


def test_eval_mode_is_deterministic():
    autograd.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5), nn.Flatten(),
                        nn.Linear(4 * 4 * 4, 3), nn.Dropout(0.3))
    x = rng.standard_normal((3, 2, 6, 6)).astype(np.float32)
    net(x)                                                          # one training step moves the statistics
    assert not np.array_equal(net(x).data, net(x).data)             # training: dropout differs per call
    net.eval()
    np.testing.assert_array_equal(net(x).data, net(x).data)


# ---------------------------------------------------------------- activations
def test_activation_modules_follow_their_formulas():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    np.testing.assert_allclose(nn.ReLU()(x), np.maximum(x, 0))
    np.testing.assert_allclose(nn.LeakyReLU()(x), np.where(x > 0, x, 0.01 * x))
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(x), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(nn.ELU()(x), np.where(x > 0, x, np.exp(x) - 1))
    np.testing.assert_allclose(nn.Sigmoid()(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.Tanh()(x), np.tanh(x))
    np.testing.assert_allclose(nn.Softmax(1)(x), np.exp(x) / np.exp(x).sum())
    np.testing.assert_allclose(nn.LogSoftmax(-1)(x), x - np.log(np.exp(x).sum()))
    np.testing.assert_allclose(F.softmax(np.array([1000.0, 1000.0]), 0), [0.5, 0.5])    # stable


def test_prelu_learns_one_slope_or_one_per_channel():
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    act = nn.PReLU()
    np.testing.assert_allclose(act(x).data, np.where(x > 0, x, 0.25 * x))
    per_channel = nn.PReLU(3)
    per_channel.weight.data[:] = [0.1, 0.2, 0.3]
    out = per_channel(Value(x))
    np.testing.assert_allclose(out.data, np.where(x > 0, x, np.array([0.1, 0.2, 0.3])[None, :, None] * x), rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(per_channel.weight.grad, np.where(x > 0, 0, x).sum(axis=(0, 2)), rtol=1e-5)


def test_maxout_is_the_max_of_its_linear_pieces():
    autograd.manual_seed(0)
    layer = nn.Maxout(4, 3, pieces=2)
    assert layer.weight.shape == (6, 4) and layer.bias.shape == (6,)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    z = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(x).data, z.reshape(5, 3, 2).max(axis=-1), rtol=1e-6)


# ---------------------------------------------------------------- losses
def test_cross_entropy_is_minus_the_log_softmax_at_the_label():
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    log_p = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    terms = -log_p[np.arange(6), y]
    np.testing.assert_allclose(F.cross_entropy(x, y), terms.mean())
    np.testing.assert_allclose(F.cross_entropy(x, y, reduction="sum"), terms.sum())
    np.testing.assert_allclose(F.cross_entropy(x, y, reduction="none"), terms)
    np.testing.assert_allclose(nn.CrossEntropyLoss()(x, y), terms.mean())
    # huge scores do not overflow
    assert np.isfinite(F.cross_entropy(np.array([[1e4, 0.0]]), np.array([1])))
    # gradient: softmax - onehot, over N
    v = Value(x)
    F.cross_entropy(v, y).backward()
    np.testing.assert_allclose(v.grad, (np.exp(log_p) - np.eye(4)[y]) / 6)
    # (N, C, d) scores: classes on axis 1, every position an example
    x3, y3 = rng.standard_normal((2, 4, 3)), rng.integers(0, 4, (2, 3))
    np.testing.assert_allclose(F.cross_entropy(x3, y3, reduction="none"),
                               F.cross_entropy(x3.transpose(0, 2, 1).reshape(6, 4), y3.reshape(6),
                                               reduction="none").reshape(2, 3))


def test_multi_margin_loss_is_the_notes_svm_divided_by_the_classes():
    # the notes' example: scores [13, -7, 11], correct class 0, margin 10 -> 8
    scores = np.array([[13.0, -7.0, 11.0]])
    assert F.multi_margin_loss(scores, np.array([0]), margin=10.0) == pytest.approx(8 / 3)
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    margins = np.maximum(0, 1 - x[np.arange(5), y][:, None] + x)
    margins[np.arange(5), y] = 0
    np.testing.assert_allclose(F.multi_margin_loss(x, y), (margins.sum(axis=1) / 4).mean())
    np.testing.assert_allclose(F.multi_margin_loss(x, y, p=2, reduction="none"), (margins ** 2).sum(axis=1) / 4)
    np.testing.assert_allclose(nn.MultiMarginLoss(p=2, reduction="sum")(x, y), ((margins ** 2).sum(axis=1) / 4).sum())


def test_bce_mse_l1_follow_their_formulas():
    x, t = rng.standard_normal((3, 4)), rng.random((3, 4))
    sig = 1 / (1 + np.exp(-x))
    bce = -(t * np.log(sig) + (1 - t) * np.log(1 - sig))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, t), bce.mean())
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction="none")(x, t), bce)
    assert np.isfinite(F.binary_cross_entropy_with_logits(np.array([-1e4, 1e4]), np.array([1.0, 0.0])))
    np.testing.assert_allclose(F.mse_loss(x, t), ((x - t) ** 2).mean())
    np.testing.assert_allclose(nn.MSELoss(reduction="sum")(x, t), ((x - t) ** 2).sum())
    np.testing.assert_allclose(F.l1_loss(x, t), np.abs(x - t).mean())
    np.testing.assert_allclose(nn.L1Loss(reduction="none")(x, t), np.abs(x - t))


# ---------------------------------------------------------------- issue 17: BCE on probabilities, Unflatten
def test_binary_cross_entropy_by_hand():
    # p = 0.8 for t = 1 and t = 0.25: -log 0.8 and -(0.25 log 0.8 + 0.75 log 0.2)
    p, t = np.array([0.8, 0.8]), np.array([1.0, 0.25])
    terms = np.array([-math.log(0.8), -(0.25 * math.log(0.8) + 0.75 * math.log(0.2))])
    np.testing.assert_allclose(F.binary_cross_entropy(p, t, reduction="none"), terms)
    np.testing.assert_allclose(F.binary_cross_entropy(p, t), terms.mean())
    np.testing.assert_allclose(nn.BCELoss(weight=np.array([2.0, 0.5]), reduction="sum")(p, t),
                               2 * terms[0] + 0.5 * terms[1])
    # 'mean' with a weight divides by the number of elements, not by the weights' sum (as PyTorch)
    np.testing.assert_allclose(F.binary_cross_entropy(p, t, np.array([2.0, 0.5])), (2 * terms[0] + 0.5 * terms[1]) / 2)
    # d/dp = (p - t)/(p(1 - p)) / n; d/dt = (log(1 - p) - log p) / n
    v, target = Value(p), Value(t)
    F.binary_cross_entropy(v, target).backward()
    np.testing.assert_allclose(v.grad, (p - t) / (p * (1 - p)) / 2)
    np.testing.assert_allclose(target.grad, (np.log(1 - p) - np.log(p)) / 2)
    # the same loss as from logits: p = σ(x)
    x = rng.standard_normal((3, 4))
    t = rng.random((3, 4))
    np.testing.assert_allclose(F.binary_cross_entropy(1 / (1 + np.exp(-x)), t),
                               F.binary_cross_entropy_with_logits(x, t))


def test_binary_cross_entropy_at_exactly_zero_and_one_is_clamped_as_pytorch():
    # every combination of p in {0, 1} and t in {0, 1}: a log of 0 counts -100 (finite), 0·log 0 counts 0
    p, t = Value(np.array([0.0, 0.0, 1.0, 1.0])), Value(np.array([0.0, 1.0, 0.0, 1.0]))
    with np.errstate(all="raise"):                      # no warning either: nothing divides by 0 or logs 0 unguarded
        loss = F.binary_cross_entropy(p, t, reduction="none")
        loss.backward(np.ones(4))
    np.testing.assert_array_equal(loss.data, [0.0, 100.0, 100.0, 0.0])
    np.testing.assert_array_equal(p.grad, [0.0, -1e12, 1e12, 0.0])      # (p - t)/max(p(1 - p), 1e-12)
    np.testing.assert_array_equal(t.grad, [100.0, 100.0, -100.0, -100.0])   # max(log(1-p), -100) - max(log p, -100)
    # float32 stays float32, the clamp included
    p32 = np.array([0.0, 0.5], np.float32)
    out = F.binary_cross_entropy(p32, np.array([1.0, 1.0], np.float32), reduction="none")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [100.0, math.log(2)], rtol=1e-6)
    assert F.binary_cross_entropy(np.zeros(0), np.zeros(0), reduction="sum") == 0


def test_unflatten_undoes_flatten():
    x = rng.standard_normal((2, 12)).astype(np.float32)
    out = nn.Unflatten(1, (3, 2, 2))(Value(x))
    assert out.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(out.data[1, 2, 0, 1], x[1, 2 * 4 + 0 * 2 + 1])
    np.testing.assert_array_equal(nn.Flatten()(out).data, x)
    assert nn.Unflatten(-1, (4, -1))(x).shape == (2, 4, 3)
    assert nn.Unflatten(0, (1, 2))(x).shape == (1, 2, 12)
    v = Value(x)
    (nn.Unflatten(1, (3, 4))(v) * np.arange(12).reshape(3, 4)).sum().backward()
    np.testing.assert_array_equal(v.grad, np.tile(np.arange(12.0), (2, 1)))     # the gradient flattened back
    assert "unflattened_size=(1, 28, 28)" in repr(nn.Unflatten(1, (1, 28, 28)))
