"""The backward pass: order, accumulation, seeds, release, higher-order gradients."""
import sys

import numpy as np
import pytest

import autograd
import optim
from autograd import Gate, Value, gradcheck, scope


def test_deep_chain_needs_no_recursion():
    assert sys.getrecursionlimit() < 100_000
    x = Value(1.0)
    h = x
    for _ in range(100_000):
        h = h + 1.0
    h.backward()
    assert h.data == 100_001.0 and x.grad == 1.0


def test_forks_accumulate_and_leaves_accumulate_across_calls():
    x = Value(np.array([1.0, 2.0]))
    y = (x * x + x * 3).sum()             # dy/dx = 2x + 3
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])
    y.backward()                          # a retained graph: exactly twice the gradient
    np.testing.assert_array_equal(x.grad, [10.0, 14.0])
    x.zero_grad()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_a_node_waits_for_its_longest_path():
    # a reaches the output directly and through a chain of 50 gates: its
    # gradient is complete only after the long path has delivered.
    x = Value(0.5)
    a = x * 2.0
    h = a
    for _ in range(50):
        h = h * 1.0 + 0.0
    out = a * h                           # = (2x)^2, d/dx = 8x
    out.backward()
    assert out.grad == 1.0 and a.grad == 2.0 * a.data and x.grad == 8.0 * x.data


def test_released_graph_raises():
    x = Value(2.0)
    y = x.exp() * x
    y.backward()
    with pytest.raises(RuntimeError, match="released.*retain_graph=True"):
        y.backward()


def test_a_released_intermediate_raises_in_a_new_graph():
    x = Value(2.0)
    y = x * 3.0
    (y * y).backward()
    with pytest.raises(RuntimeError, match="'mul' gate was released"):
        (y + 1.0).backward()
    z = x * 3.0                           # the leaf itself is never released
    (z * z).backward(retain_graph=True)
    (z + 1.0).backward()
    assert x.grad == 36.0 + 36.0 + 3.0


def test_seed_rules():
    x = Value(np.ones((2, 2)))
    y = x * 3
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*pass grad="):
        y.backward()
    y.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(x.grad, [[3.0, 6.0], [9.0, 12.0]])
    leaf = Value(np.ones((1, 1)))
    one = leaf * 2                         # a single element gets the implicit 1
    one.backward()
    np.testing.assert_array_equal(one.grad, [[1.0]])
    np.testing.assert_array_equal(leaf.grad, [[2.0]])


def test_intermediate_grads_are_kept_for_drawing():
    x, y = Value(-2.0), Value(5.0)
    q = x + y
    f = q * Value(-4.0)
    f.backward()
    assert q.grad == -4.0 and f.grad == 1.0


def test_leaf_gradients_never_alias():
    a, b = Value(np.ones(3)), Value(np.ones(3))
    (a + b).sum().backward()              # the add gate hands the same array to both
    a.grad *= 10                          # changing one in place must not change the other
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])
    x = Value(np.ones(3))
    x.backward(np.array([1.0, 2.0, 3.0]))
    seed = np.array([1.0, 1.0, 1.0])
    x.zero_grad()
    x.backward(seed)
    x.grad[0] = 5
    assert seed[0] == 1.0


def test_a_failed_pass_leaves_no_state_behind():
    boom = Gate("boom", lambda x: x * 1.0, lambda g, out, x: 1 / 0)
    x = Value(2.0)
    y = x * 3
    z = boom(y) + y
    with pytest.raises(ZeroDivisionError, match="boom"):
        z.backward(retain_graph=True)
    w = y * 2                             # the same y in a new graph
    w.backward()
    assert x.grad == 6.0


def test_second_derivative_of_cube():
    x = Value(np.array([-1.0, 0.5, 2.0]))
    y = (x ** 3).sum()
    (dx,) = autograd.grad(y, [x], create_graph=True)
    np.testing.assert_allclose(dx.data, 3 * x.data ** 2)
    (d2x,) = autograd.grad(dx.sum(), [x])
    np.testing.assert_allclose(d2x, 6 * x.data)          # d²(x³)/dx² = 6x
    s = Value(1.5)
    t = s ** 3
    t.backward(create_graph=True)
    g = s.grad
    s.grad = None
    g.backward()
    assert s.grad == pytest.approx(9.0)


def test_hessian_vector_product_of_a_small_mlp():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    params = [rng.standard_normal(s) for s in [(3, 5), (5,), (5, 1), (1,)]]
    v = [rng.standard_normal(p.shape) for p in params]

    def loss(W1, b1, W2, b2):
        return (((X @ W1 + b1).tanh() @ W2 + b2 - Y) ** 2).mean()

    def gradient(arrays):
        ps = [Value(p) for p in arrays]
        return autograd.grad(loss(*ps), ps)

    ps = [Value(p) for p in params]
    grads = autograd.grad(loss(*ps), ps, create_graph=True)
    gv = sum((g * vi).sum() for g, vi in zip(grads, v))
    hvp = autograd.grad(gv, ps)

    eps = 1e-5                            # finite differences of the gradient along v
    plus = gradient([p + eps * vi for p, vi in zip(params, v)])
    minus = gradient([p - eps * vi for p, vi in zip(params, v)])
    for h, gp, gm in zip(hvp, plus, minus):
        np.testing.assert_allclose(h, (gp - gm) / (2 * eps), rtol=1e-5, atol=1e-8)


