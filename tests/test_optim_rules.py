"""Each update rule follows the CS231n notes' formula ("Neural Networks 3").

The optimizers run on a fixed problem through the engine (loss, backward,
step); the notes' update is computed here independently, in numpy, with the
gradient written by hand. The two trajectories must agree in float64 over
25 steps, for hyperparameters and starting points drawn by hypothesis.
"""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import optim
from autograd import Value, no_grad
from optim import lr_scheduler

STEPS = 25
A = np.array([[0.5, 1.0, 2.0], [3.0, 0.8, 1.5]])
B = np.array([[0.3, -0.2, 0.1], [-0.5, 0.4, 0.0]])


def loss(x):
    """Not a quadratic: the gradient's direction changes along the path."""
    return (0.5 * A * x ** 2 + B * x + 0.05 * x ** 4).sum()


def grad(x):
    """d loss / dx, by hand."""
    return A * x + B + 0.2 * x ** 3


def run(make, x0, steps=STEPS):
    """The optimizer's trajectory: the parameter after each step."""
    x = Value(x0.copy())
    opt = make([x])
    path = []
    for _ in range(steps):
        opt.zero_grad()
        loss(x).backward()
        opt.step()
        path.append(x.data.copy())
    return np.array(path)


def same_path(path, expected):
    assert np.all(np.isfinite(expected))
    assert not np.allclose(expected[-1], expected[0])        # the problem is not trivial
    np.testing.assert_allclose(path, expected, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- the notes' updates, in numpy
def notes_sgd(x, lr, dx=grad):
    path = []
    for _ in range(STEPS):
        x = x + -lr * dx(x)                                   # x += - learning_rate * dx
        path.append(x)
    return np.array(path)


def notes_momentum(x, lr, mu, dx=grad):
    v, path = np.zeros_like(x), []
    for _ in range(STEPS):
        v = mu * v - lr * dx(x)                               # integrate velocity
        x = x + v                                             # integrate position
        path.append(x)
    return np.array(path)


def notes_nesterov(x, lr, mu, dx=grad):
    v, path = np.zeros_like(x), []
    for _ in range(STEPS):
        v_prev = v                                            # back this up
        v = mu * v - lr * dx(x)                               # velocity update stays the same
        x = x + -mu * v_prev + (1 + mu) * v                   # position update changes form
        path.append(x)
    return np.array(path)


def notes_adagrad(x, lr, eps, dx=grad):
    cache, path = np.zeros_like(x), []
    for _ in range(STEPS):
        g = dx(x)
        cache = cache + g ** 2
        x = x + -lr * g / (np.sqrt(cache) + eps)
        path.append(x)
    return np.array(path)


def notes_rmsprop(x, lr, decay_rate, eps, dx=grad):
    cache, path = np.zeros_like(x), []
    for _ in range(STEPS):
        g = dx(x)
        cache = decay_rate * cache + (1 - decay_rate) * g ** 2
        x = x + -lr * g / (np.sqrt(cache) + eps)
        path.append(x)
    return np.array(path)


def notes_adam(x, lr, beta1, beta2, eps, dx=grad, decoupled_decay=0.0):
    m, v, path = np.zeros_like(x), np.zeros_like(x), []
    for t in range(1, STEPS + 1):
        g = dx(x)
        m = beta1 * m + (1 - beta1) * g
        mt = m / (1 - beta1 ** t)
        v = beta2 * v + (1 - beta2) * (g ** 2)
        vt = v / (1 - beta2 ** t)
        # AdamW (Loshchilov & Hutter): the decay is added to the step, not to g
        x = x + -lr * (mt / (np.sqrt(vt) + eps) + decoupled_decay * x)
        path.append(x)
    return np.array(path)


def l2(weight_decay):
    """The gradient of loss + weight_decay / 2 * |x|^2: L2 regularisation."""
    return lambda x: grad(x) + weight_decay * x


# ---------------------------------------------------------------- strategies
starts = arrays(np.float64, (2, 3), elements=st.floats(-1.5, 1.5))
lrs = st.floats(1e-3, 0.05)
momenta = st.floats(0.0, 0.95)
small_lrs = st.floats(1e-3, 0.1)
betas = st.floats(0.0, 0.99)
# (a small second-moment decay makes the step nearly lr * sign(dx), whose
# path near the minimum amplifies rounding: no rule to compare in float64)
second_moment_decays = st.floats(0.5, 0.999)
decays = st.floats(0.0, 0.1)
epsilons = st.sampled_from([1e-10, 1e-8, 1e-3])
rule = settings(max_examples=25)


@rule
@given(starts, lrs)
def test_sgd_is_the_notes_vanilla_update(x0, lr):
    same_path(run(lambda p: optim.SGD(p, lr=lr), x0), notes_sgd(x0, lr))


@rule
@given(starts, lrs, momenta.filter(lambda mu: mu > 0))
def test_momentum_is_the_notes_momentum_update(x0, lr, mu):
    same_path(run(lambda p: optim.SGD(p, lr=lr, momentum=mu), x0), notes_momentum(x0, lr, mu))


@rule
@given(starts, lrs, momenta.filter(lambda mu: mu > 0))
def test_nesterov_is_the_notes_lookahead_update(x0, lr, mu):
    same_path(run(lambda p: optim.SGD(p, lr=lr, momentum=mu, nesterov=True), x0),
              notes_nesterov(x0, lr, mu))


@rule
@given(starts, lrs, momenta, decays)
def test_sgd_weight_decay_is_l2_regularisation(x0, lr, mu, weight_decay):
    path = run(lambda p: optim.SGD(p, lr=lr, momentum=mu, weight_decay=weight_decay), x0)
    same_path(path, notes_momentum(x0, lr, mu, dx=l2(weight_decay)))


@rule
@given(starts, small_lrs, epsilons)
def test_adagrad_is_the_notes_update(x0, lr, eps):
    same_path(run(lambda p: optim.Adagrad(p, lr=lr, eps=eps), x0), notes_adagrad(x0, lr, eps))


@rule
@given(starts, small_lrs, second_moment_decays, epsilons)
def test_rmsprop_is_the_notes_update(x0, lr, alpha, eps):
    same_path(run(lambda p: optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps), x0),
              notes_rmsprop(x0, lr, alpha, eps))


