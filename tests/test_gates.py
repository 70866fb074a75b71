"""Every gate of the table, property-tested against central differences.

Each test is `check_gate(function, strategy of arguments)` on an empty
function: hypothesis draws shapes (broadcasting included), axes and indices;
`assert_gate` compares backward's gradients with central differences in
float64, checks that inputs are not mutated, that float32 stays float32, and
that the graph is released. `test_every_gate_is_tested` walks the gate table,
so a gate added without a property test here fails the suite.
"""
import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Value, gates, maximum, minimum
from autograd.testing import (arrays, axes, broadcastable, check_gate, positive_arrays, reals,
                              shapes, untied_arrays)

away_from_zero = reals(avoid=[0.0], margin=0.1)


# ---------------------------------------------------------------- arithmetic
@check_gate(gates.add, broadcastable(2))
def test_add(): "a + b, broadcasting"


@check_gate(gates.sub, broadcastable(2))
def test_sub(): "a - b, broadcasting"


@check_gate(gates.neg, arrays().map(lambda a: (a,)))
def test_neg(): "-x"


@check_gate(gates.mul, broadcastable(2))
def test_mul(): "a * b, broadcasting"


@check_gate(gates.div, broadcastable(2, elements=away_from_zero))
def test_div(): "a / b, b away from 0"


@st.composite
def base_and_exponent(draw):
    base, exponent = draw(broadcastable(2))
    return np.asarray(np.abs(base) + 0.2), exponent


@check_gate(gates.power, base_and_exponent())
def test_pow(): "a ** b with a Value exponent (a > 0)"


@check_gate(gates.power, st.tuples(positive_arrays(), st.sampled_from([2, 3, -1, 0.5, 1.5])))
def test_pow_constant_exponent(): "a ** p with a constant exponent"


# ---------------------------------------------------------------- elementwise
@check_gate(gates.exp, arrays().map(lambda a: (a,)))
def test_exp(): "e^x"


@check_gate(gates.log, positive_arrays().map(lambda a: (a,)))
def test_log(): "ln x, x > 0"


@check_gate(gates.sqrt, positive_arrays().map(lambda a: (a,)))
def test_sqrt(): "sqrt x, x > 0"


@check_gate(gates.absolute, arrays(elements=away_from_zero).map(lambda a: (a,)))
def test_abs(): "|x| away from the kink at 0"


@check_gate(gates.relu, arrays(elements=away_from_zero).map(lambda a: (a,)))
def test_relu(): "max(0, x) away from the kink"


@check_gate(gates.leaky_relu, st.tuples(arrays(elements=away_from_zero), reals(0.0, 1.0)))
def test_leaky_relu(): "leaky relu with a drawn slope"


@check_gate(gates.elu, st.tuples(arrays(elements=away_from_zero), reals(0.1, 2.0)))
def test_elu(): "elu with a drawn alpha"


@check_gate(gates.sigmoid, arrays(elements=reals(-8, 8)).map(lambda a: (a,)))
def test_sigmoid(): "the logistic function"


@check_gate(gates.tanh, arrays().map(lambda a: (a,)))
def test_tanh(): "tanh"


@st.composite
def clip_args(draw):
    lo = draw(st.none() | reals(-2, 0))
    hi = draw(st.none() | reals(0.1, 2)) if lo is not None else draw(reals(0.1, 2))
    kinks = [b for b in (lo, hi) if b is not None]
    return draw(arrays(elements=reals(avoid=kinks, margin=0.01))), lo, hi


@check_gate(gates.clip, clip_args())
def test_clip(): "clip to [lo, hi] (either may be None), away from the bounds"


# ---------------------------------------------------------------- max gate and selection
@check_gate(gates.maximum, broadcastable(2, untied=True))
def test_maximum(): "elementwise max: routes the gradient"


@check_gate(gates.minimum, broadcastable(2, untied=True))
def test_minimum(): "elementwise min: routes the gradient"


@st.composite
def where_args(draw):
    result = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4))
    cond_shape, a_shape, b_shape = result.input_shapes
    cond = draw(hnp.arrays(bool, cond_shape))
    return cond, draw(arrays(a_shape)), draw(arrays(b_shape))


@check_gate(gates.where, where_args())
def test_where(): "where(cond, a, b), all three broadcasting"


