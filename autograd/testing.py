"""Property-test gates with hypothesis: strategies, `assert_gate` and `check_gate`.

A full test of a gate is one decorator on an empty function:

    from autograd.testing import check_gate, broadcastable

    @check_gate(lambda a, b: a * b, broadcastable(2))
    def test_mul():
        "mul: gradients match central differences for drawn broadcastable shapes"

For each drawn example, `assert_gate` checks in float64 that backward's
gradient of every float input agrees with central differences under a random
upstream gradient, that the inputs were not mutated, that the graph was
released, that the gradient can be differentiated again (create_graph=True)
and that float32 inputs give a float32 output and float32 gradients.

Arguments of the function that are float arrays are its differentiable inputs;
anything else (an axis, a shape, an integer index array) is passed as it is.
"""
import inspect

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .backprop import grad
from .gradcheck import GradcheckError, compare, numerical_gradient
from .value import Value

__all__ = ["reals", "arrays", "positive_arrays", "untied_arrays", "broadcastable",
           "shapes", "axes", "assert_gate", "check_gate", "assert_reports"]


# ---------------------------------------------------------------- strategies
def reals(lo=-3.0, hi=3.0, avoid=(), margin=1e-3):
    """Floats in [lo, hi] at least `margin` away from each point of `avoid`
    (the kinks of relu, abs, clip, ...: central differences straddling a kink
    measure neither side's slope)."""
    values = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if avoid:
        values = values.filter(lambda v: all(abs(v - p) > margin for p in avoid))
    return values


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Array shapes, scalars () included by default."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def arrays(shape=None, dtype=np.float64, elements=None, **shape_options):
    """Float arrays of a drawn (or given) shape; elements default to reals()."""
    return hnp.arrays(dtype, shape if shape is not None else shapes(**shape_options),
                      elements=elements if elements is not None else reals())


def positive_arrays(shape=None, lo=0.1, hi=3.0, **shape_options):
    """Arrays of positive floats, for log, sqrt and the base of pow."""
    return arrays(shape, elements=reals(lo, hi), **shape_options)


def untied_arrays(shape=None, **shape_options):
    """Arrays whose elements are all distinct and at least 0.01 apart: max and
    min have one clear winner, even after a nudge of eps."""
    return arrays(shape, **shape_options).flatmap(
        lambda a: _distinct(a.size).map(lambda v: v.reshape(a.shape)))


def _distinct(n):
    grid = st.lists(st.integers(-300, 300), min_size=n, max_size=n, unique=True)
    return grid.map(lambda ks: np.array(ks, dtype=np.float64) / 100)


def broadcastable(n, elements=None, untied=False, **shape_options):
    """n float arrays of mutually broadcastable shapes (a tuple). untied=True
    makes every element of every array distinct (for maximum/minimum)."""
    options = dict(min_dims=0, max_dims=3, min_side=1, max_side=4)
    options.update(shape_options)
    shape_sets = hnp.mutually_broadcastable_shapes(num_shapes=n, **options).map(
        lambda r: r.input_shapes)
    if untied:
        def fill(shape_set):
            sizes = [int(np.prod(s)) for s in shape_set]
            return _distinct(sum(sizes)).map(lambda v: tuple(
                part.reshape(s) for part, s in zip(np.split(v, np.cumsum(sizes)[:-1]), shape_set)))
        return shape_sets.flatmap(fill)
    return shape_sets.flatmap(lambda shape_set: st.tuples(
        *(arrays(s, elements=elements) for s in shape_set)))


def axes(ndim):
    """A valid `axis` argument of a reduction over an array of ndim dimensions:
    None, an int (negative too) or a tuple of distinct ints."""
    if ndim == 0:
        return st.none()
    single = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return st.none() | single | several


# ---------------------------------------------------------------- checks
def _is_input(x):
    return isinstance(x, Value) or (isinstance(x, np.ndarray) and x.dtype.kind == "f")


def _as(x, dtype):
    """The array of an argument (a Value's data), converted only if it is not dtype already."""
    x = x.data if isinstance(x, Value) else x
    return x if dtype is None or x.dtype == dtype else x.astype(dtype)


def assert_gate(fn, *args, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, second_order=True):
    """Check fn(*args) for one example; raise AssertionError saying what failed.

    In float64: backward's gradient of every float input against central
    differences under a random upstream gradient; the inputs are not changed
    in place; a second backward with retain_graph=True adds the same gradient
    again, and then the graph is released. With second_order: under
    create_graph=True the gradient is a graph whose own gradient matches
    central differences of the gradient. In float32: the output and the
    gradients stay float32."""
    positions = [i for i, a in enumerate(args) if _is_input(a)]

    def call(inputs):
        full = list(args)
        for i, v in zip(positions, inputs):
            full[i] = v
        return fn(*full)

    r = _check_first_order(call, args, positions, eps, atol, rtol, seed)
    if second_order:
        _check_second_order(call, [np.array(_as(args[i], np.float64)) for i in positions],
                            r, eps, atol, rtol, seed)
    _check_float32(call, [_as(args[i], None) for i in positions])


