"""autograd.randn and autograd.rand: noise as a constant of the graph, from the library's generator."""
import numpy as np
import pytest

import autograd
import nn
from autograd import Value


def test_randn_and_rand_draw_from_the_library_generator():
    autograd.manual_seed(3)
    z = autograd.randn(200, 50)
    autograd.manual_seed(3)
    np.testing.assert_array_equal(autograd.randn((200, 50)).data, z.data)       # a tuple works too
    expected = np.random.default_rng(3).standard_normal((200, 50), dtype=np.float32)
    np.testing.assert_array_equal(z.data, expected)
    assert isinstance(z, Value) and z.dtype == np.float32 and not z.requires_grad
    assert abs(z.data.mean()) < 0.02 and abs(z.data.std() - 1) < 0.02
    u = autograd.rand(1000, generator=np.random.default_rng(1), dtype=np.float64)
    np.testing.assert_array_equal(u.data, np.random.default_rng(1).random(1000))
    assert u.dtype == np.float64 and 0 <= u.data.min() and u.data.max() < 1
    assert autograd.randn(0, 3).shape == (0, 3) and autograd.rand().shape == ()


def test_noise_is_a_constant_backward_stops_at():
    autograd.manual_seed(0)
    layer = nn.Linear(4, 3)
    z = autograd.randn(5, 4)
    layer(z).sum().backward()
    assert z.grad is None and layer.weight.grad is not None
    # as a numpy array would: the same gradient for the weights
    w_grad = layer.weight.grad.copy()
    layer.zero_grad()
    layer(z.data).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, w_grad)
    leaf = autograd.randn(2, requires_grad=True)
    (leaf * 3).sum().backward()
    np.testing.assert_array_equal(leaf.grad, [3.0, 3.0])


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: autograd.randn(2, -1), ValueError, "randn: size"),
    (lambda: autograd.rand(2.5), TypeError, "rand: size"),
    (lambda: autograd.randn(2, dtype=np.int64), TypeError, "randn: dtype"),
])
def test_bad_sizes_and_dtypes_name_the_function(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call()
