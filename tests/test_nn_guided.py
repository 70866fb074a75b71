"""Guided backpropagation: nn.guided_backprop(model) and ReLU's `guided` switch.

The reference is built layer by layer, independently of the guided gate: each
layer of a Sequential is run again on its own saved input with the plain
engine, and at every ReLU the gradient arriving from above is multiplied by
[x > 0] and, with its negative entries zeroed, sent on. Guided mode must give
exactly those gradients, for the input and for every parameter.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value


def mlp():
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 4))


def convnet():
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 3 * 3, 3))


NETS = {"mlp": (mlp, (6,)), "convnet": (convnet, (2, 6, 6))}


def reference_gradients(model, x, upstream):
    """(input gradient, {parameter name: gradient}) by the guided rule, layer by layer:
    plain gradients everywhere except that each ReLU passes g·[x > 0] with g < 0 zeroed."""
    inputs = [x]
    with autograd.no_grad():
        for layer in model:
            inputs.append(np.asarray(autograd.raw(layer(inputs[-1]))))
    g = upstream
    model.zero_grad()
    for layer, a in zip(reversed(list(model)), reversed(inputs[:-1])):
        if isinstance(layer, nn.ReLU):
            g = np.where(a > 0, np.maximum(g, 0), 0)
            continue
        v = Value(a)
        layer(v).backward(g)                  # accumulates the layer's parameter gradients
        g = v.grad
    return g, {name: np.array(p.grad) for name, p in model.named_parameters()}


def guided_gradients(model, x, upstream):
    v = Value(x)
    model.zero_grad()
    with nn.guided_backprop(model):
        model(v).backward(upstream)
    return v.grad, {name: np.array(p.grad) for name, p in model.named_parameters()}


def plain_gradients(model, x, upstream):
    v = Value(x)
    model.zero_grad()
    model(v).backward(upstream)
    return v.grad, {name: np.array(p.grad) for name, p in model.named_parameters()}


@settings(max_examples=30)
@given(net=st.sampled_from(sorted(NETS)), batch=st.integers(1, 3), seed=st.integers(0, 2 ** 16))
def test_guided_gradients_are_plain_gradients_with_negative_upstream_zeroed_at_every_relu(net, batch, seed):
    build, shape = NETS[net]
    autograd.manual_seed(seed)
    model = build().double()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch,) + shape)
    upstream = rng.standard_normal((batch, model[-1].out_features))
    guided_x, guided_params = guided_gradients(model, x, upstream)
    expected_x, expected_params = reference_gradients(model, x, upstream)
    np.testing.assert_allclose(guided_x, expected_x, rtol=1e-10, atol=1e-12)
    for name, grad in expected_params.items():
        np.testing.assert_allclose(guided_params[name], grad, rtol=1e-10, atol=1e-12, err_msg=name)


def test_guided_differs_from_plain_and_only_positive_evidence_reaches_the_last_relu():
    autograd.manual_seed(0)
    model = mlp().double()
    x = np.random.default_rng(0).standard_normal((5, 6))
    upstream = np.random.default_rng(1).standard_normal((5, 4))
    guided_x, _ = guided_gradients(model, x, upstream)
    plain_x, _ = plain_gradients(model, x, upstream)
    assert not np.allclose(guided_x, plain_x)
    # A single ReLU net with an identity last layer: the guided input gradient is
    # the upstream gradient where x > 0 and g > 0, and 0 elsewhere.
    relu = nn.ReLU()
    v = Value(x)
    g = np.random.default_rng(2).standard_normal(x.shape)
    with nn.guided_backprop(relu):
        relu(v).backward(g)
    np.testing.assert_array_equal(v.grad, np.where((x > 0) & (g > 0), g, 0))


def test_forward_is_unchanged_and_the_model_is_restored_after_the_block():
    autograd.manual_seed(0)
    model = convnet()
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6)).astype(np.float32)
    upstream = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    out_before = model(x).data
    plain_before, _ = plain_gradients(model, x, upstream)
    with nn.guided_backprop(model) as inside:
        assert inside is model
        np.testing.assert_array_equal(model(x).data, out_before)
        assert all(m.guided for m in model.modules() if isinstance(m, nn.ReLU))
        assert "guided=True" in repr(model)
    assert not any(m.guided for m in model.modules() if isinstance(m, nn.ReLU))
    assert "guided" not in repr(model)
    np.testing.assert_array_equal(plain_gradients(model, x, upstream)[0], plain_before)


def test_the_rule_is_chosen_when_the_graph_is_built():
    autograd.manual_seed(0)
    model = mlp().double()
    x = np.random.default_rng(0).standard_normal((4, 6))
    upstream = np.random.default_rng(1).standard_normal((4, 4))
    expected_guided, _ = reference_gradients(model, x, upstream)
    plain, _ = plain_gradients(model, x, upstream)
    v = Value(x)
    with nn.guided_backprop(model):
        out = model(v)                          # built inside the block ...
    out.backward(upstream)                      # ... differentiated after it: still guided
    np.testing.assert_allclose(v.grad, expected_guided, rtol=1e-10, atol=1e-12)
    v = Value(x)
    out = model(v)                              # built outside: plain, whatever happens later
    with nn.guided_backprop(model):
        out.backward(upstream)
    np.testing.assert_allclose(v.grad, plain, rtol=1e-10, atol=1e-12)


def test_the_model_is_restored_when_the_block_raises():
    model = mlp()
    with pytest.raises(KeyError, match="inside"):
        with nn.guided_backprop(model):
            raise KeyError("inside")
    assert not any(m.guided for m in model.modules() if isinstance(m, nn.ReLU))


def test_nested_blocks_and_a_relu_set_by_hand_keep_their_settings():
    model = mlp()
    model[3].guided = True                      # switched on by hand: stays on afterwards
    with nn.guided_backprop(model):
        with nn.guided_backprop(model[:2]):     # a slice shares the layers
            assert model[1].guided and model[3].guided
        assert model[1].guided and model[3].guided
    assert (model[1].guided, model[3].guided) == (False, True)


def test_a_relu_switched_by_hand_uses_the_guided_rule_and_scalars_work():
    relu = nn.ReLU()
    relu.guided = True
    for x, g, expected in [(2.0, -1.5, 0.0), (2.0, 1.5, 1.5), (-2.0, 1.5, 0.0)]:
        v = Value(x)
        out = relu(v)
        assert out.data == max(x, 0.0)
        out.backward(g)
        assert v.grad == expected


def test_a_model_without_relu_modules_is_an_error():
    with pytest.raises(ValueError, match="Sequential has no nn.ReLU"):
        with nn.guided_backprop(nn.Sequential(nn.Linear(3, 3), nn.Tanh())):
            pass
