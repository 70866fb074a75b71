"""Every optimizer minimises the notes' ill-conditioned bowl and the Rosenbrock
function; L-BFGS needs far fewer evaluations than SGD.

Each case states its tolerance (max-norm distance to the minimum) and its
budget of steps; the budgets leave a margin of about 1.5x over the steps the
rules need at the stated settings.
"""
import functools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import optim
from autograd import Value
from optim.lbfgs import strong_wolfe

TOLERANCE = 1e-3


def bowl(x):
    """Steep vertically, shallow horizontally (curvatures 0.2 and 10): minimum at (0, 0)."""
    return 0.1 * x[0] ** 2 + 5 * x[1] ** 2


def rosenbrock(x):
    """A curved, narrow valley: minimum at (1, 1)."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


BOWL = (bowl, [-5.0, 1.5], [0.0, 0.0])
ROSENBROCK = (rosenbrock, [-1.2, 1.0], [1.0, 1.0])


def steps_to_minimum(make, problem, budget):
    """Steps until every coordinate is within TOLERANCE of the minimum (None: not within budget)."""
    f, start, minimum = problem
    x = Value(np.array(start))
    opt = make([x])
    for step in range(1, budget + 1):
        opt.zero_grad()
        f(x).backward()
        opt.step()
        if np.abs(x.data - minimum).max() < TOLERANCE:
            return step
    return None


CASES = {   # name: (optimizer, steps allowed on the bowl, optimizer, steps allowed on Rosenbrock)
    "SGD": (lambda p: optim.SGD(p, lr=0.09), 700,
            lambda p: optim.SGD(p, lr=1.5e-3), 17000),
    "momentum": (lambda p: optim.SGD(p, lr=0.09, momentum=0.9), 200,
                 lambda p: optim.SGD(p, lr=1e-3, momentum=0.9), 2400),
    "Nesterov": (lambda p: optim.SGD(p, lr=0.09, momentum=0.9, nesterov=True), 140,
                 lambda p: optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True), 2400),
    "Adagrad": (lambda p: optim.Adagrad(p, lr=1.0), 110,
                lambda p: optim.Adagrad(p, lr=0.5), 13000),
    "RMSprop": (lambda p: optim.RMSprop(p, lr=0.05), 250,
                lambda p: optim.RMSprop(p, lr=1e-3), 12000),
    "Adam": (lambda p: optim.Adam(p, lr=0.1), 220,
             lambda p: optim.Adam(p, lr=0.02), 4500),
    "AdamW": (lambda p: optim.AdamW(p, lr=0.1), 220,
              lambda p: optim.AdamW(p, lr=0.02, weight_decay=1e-4), 4800),
}


@pytest.mark.parametrize("name", CASES)
def test_minimises_the_ill_conditioned_bowl(name):
    make, budget, _, _ = CASES[name]
    assert steps_to_minimum(make, BOWL, budget) is not None, f"{name}: not within {budget} steps"


@functools.cache
def rosenbrock_steps(name):
    _, _, make, budget = CASES[name]
    return steps_to_minimum(make, ROSENBROCK, budget)


@pytest.mark.parametrize("name", CASES)
def test_minimises_rosenbrock(name):
    assert rosenbrock_steps(name) is not None, f"{name}: not within {CASES[name][3]} steps"


def lbfgs_evaluations(problem, **settings):
    """Closure evaluations L-BFGS needs to reach the minimum (one step() call)."""
    f, start, minimum = problem
    x = Value(np.array(start))
    opt = optim.LBFGS([x], **settings)

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    opt.step(closure)
    assert np.abs(x.data - minimum).max() < TOLERANCE, x.data
    return opt.state[x]["func_evals"]


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
def test_lbfgs_reaches_the_rosenbrock_minimum_far_sooner_than_sgd(line_search):
    evaluations = lbfgs_evaluations(ROSENBROCK, max_iter=200, line_search=line_search)
    assert evaluations <= 120
    sgd_steps = rosenbrock_steps("SGD")                       # one evaluation per step
    assert sgd_steps is not None and evaluations * 50 < sgd_steps


def test_lbfgs_solves_the_bowl_in_a_few_iterations():
    assert lbfgs_evaluations(BOWL, line_search="strong_wolfe") <= 15


def test_lbfgs_keeps_its_history_across_step_calls():
    # one iteration per call: the calls together still run L-BFGS, not gradient descent
    x = Value(np.array(ROSENBROCK[1]))
    opt = optim.LBFGS([x], max_iter=1, line_search="strong_wolfe", history_size=5)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    for _ in range(60):
        opt.step(closure)
    np.testing.assert_allclose(x.data, [1.0, 1.0], atol=TOLERANCE)
    assert len(opt.state[x]["old_dirs"]) == 5


def test_lbfgs_on_scalar_parameters_of_several_values():
    a, b = Value(-1.2), Value(np.array([1.0]))                # a Python float and an array
    opt = optim.LBFGS([a, b], max_iter=100, line_search="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((1 - a) ** 2 + 100 * (b - a ** 2) ** 2).sum()
        loss.backward()
        return loss

    first = opt.step(closure)
    assert first.item() == pytest.approx(24.2)
    assert type(a.data) is float and abs(a.data - 1) < TOLERANCE and abs(b.data[0] - 1) < TOLERANCE


def rosenbrock_numpy(x):
    """f and its gradient, by hand."""
    f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    g = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])
    return f, g


@settings(max_examples=50)
@given(st.floats(-2, 2), st.floats(-1, 3), st.sampled_from([1e-3, 1.0, 30.0]))
def test_line_search_meets_the_strong_wolfe_conditions(x0, y0, t0):
    x = np.array([x0, y0])
    f0, g0 = rosenbrock_numpy(x)
    d = -g0                                           # steepest descent: a descent direction
    gtd0 = g0 @ d
    assume(gtd0 < -1e-6)                              # (at the minimum there is nothing to search)

    def phi(t):
        f, g = rosenbrock_numpy(x + t * d)
        return f, g, g @ d

    f, g, t, evaluations = strong_wolfe(phi, t0, f0, g0, gtd0, np.abs(d).max())
    assert (f, g.tolist()) == (phi(t)[0], phi(t)[1].tolist())          # f, g belong to t
    assert evaluations <= 25
    assert f <= f0 + 1e-4 * t * gtd0                                  # sufficient decrease
    assert abs(g @ d) <= 0.9 * abs(gtd0)                              # curvature