@rule
@given(starts, small_lrs, betas, second_moment_decays, epsilons)
def test_adam_is_the_notes_update_with_bias_correction(x0, lr, beta1, beta2, eps):
    same_path(run(lambda p: optim.Adam(p, lr=lr, betas=(beta1, beta2), eps=eps), x0),
              notes_adam(x0, lr, beta1, beta2, eps))


@rule
@given(starts, small_lrs, betas, decays)
def test_adam_weight_decay_is_l2_regularisation(x0, lr, beta1, weight_decay):
    path = run(lambda p: optim.Adam(p, lr=lr, betas=(beta1, 0.999), weight_decay=weight_decay), x0)
    same_path(path, notes_adam(x0, lr, beta1, 0.999, 1e-8, dx=l2(weight_decay)))


@rule
@given(starts, small_lrs, decays)
def test_rmsprop_and_adagrad_weight_decay_is_l2_regularisation(x0, lr, weight_decay):
    same_path(run(lambda p: optim.RMSprop(p, lr=lr, weight_decay=weight_decay), x0),
              notes_rmsprop(x0, lr, 0.99, 1e-8, dx=l2(weight_decay)))
    same_path(run(lambda p: optim.Adagrad(p, lr=lr, weight_decay=weight_decay), x0),
              notes_adagrad(x0, lr, 1e-10, dx=l2(weight_decay)))


@rule
@given(starts, small_lrs, betas, st.floats(0.0, 0.5))
def test_adamw_decays_the_weights_outside_the_moments(x0, lr, beta1, weight_decay):
    path = run(lambda p: optim.AdamW(p, lr=lr, betas=(beta1, 0.999), weight_decay=weight_decay), x0)
    same_path(path, notes_adam(x0, lr, beta1, 0.999, 1e-8, decoupled_decay=weight_decay))


def test_adamw_default_weight_decay_is_pytorchs():
    x0 = np.ones((2, 3))
    same_path(run(lambda p: optim.AdamW(p, lr=0.01), x0),
              notes_adam(x0, 0.01, 0.9, 0.999, 1e-8, decoupled_decay=1e-2))


def test_adam_first_step_is_lr_in_every_coordinate():
    # bias correction: m_hat = g and v_hat = g^2 after one step, so each
    # coordinate moves by lr whatever the size of its gradient
    x0 = np.array([[1.0, -1.0, 0.5], [0.2, -0.3, 1.2]])
    step = run(lambda p: optim.Adam(p, lr=0.01, eps=0.0), x0, steps=1)[0] - x0
    np.testing.assert_allclose(step, -0.01 * np.sign(grad(x0)), rtol=1e-12)


def test_momentum_under_a_changing_lr_follows_pytorchs_form():
    # b = mu b + dx; x -= lr b: a new lr scales the remembered velocity too,
    # which the notes' v = mu v - lr dx does not (the documented difference)
    x0, mu = np.ones((2, 3)), 0.9
    x = Value(x0.copy())
    opt = optim.SGD([x], lr=0.1, momentum=mu)
    schedule = lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
    path = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss(x).backward()
        opt.step()
        schedule.step()
        path.append(x.data.copy())
    xs, b, notes_x, v = x0, 0.0, x0, 0.0
    pytorch_path, notes_path = [], []
    for t in range(STEPS):
        lr = 0.1 * 0.5 ** (t // 5)
        b = mu * b + grad(xs)
        xs = xs - lr * b
        v = mu * v - lr * grad(notes_x)
        notes_x = notes_x + v
        pytorch_path.append(xs)
        notes_path.append(notes_x)
    same_path(path, np.array(pytorch_path))
    assert not np.allclose(path, notes_path, rtol=1e-6)


# ---------------------------------------------------------------- every optimizer
EVERY = {
    "SGD": lambda p: optim.SGD(p, lr=0.1),
    "momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "Nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1, weight_decay=0.01),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01),
    "Adam": lambda p: optim.Adam(p, lr=0.01, weight_decay=0.01),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01),
}