def test_every_gate_differentiates_twice():
    # second derivatives through a mix of gates: gradcheck of a gradient
    def first_grad(x, w):
        y = ((x @ w).sigmoid() * x.sum(axis=1, keepdims=True).tanh()).logsumexp(axis=0).max()
        return autograd.grad(y, [x], create_graph=True)[0].sum()
    rng = np.random.default_rng(1)
    assert gradcheck(first_grad, [rng.standard_normal((3, 2)), rng.standard_normal((2, 4))],
                     raise_exception=True)


def test_grad_leaves_dot_grad_alone_and_reports_unused():
    x, unused = Value(3.0), Value(1.0)
    y = x * x
    assert autograd.grad(y, x, retain_graph=True) == 6.0
    assert x.grad is None
    with pytest.raises(ValueError, match="not reached"):
        autograd.grad(y, [x, unused])
    assert autograd.grad(x * 2, [x, unused], allow_unused=True) == [2.0, None]


def test_scope_tags_the_gates_made_inside():
    x = Value(1.0)
    with scope("layer"):
        y = x * 2
        with scope("inner"):
            z = y + 1
    w = z * 3
    assert y.scope.name == "layer" and z.scope.path() == ["layer", "inner"]
    assert w.scope is None and x.scope is None


def test_a_user_defined_gate():
    # the README's example: a gate of your own, forward and local gradient together
    softplus = Gate("softplus", lambda x: np.logaddexp(0, x),
                    lambda g, out, x: g * autograd.gates.sigmoid(x),
                    doc="log(1 + e^x);  d/dx = σ(x)")
    x = Value(np.array([-2.0, 0.0, 30.0]))
    y = softplus(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 1 / (1 + np.exp(-x.data)))
    assert y.op == "softplus"
    assert gradcheck(lambda x: softplus(x * x).sum(), [np.array([0.3, -1.2])], raise_exception=True)


def test_a_second_derivative_through_an_intermediate_after_backward_create_graph():
    x = Value(np.array([0.5, -1.0, 2.0]))
    y = x * x                                   # an intermediate
    z = (y * y).sum()                           # z = Σ x⁴
    z.backward(create_graph=True)
    assert isinstance(y.grad, Value) and isinstance(x.grad, Value)
    np.testing.assert_allclose(y.grad.data, 2 * y.data)              # dz/dy = 2y
    np.testing.assert_allclose(x.grad.data, 4 * x.data ** 3)         # dz/dx = 4x³
    (through_y,) = autograd.grad(y.grad.sum(), [x], retain_graph=True)   # d(Σ 2y)/dx = 4x
    np.testing.assert_allclose(through_y, 4 * x.data)
    (second,) = autograd.grad(x.grad.sum(), [x])                     # d(Σ 4x³)/dx = 12x²
    np.testing.assert_allclose(second, 12 * x.data ** 2)


# ---------------------------------------------------------------- writes between forward and backward
def write_by_copy(v, data):
    v.copy_(data)


def write_by_assignment(v, data):
    v.data = data


def write_by_update(v, data):                   # `p.data -= lr * p.grad`: in place, then assigned
    v.data -= v.data - data


@pytest.mark.parametrize("write", [write_by_copy, write_by_assignment, write_by_update])
@pytest.mark.parametrize("scalar", [True, False])          # a two-Value gate's fast path, and the general one
def test_a_write_into_an_input_after_forward_refuses_backward(write, scalar):
    w = Value(3.0 if scalar else np.array([3.0, 4.0]), label="w")
    x = Value(2.0 if scalar else np.array([2.0, 5.0]))
    loss = (w * x) if scalar else (w * x).sum()
    write(w, 10.0 if scalar else np.array([10.0, 10.0]))    # d loss/dx would read the new w
    with pytest.raises(RuntimeError, match=r"'w'.*written.*after the 'mul' gate used it.*forward pass again"):
        loss.backward()
    assert x.grad is None and w.grad is None
    loss = (w * x) if scalar else (w * x).sum()             # the forward pass again: at the new numbers
    loss.backward()
    np.testing.assert_array_equal(x.grad, 10.0 if scalar else [10.0, 10.0])


def test_writes_before_forward_or_into_other_values_are_fine():
    w, x, other = Value(np.array([3.0, 4.0])), Value(np.array([2.0, 5.0])), Value(np.zeros(2))
    w.copy_(np.array([1.0, 1.0]))                           # before the forward pass
    loss = (w * x).sum()
    other.copy_(np.ones(2))                                 # a Value the graph does not use
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    w.copy_(np.array([7.0, 7.0]))                           # after the last backward through it: fine,
    with pytest.raises(RuntimeError, match="written"):      # until a backward goes through it again
        loss.backward()


def test_an_optimizer_step_between_two_backwards_refuses_the_second():
    w = Value(np.array([1.0, -2.0]), label="w")
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="'w'.*written.*'mul'"):
        loss.backward()
    for _ in range(2):                                      # the usual loop: forward, backward, step
        w.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        optim.SGD([w], lr=0.1).step()
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) * 0.8 ** 3)     # three steps of w -= 0.1·2w


def test_a_write_between_a_gradient_and_its_derivative_refuses_it():
    x = Value(2.0)
    (dx,) = autograd.grad(x ** 3, [x], create_graph=True)  # 3x², made of gates that use x
    x.data = 3.0
    with pytest.raises(RuntimeError, match="written"):
        autograd.grad(dx, [x])
