"""nn.init: each initialiser fills in place with the distribution its formula
names, reproducibly under autograd.manual_seed."""
import math

import numpy as np
import pytest

import autograd
import nn
from autograd import Value
from nn import init


def weight(*shape):
    return Value(np.empty(shape, np.float32))


def test_initialisers_fill_in_place_and_return_the_tensor():
    w = weight(20, 30)
    data = w.data
    assert init.normal_(w, std=0.01) is w and w.data is data and w.dtype == np.float32
    assert init.zeros_(w) is w and not w.data.any()
    assert init.ones_(w) is w and np.all(w.data == 1)
    assert init.constant_(w, 0.5) is w and np.all(w.data == 0.5)
    plain = np.empty((3, 4))
    assert init.uniform_(plain, -1, 1) is plain and np.abs(plain).max() <= 1


@pytest.mark.parametrize("fill, spread", [
    (lambda w: init.normal_(w, mean=1.0, std=0.01), ("std", 0.01)),
    (lambda w: init.xavier_normal_(w), ("std", math.sqrt(2 / (300 + 200)))),
    (lambda w: init.xavier_uniform_(w, gain=2.0), ("bound", 2 * math.sqrt(6 / (300 + 200)))),
    (lambda w: init.kaiming_normal_(w, nonlinearity="relu"), ("std", math.sqrt(2 / 300))),
    (lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"), ("std", math.sqrt(2 / 200))),
    (lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), ("bound", math.sqrt(2) * math.sqrt(3 / 300))),
    (lambda w: init.kaiming_uniform_(w, a=math.sqrt(5)), ("bound", 1 / math.sqrt(300))),
])
def test_distributions_have_the_spread_of_their_formula(fill, spread):
    autograd.manual_seed(0)
    w = fill(weight(200, 300))                                  # fan_in 300, fan_out 200
    kind, value = spread
    if kind == "std":
        assert w.data.std() == pytest.approx(value, rel=0.02)
    else:                                                        # U(-b, b): max |w| near b, std b/√3
        assert np.abs(w.data).max() <= value and np.abs(w.data).max() > 0.99 * value
        assert w.data.std() == pytest.approx(value / math.sqrt(3), rel=0.02)


def test_fans_of_a_convolution_weight_count_the_kernel():
    autograd.manual_seed(0)
    w = init.kaiming_normal_(weight(64, 32, 3, 3), nonlinearity="relu")
    assert w.data.std() == pytest.approx(math.sqrt(2 / (32 * 9)), rel=0.02)
    with pytest.raises(ValueError, match=r"kaiming_normal_: fan_in and fan_out need .* shape \(5,\)"):
        init.kaiming_normal_(weight(5))


def test_gains():
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("sigmoid") == 1.0
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_sparse_zeroes_a_fraction_of_every_column_as_pytorch():
    autograd.manual_seed(0)
    w = init.sparse_(weight(10, 40), sparsity=0.3)
    assert np.all((w.data == 0).sum(axis=0) == 3)               # ceil(0.3 · 10) per column
    assert w.data[w.data != 0].std() == pytest.approx(0.01, rel=0.15)


def test_sparse_with_connections_links_every_unit_to_a_fixed_number_of_inputs():
    autograd.manual_seed(0)
    w = init.sparse_(weight(30, 50), connections=10, std=1.0)   # the notes: each unit sees 10 inputs
    assert np.all((w.data != 0).sum(axis=1) == 10)
    assert len({tuple(np.flatnonzero(row)) for row in w.data}) > 1   # different inputs for different units
    with pytest.raises(TypeError, match="exactly one of sparsity"):
        init.sparse_(weight(3, 3))
    with pytest.raises(ValueError, match=r"sparse_: needs a 2-D weight"):
        init.sparse_(weight(3, 3, 3), 0.5)


def test_manual_seed_makes_initialisation_reproducible():
    autograd.manual_seed(42)
    a = nn.Sequential(nn.Linear(5, 4), nn.Conv2d(1, 2, 3)).state_dict()
    autograd.manual_seed(42)
    b = nn.Sequential(nn.Linear(5, 4), nn.Conv2d(1, 2, 3)).state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    c = nn.Sequential(nn.Linear(5, 4), nn.Conv2d(1, 2, 3)).state_dict()
    assert not np.array_equal(a["0.weight"], c["0.weight"])