@pytest.mark.parametrize("make", EVERY.values(), ids=EVERY.keys())
def test_updates_in_place_without_building_a_graph(make):
    data = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, -1.0]], dtype=np.float32)
    x = Value(data)
    opt = make([x])
    for _ in range(3):
        opt.zero_grad()
        loss(x).backward()
        g = x.grad.copy()
        opt.step()
        np.testing.assert_array_equal(x.grad, g)              # the gradient is left as it was
    assert x.data is data and x.data.dtype == np.float32      # the same array, updated
    assert x.is_leaf and x.requires_grad
    assert all(np.asarray(s).dtype == np.float32 for s in opt.state[x].values()
               if isinstance(s, np.ndarray))
    assert not np.allclose(data, [[1.0, -2.0, 0.5], [0.3, 0.0, -1.0]])


@pytest.mark.parametrize("make", EVERY.values(), ids=EVERY.keys())
def test_scalar_parameters_follow_the_same_rule_as_arrays(make):
    # a Value of a Python float is updated like a 1-element array, stays a float
    scalar, array = Value(1.5), Value(np.array([1.5]))
    opt_s, opt_a = make([scalar]), make([array])
    for _ in range(10):
        for v, opt in ((scalar, opt_s), (array, opt_a)):
            opt.zero_grad()
            ((v - 3.0) ** 2 * 0.5 + 0.1 * v ** 4).sum().backward()
            opt.step()
    assert type(scalar.data) is float
    assert scalar.data != 1.5
    assert scalar.data == pytest.approx(array.data[0], rel=1e-12)


@pytest.mark.parametrize("make", EVERY.values(), ids=EVERY.keys())
def test_parameters_without_gradient_are_skipped(make):
    used, unused = Value(np.ones(3)), Value(np.ones(3))
    opt = make((p for p in [used, unused]))                   # a generator, as model.parameters()
    for _ in range(3):
        opt.zero_grad()
        (used * used).sum().backward()
        opt.step()
    assert unused.grad is None
    np.testing.assert_array_equal(unused.data, np.ones(3))
    assert unused not in opt.state
    assert not np.allclose(used.data, 1.0)


def test_zero_grad_sets_to_none_or_to_zeros():
    a, b = Value(np.ones(3)), Value(2.0)
    opt = optim.SGD([a, b], lr=0.1)
    (a.sum() * b).backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad, np.zeros(3))
    assert b.grad == 0.0
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_with_a_closure_returns_its_loss():
    x = Value(np.array([1.0, 2.0]))
    opt = optim.Adam([x], lr=0.1)

    def closure():
        opt.zero_grad()
        f = (x * x).sum()
        f.backward()
        return f

    with no_grad():                                           # the closure still builds its graph
        first = opt.step(closure)
    assert first.item() == 5.0
    assert x.grad is not None and np.all(np.abs(x.data) < [1.0, 2.0])


def test_parameter_groups_have_their_own_hyperparameters():
    x0, y0 = np.array([[1.0, -1.0, 0.5], [0.2, 0.3, -0.4]]), np.array([[0.5, 0.5, -1.0], [1.0, 0.0, 2.0]])
    x, y = Value(x0.copy()), Value(y0.copy())
    opt = optim.SGD([{"params": [x]}, {"params": [y], "lr": 0.01, "momentum": 0.9}], lr=0.05)
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.9]
    paths = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        (loss(x) + loss(y)).backward()
        opt.step()
        paths[0].append(x.data.copy())
        paths[1].append(y.data.copy())
    same_path(np.array(paths[0]), notes_sgd(x0, 0.05))
    same_path(np.array(paths[1]), notes_momentum(y0, 0.01, 0.9))


def test_add_param_group_adds_a_group_with_defaults():
    x, y = Value(np.ones(2)), Value(np.ones(2))
    opt = optim.Adam([x], lr=0.1)
    opt.add_param_group({"params": y, "betas": (0.5, 0.9)})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.5, 0.9)
    assert opt.params() == [x, y]


def test_a_gradient_built_as_a_graph_is_used_as_data():
    x = Value(np.array([1.0, -2.0]))
    (x ** 3).sum().backward(create_graph=True)               # x.grad is a Value
    optim.SGD([x], lr=0.1).step()
    np.testing.assert_allclose(x.data, [1.0 - 0.3, -2.0 - 1.2])
    assert x.is_leaf


def test_optim_needs_no_nn_and_autograd_needs_no_optim():
    code = ("import sys, autograd; assert 'optim' not in sys.modules; "
            "import optim, optim.lr_scheduler; assert 'nn' not in sys.modules, 'optim imported nn'")
    subprocess.run([sys.executable, "-c", code], check=True)