# ---------------------------------------------------------------- linear algebra
@st.composite
def matmul_args(draw):
    m, k, n = draw(st.tuples(*[st.integers(1, 4)] * 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    kind = draw(st.sampled_from(["mm", "vm", "mv", "vv"]))
    a_shape = (k,) if kind[0] == "v" else batch.input_shapes[0] + (m, k)
    b_shape = (k,) if kind[1] == "v" else batch.input_shapes[1] + (k, n)
    return draw(arrays(a_shape)), draw(arrays(b_shape))


@check_gate(gates.matmul, matmul_args())
def test_matmul(): "a @ b: 1-D, 2-D and batched with broadcast batch axes"


# ---------------------------------------------------------------- reductions
@st.composite
def reduction_args(draw, untied=False):
    x = draw(untied_arrays() if untied else arrays())
    return x, draw(axes(x.ndim)), draw(st.booleans())


@check_gate(gates.reduce_sum, reduction_args())
def test_sum(): "sum over drawn axes, keepdims or not"


@check_gate(gates.reduce_mean, reduction_args())
def test_mean(): "mean over drawn axes"


@check_gate(gates.reduce_max, reduction_args(untied=True))
def test_max(): "max over drawn axes, no ties"


@check_gate(gates.reduce_min, reduction_args(untied=True))
def test_min(): "min over drawn axes, no ties"


@check_gate(gates.logsumexp, reduction_args())
def test_logsumexp(): "log-sum-exp over drawn axes"


# ---------------------------------------------------------------- shape and indexing
@st.composite
def reshape_args(draw):
    x = draw(arrays())
    target = draw(st.sampled_from([(x.size,), (-1,), x.shape[::-1], (1,) + x.shape, x.shape + (1,)]))
    return x, target


@check_gate(gates.reshape, reshape_args())
def test_reshape(): "reshape to a shape with the same size"


@st.composite
def transpose_args(draw):
    x = draw(arrays())
    perm = draw(st.none() | st.permutations(range(x.ndim)).map(tuple))
    return x, perm


@check_gate(gates.transpose, transpose_args())
def test_transpose(): "any permutation of axes, or reversed"


@st.composite
def index_args(draw):
    x = draw(arrays(min_dims=1))
    n = x.shape[0]
    index = draw(st.one_of(
        st.integers(-n, n - 1),
        st.builds(slice, st.none() | st.integers(-n, n), st.none() | st.integers(-n, n),
                  st.sampled_from([None, 1, 2, -1])),
        hnp.arrays(np.intp, st.integers(1, 6), elements=st.integers(-n, n - 1)),   # repeats add up
        st.just((Ellipsis, 0)) if x.ndim > 1 else st.just(0),
        hnp.arrays(bool, (n,)),
    ))
    return x, index


@check_gate(gates.getitem, index_args())
def test_getitem(): "basic, integer-array (with repeats) and boolean indexing"


@st.composite
def scatter_args(draw):
    shape = draw(shapes(min_dims=1))
    index = draw(hnp.arrays(np.intp, st.integers(1, 6), elements=st.integers(0, shape[0] - 1)))
    return draw(arrays(index.shape + shape[1:])), index, shape


@check_gate(gates.scatter, scatter_args())
def test_scatter(): "zeros(shape) with src added at repeated indices"


@st.composite
def broadcast_pair(draw):
    result = draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=4))
    return result.input_shapes[0], result.result_shape


@check_gate(gates.sum_to, broadcast_pair().flatmap(
    lambda p: st.tuples(arrays(p[1]), st.just(p[0]))))
def test_sum_to(): "sum a broadcast array back to its original shape"


@check_gate(gates.broadcast_to, broadcast_pair().flatmap(
    lambda p: st.tuples(arrays(p[0]), st.just(p[1]))))
def test_broadcast_to(): "broadcast to a larger shape"


# ---------------------------------------------------------------- joining
@st.composite
def join_args(draw, new_axis):
    shape = draw(shapes(min_dims=0 if new_axis else 1))
    n = draw(st.integers(1, 4))
    ndim = len(shape) + (1 if new_axis else 0)
    axis = draw(st.integers(-ndim, ndim - 1))
    parts = []
    for _ in range(n):
        part = list(shape)
        if not new_axis:
            part[axis] = draw(st.integers(1, 3))
        parts.append(draw(arrays(tuple(part))))
    return (*parts, axis)