def _check_first_order(call, args, positions, eps, atol, rtol, seed):
    originals = [np.array(_as(args[i], None), copy=True) for i in positions]
    # The gate runs on the caller's own float64 arrays, so a change in place would show.
    xs = [Value(_as(args[i], np.float64)) for i in positions]
    out = call(xs)
    if not isinstance(out, Value):
        raise AssertionError(f"the function returned {type(out).__name__}, not a Value")
    r = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(r, retain_graph=True)
    for i, before in zip(positions, originals):
        if not np.array_equal(before, _as(args[i], None), equal_nan=True):
            raise AssertionError(f"argument {i} was changed in place by the gate")
    firsts = [None if x.grad is None else np.array(x.grad, dtype=np.float64) for x in xs]
    copies = [Value(np.array(x.data)) for x in xs]
    for k, (x, analytic) in enumerate(zip(xs, firsts)):
        if analytic is None:
            analytic = np.zeros(x.shape)
        if np.shape(analytic) != x.shape:
            raise AssertionError(f"input {k}: gradient shape {np.shape(analytic)} != input shape {x.shape}")
        report = compare(analytic, numerical_gradient(lambda *vs: call(vs), copies, k, r, eps), atol, rtol)
        if report:
            raise GradcheckError(f"input {k} (shape {x.shape}): {report}")
    # A second backward through the kept graph adds exactly the same gradient
    # again (a gate that saved a cache must still have it); then the graph is gone.
    if out._gate is not None:
        out.backward(r)
        for k, (x, first) in enumerate(zip(xs, firsts)):
            if first is not None and not np.array_equal(np.asarray(x.grad, dtype=np.float64), 2 * first):
                raise AssertionError(f"input {k}: a second backward with retain_graph=True did not "
                                     f"add the same gradient again")
        try:
            out.backward(r)
        except RuntimeError:
            pass
        else:
            raise AssertionError("a third backward through the graph did not raise: it was not released")
    return r


def _check_second_order(call, arrays, r, eps, atol, rtol, seed):
    rng = np.random.default_rng(seed + 1)
    us = [rng.standard_normal(a.shape) for a in arrays]

    def first_order(values, create_graph):
        return grad(call(values), values, grad_output=r, create_graph=create_graph, allow_unused=True)

    def projected(*values):           # Σ_k <d(out·r)/dx_k, u_k>, from a plain backward
        fresh = [Value(np.array(v.data)) for v in values]
        return Value(sum(float(np.sum(np.asarray(g) * u))
                         for g, u in zip(first_order(fresh, False), us) if g is not None))

    xs = [Value(a) for a in arrays]
    firsts = first_order(xs, True)
    terms = [(g * u).sum() for g, u in zip(firsts, us) if isinstance(g, Value) and g.requires_grad]
    seconds = grad(sum(terms[1:], terms[0]), xs, allow_unused=True) if terms else [None] * len(xs)
    copies = [Value(np.array(a)) for a in arrays]
    for k, x in enumerate(xs):
        analytic = np.zeros(x.shape) if seconds[k] is None else np.asarray(seconds[k], dtype=np.float64)
        report = compare(analytic, numerical_gradient(projected, copies, k, 1.0, eps), atol * 10, rtol * 10)
        if report:
            raise GradcheckError(f"second order, input {k} (shape {x.shape}): {report}")


def _check_float32(call, arrays):
    xs = [Value(np.array(a, dtype=np.float32)) for a in arrays]
    out = call(xs)
    if np.result_type(out.data) != np.float32:
        raise AssertionError(f"float32 inputs gave a {np.result_type(out.data)} output")
    out.backward(np.ones(out.shape, np.float32))
    for k, x in enumerate(xs):
        if x.grad is not None and np.result_type(x.grad) != np.float32:
            raise AssertionError(f"input {k}: float32 input got a {np.result_type(x.grad)} gradient")


def check_gate(fn, inputs, **options):
    """Decorator: turn an (empty) test function into a hypothesis property test
    of `fn`'s gradients. `inputs` is a strategy of argument tuples; each drawn
    example goes through `assert_gate` (with `options`: eps, atol, rtol,
    second_order) and a drawn seed for the upstream gradient. If the decorated function takes arguments, it is then called
    with the drawn ones for any checks of its own."""
    def decorate(test):
        takes_args = bool(inspect.signature(test).parameters)

        @given(args=inputs, seed=st.integers(0, 2 ** 16))
        def property_test(args, seed):
            assert_gate(fn, *args, seed=seed, **options)
            if takes_args:
                test(*args)

        for attr in ("__name__", "__qualname__", "__module__", "__doc__"):
            setattr(property_test, attr, getattr(test, attr))
        return property_test
    return decorate


def assert_reports(call, error, fragments, what=None):
    """`call()` must raise `error` (a type) with every one of `fragments` in its
    message: a table of bad inputs is one call per row. Returns the error."""
    try:
        call()
    except error as e:
        message = str(e)
        missing = [f for f in fragments if f not in message]
        if missing:
            raise AssertionError(f"{what or call}: {missing} not in the message {message!r}") from None
        return e
    except Exception as e:
        raise AssertionError(f"{what or call}: raised {type(e).__name__}: {e}; expected {error.__name__}") from e
    raise AssertionError(f"{what or call}: raised nothing; expected {error.__name__}")


assert_gate.__test__ = check_gate.__test__ = assert_reports.__test__ = False      # not tests themselves
