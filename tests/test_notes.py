"""The worked examples of the CS231n notes "Backpropagation, Intuitions", as tests."""
import math

import numpy as np
import pytest

from autograd import Value, maximum


def test_simple_expression():
    # f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y
    f = q * z
    f.backward()
    assert (q.data, f.data) == (3.0, -12.0)
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)


def _neuron_expected():
    w, x = [2.0, -3.0, -3.0], [-1.0, -2.0]
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    f = 1.0 / (1 + math.exp(-dot))
    ddot = (1 - f) * f                      # the notes' gradient on dot
    return f, [w[0] * ddot, w[1] * ddot], [x[0] * ddot, x[1] * ddot, 1.0 * ddot]


def test_sigmoid_neuron_gate_by_gate():
    w = [Value(2.0), Value(-3.0), Value(-3.0)]
    x = [Value(-1.0), Value(-2.0)]
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    f = 1.0 / (1.0 + (-dot).exp())          # neg, exp, add a constant, reciprocal
    f.backward()
    expected_f, dx, dw = _neuron_expected()
    assert f.data == pytest.approx(expected_f)
    assert [v.grad for v in x] == pytest.approx(dx)
    assert [v.grad for v in w] == pytest.approx(dw)
    assert dot.grad == pytest.approx(0.19661193)


def test_sigmoid_neuron_as_one_gate():
    w = Value(np.array([2.0, -3.0, -3.0]))
    x = Value(np.array([-1.0, -2.0]))
    f = (w[:2] @ x + w[2]).sigmoid()
    f.backward()
    expected_f, dx, dw = _neuron_expected()
    assert f.item() == pytest.approx(expected_f)
    np.testing.assert_allclose(x.grad, dx)
    np.testing.assert_allclose(w.grad, dw)


def test_staged_computation():
    # f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²) at x = 3, y = -4, staged as in the notes
    x, y = Value(3.0), Value(-4.0)
    sigy = y.sigmoid()
    num = x + sigy
    sigx = x.sigmoid()
    xpy = x + y
    xpysqr = xpy ** 2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    f.backward()

    # the notes' hand-written backward pass, in plain floats
    xs, ys = 3.0, -4.0
    sy = 1.0 / (1 + math.exp(-ys))
    n = xs + sy
    sx = 1.0 / (1 + math.exp(-xs))
    p = xs + ys
    d = sx + p ** 2
    inv = 1.0 / d
    dnum = inv
    dinvden = n
    dden = (-1.0 / (d ** 2)) * dinvden
    dsigx = dden
    dxpysqr = dden
    dxpy = (2 * p) * dxpysqr
    dx = dxpy
    dy = dxpy
    dx += ((1 - sx) * sx) * dsigx
    dx += dnum
    dsigy = dnum
    dy += ((1 - sy) * sy) * dsigy

    assert f.data == pytest.approx(n * inv)
    assert x.grad == pytest.approx(dx)
    assert y.grad == pytest.approx(dy)
    # the forward variables carry the intermediate gradients of the notes
    assert num.grad == pytest.approx(dnum)
    assert invden.grad == pytest.approx(dinvden)
    assert den.grad == pytest.approx(dden)
    assert xpy.grad == pytest.approx(dxpy)


def test_patterns_add_distributes_max_routes_mul_swaps():
    # 2 (x y + max(z, w)) at x = 3, y = -4, z = 2, w = -1
    x, y, z, w = Value(3.0), Value(-4.0), Value(2.0), Value(-1.0)
    xy = x * y
    m = maximum(z, w)
    s = xy + m
    f = 2 * s
    f.backward()
    assert f.data == -20.0
    assert xy.grad == m.grad == 2.0         # add distributes
    assert (z.grad, w.grad) == (2.0, 0.0)   # max routes to the larger input only
    assert (x.grad, y.grad) == (-8.0, 6.0)  # mul swaps: dx = y·2, dy = x·2


def test_gradients_add_up_at_forks():
    a = Value(3.0)
    b = a * a + a                           # db/da = 2a + 1
    b.backward()
    assert a.grad == 7.0