@check_gate(lambda *args: gates.concatenate(args[:-1], axis=args[-1]), join_args(new_axis=False))
def test_concatenate(): "join 1 to 4 arrays along an existing axis"


@check_gate(lambda *args: gates.stack(args[:-1], axis=args[-1]), join_args(new_axis=True))
def test_stack(): "join 1 to 4 arrays along a new axis"


# ---------------------------------------------------------------- kinks and ties: the exact subgradient
# Property tests draw their values away from kinks (central differences that
# straddle one measure neither side's slope). At the kink itself each gate
# gives the subgradient PyTorch gives: relu'(0) = 0, |x|'(0) = 0, leaky_relu
# and elu take their negative side at 0, clip passes the gradient at its bounds,
# and tied maxima share it (maximum/minimum of two: half each; max over an axis:
# equal shares).
KINKS = [   # (what, function of x, x, d/dx at x)
    ("relu at 0", lambda x: x.relu(), 0.0, 0.0),
    ("relu at -0.0", lambda x: x.relu(), -0.0, 0.0),
    ("relu above 0", lambda x: x.relu(), 1e-300, 1.0),
    ("abs at 0", lambda x: abs(x), 0.0, 0.0),
    ("abs below 0", lambda x: abs(x), -1e-300, -1.0),
    ("leaky_relu at 0", lambda x: x.leaky_relu(0.1), 0.0, 0.1),
    ("elu at 0", lambda x: x.elu(2.0), 0.0, 2.0),
    ("clip at its lower bound", lambda x: x.clip(-1.0, 1.0), -1.0, 1.0),
    ("clip at its upper bound", lambda x: x.clip(-1.0, 1.0), 1.0, 1.0),
    ("clip just outside", lambda x: x.clip(-1.0, 1.0), 1.0 + 1e-15, 0.0),
    ("clip with only a lower bound, at it", lambda x: x.clip(0.5, None), 0.5, 1.0),
    ("maximum of a tie", lambda x: maximum(x, 2.0), 2.0, 0.5),
    ("minimum of a tie", lambda x: minimum(x, 2.0), 2.0, 0.5),
    ("maximum, the loser", lambda x: maximum(x, 2.0), 1.0, 0.0),
]


@pytest.mark.parametrize("what, fn, x, expected", KINKS, ids=[k[0] for k in KINKS])
@pytest.mark.parametrize("kind", ["scalar", "array"])
def test_gradient_at_a_kink_is_the_documented_subgradient(what, fn, x, expected, kind):
    v = Value(x) if kind == "scalar" else Value(np.array([x, x]))
    fn(v).sum().backward()
    np.testing.assert_array_equal(v.grad, expected if kind == "scalar" else [expected, expected])


def test_tied_maxima_over_an_axis_share_the_gradient_equally():
    x = Value(np.array([[3.0, 1.0, 3.0, 3.0], [0.0, -1.0, 5.0, 2.0]]))
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1 / 3, 0, 1 / 3, 1 / 3], [0, 0, 1, 0]])
    y = Value(np.array([-2.0, -2.0]))
    y.min().backward()
    np.testing.assert_array_equal(y.grad, [0.5, 0.5])
    both = Value(np.array([1.0, 4.0]))
    maximum(both, np.array([1.0, 0.0])).sum().backward()      # a tie, then a clear win
    np.testing.assert_array_equal(both.grad, [0.5, 1.0])


def test_single_element_and_empty_inputs():
    one = Value(np.array([[-3.0]]))
    one.relu().sum().backward()
    np.testing.assert_array_equal(one.grad, [[0.0]])
    empty = Value(np.zeros((0, 3)))
    out = (empty * 2).sum()
    assert out.data == 0.0
    out.backward()
    assert empty.grad.shape == (0, 3)
    single = Value(np.array([7.0]))
    single.max().backward()
    np.testing.assert_array_equal(single.grad, [1.0])


# ---------------------------------------------------------------- the walk
def test_every_gate_is_tested():
    tested = {name[len("test_"):] for name, f in globals().items()
              if name.startswith("test_") and hasattr(f, "hypothesis")}
    missing = [name for name in gates.TABLE
               if not any(t == name or t.startswith(name + "_") for t in tested)]
    assert not missing, f"gates without a property test in tests/test_gates.py: {missing}"
    assert len(gates.TABLE) >= 30
