"""Value: construction, dtypes, attributes, operators, scalar and array circuits."""
import copy
import gc
import threading
import weakref

import numpy as np
import pytest

from autograd import Value, concatenate, enable_grad, maximum, minimum, no_grad, stack, where


def test_data_kinds():
    assert Value(3).data == 3.0 and isinstance(Value(3).data, float)
    assert isinstance(Value(True).data, float)
    assert Value(np.arange(3)).dtype == np.float64               # ints become floats
    assert Value(np.ones(2, np.float32)).dtype == np.float32    # float32 is kept
    assert Value(np.ones(2, np.float16)).dtype == np.float32
    assert Value([[1, 2], [3, 4]]).shape == (2, 2)
    a = np.ones(3)
    assert Value(a).data is a                                     # not copied


def test_attributes():
    v = Value(np.ones((2, 3), np.float32), label="w")
    assert (v.shape, v.ndim, v.size, v.dtype, v.label) == ((2, 3), 2, 6, np.float32, "w")
    assert v.grad is None and v.requires_grad and v.is_leaf and v.op == ""
    s = Value(2.0)
    assert (s.shape, s.ndim, s.dtype, s.item()) == ((), 0, np.float64, 2.0)
    assert (v * 2).op == "mul" and not (v * 2).is_leaf
    assert v.T.shape == (3, 2) and v.transpose(1, 0).shape == (3, 2)
    assert v.reshape(3, 2).shape == v.reshape((3, 2)).shape == (3, 2)


def test_constants_mix_in_and_numpy_defers():
    v = Value(np.array([1.0, 2.0]))
    a, m = np.array([1.0, 1.0]), np.ones((2, 2))
    cases = [(v + 1, [2.0, 3.0]), (1 + v, [2.0, 3.0]), (v * np.float64(2), [2.0, 4.0]),
             (a - v, [0.0, -1.0]), (np.array([2.0, 2.0]) / v, [2.0, 1.0]), (m @ v, [3.0, 3.0]),
             (np.float32(2) * v, [2.0, 4.0]), (2 ** v, [2.0, 4.0]), (v ** a, [1.0, 2.0]),
             (v @ m, [3.0, 3.0])]
    for out, expected in cases:
        assert isinstance(out, Value), type(out)
        np.testing.assert_array_equal(out.data, expected)
    (np.array([3.0, 4.0]) * v).sum().backward()
    np.testing.assert_array_equal(v.grad, [3.0, 4.0])
    v.zero_grad()
    (np.array([3.0, 4.0]) / v).sum().backward()                  # d(c/v)/dv = -c/v²
    np.testing.assert_array_equal(v.grad, [-3.0, -1.0])
    v.zero_grad()
    (2 ** v).sum().backward()                                    # d(2^v)/dv = 2^v ln 2
    np.testing.assert_allclose(v.grad, [2 * np.log(2), 4 * np.log(2)])
    v.zero_grad()
    (m @ v).sum().backward()
    np.testing.assert_array_equal(v.grad, [2.0, 2.0])


def test_every_operator_and_method():
    xd, yd = np.array([0.5, -1.5, 2.0]), np.array([1.5, 2.5, 0.5])
    x, y = Value(xd), Value(yd)
    sigmoid = 1 / (1 + np.exp(-xd))
    cases = [(x + y, xd + yd), (x - y, xd - yd), (x * y, xd * yd), (x / y, xd / yd),
             (y ** x, yd ** xd), (x ** 2, xd ** 2), (2 ** x, 2 ** xd), (-x, -xd), (x @ y, xd @ yd),
             (x[1], xd[1]), (x[[0, 0, 2]], xd[[0, 0, 2]]), (x.relu(), np.maximum(xd, 0)),
             (x.leaky_relu(0.1), np.where(xd > 0, xd, 0.1 * xd)),
             (x.elu(), np.where(xd > 0, xd, np.exp(xd) - 1)), (x.sigmoid(), sigmoid),
             (x.tanh(), np.tanh(xd)), (x.exp(), np.exp(xd)), (y.log(), np.log(yd)), (y.sqrt(), np.sqrt(yd)),
             (x.abs(), np.abs(xd)), (abs(x), np.abs(xd)), (x.sum(), xd.sum()), (x.mean(), xd.mean()),
             (x.max(), xd.max()), (x.min(), xd.min()), (x.logsumexp(), np.log(np.exp(xd).sum())),
             (x.reshape(3, 1), xd.reshape(3, 1)), (x.transpose(), xd), (x.clip(-1, 1), np.clip(xd, -1, 1)),
             (maximum(x, y), np.maximum(xd, yd)), (minimum(x, y), np.minimum(xd, yd)),
             (concatenate([x, y]), np.concatenate([xd, yd])), (stack([x, y], axis=1), np.stack([xd, yd], 1)),
             (where(xd > 0, x, y), np.where(xd > 0, xd, yd))]
    assert len(cases) == 34
    for out, expected in cases:
        assert isinstance(out, Value) and out.op, out
        np.testing.assert_allclose(out.data, expected, rtol=1e-15, err_msg=out.op)


def test_scalar_circuits_stay_python_floats():
    x = Value(2.0)
    for e in (x + 1, x * x, x.exp(), x.sigmoid(), x.tanh(), x.relu(), x.leaky_relu(),
              x.elu(), maximum(x, 1.0), x.clip(0, 1), x.abs(), x.sum(), x.log()):
        assert type(e.data) is float, (e.op, type(e.data))
    y = x.sigmoid() * x.tanh()
    y.backward()
    assert type(x.grad) is float


def test_sigmoid_and_tanh_are_stable():
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # no overflow, no nan
        big = Value(np.array([-1000.0, 1000.0]))
        s = big.sigmoid()
        s.sum().backward()
        np.testing.assert_array_equal(s.data, [0.0, 1.0])
        np.testing.assert_array_equal(big.grad, [0.0, 0.0])
        t = Value(np.array([-1000.0, 1000.0], np.float32)).tanh()
        np.testing.assert_array_equal(t.data, [-1.0, 1.0])
        lse = Value(np.array([1000.0, 1000.0])).logsumexp()
        assert lse.item() == pytest.approx(1000 + np.log(2))
    assert Value(-1000.0).sigmoid().data == 0.0 and Value(1000.0).sigmoid().data == 1.0
    assert Value(-40.0).sigmoid().data == pytest.approx(4.248354255291589e-18)   # tail kept


def test_float32_stays_float32():
    x = Value(np.ones((2, 3), np.float32))
    w = Value(np.ones((3, 4), np.float32))
    out = ((x @ w).relu() * 0.5 + 1.0).sigmoid().mean()
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == w.grad.dtype == np.float32


def test_mixed_dtype_gradient_has_the_input_dtype():
    x = Value(np.ones(3, np.float32))
    (x * np.array([1.0, 2.0, 3.0])).sum().backward()      # float64 constant: float64 output
    assert x.grad.dtype == np.float32


def test_max_gate_ties_share_the_gradient():
    a, b = Value(np.array([1.0, 2.0])), Value(np.array([1.0, 0.0]))
    maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 0.0])
    x = Value(np.array([3.0, 1.0, 3.0]))
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 0.5])


def test_no_grad_builds_nothing_and_is_thread_local():
    x = Value(2.0)
    with no_grad():
        y = x * 3
        with enable_grad():
            z = x * 3
        seen = []
        t = threading.Thread(target=lambda: seen.append((x * 3).requires_grad))
        t.start()
        t.join()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and z.op == "mul"
    assert seen == [True]                                # other threads keep their own mode
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_detach_zero_grad_item_and_conversions():
    x = Value(np.array([1.0, 2.0]))
    (x * x).sum().backward()
    d = x.detach()
    assert d.data is x.data and not d.requires_grad
    x.zero_grad()
    assert x.grad is None
    x.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    assert float(Value(np.array([2.5]))) == 2.5 and bool(Value(1.0))
    assert f"{Value(0.12345):.2f}" == "0.12"
    assert len(x) == 2 and np.asarray(x).shape == (2,)
    assert "Value(data=" in repr(x)


def test_deepcopy_copies_a_leaf_and_refuses_a_gate_output():
    x = Value(np.array([1.0, 2.0]), label="x")
    (x * x).sum().backward()
    c = copy.deepcopy(x)
    assert type(c) is Value and c.label == "x" and c.requires_grad and c.is_leaf
    assert c.data is not x.data and c.grad is not x.grad
    np.testing.assert_array_equal(c.grad, x.grad)
    c.data += 1.0
    assert x.data[0] == 1.0                               # a copy, not a view
    (c * c).sum().backward()                              # and a working leaf of a new graph
    np.testing.assert_array_equal(c.grad, [2.0 + 4.0, 4.0 + 6.0])
    assert not copy.deepcopy(Value(1.0, requires_grad=False)).requires_grad
    with pytest.raises(RuntimeError, match="deepcopy.*'relu' gate"):
        copy.deepcopy(x.relu())


def test_weak_references_and_collection():
    x = Value(np.ones(1000))
    y = (x * 2).exp()
    ref = weakref.ref(y)
    mid = weakref.ref(y.inputs[0])                              # the intermediate x * 2
    y.sum().backward()
    del y
    assert ref() is None and mid() is None             # freed by reference counting alone
    gc.collect()



def test_requires_grad_is_a_leaf_flag():
    x = Value(2.0)
    x.requires_grad = False
    assert not (x * 3).requires_grad and (x * 3).is_leaf     # a constant: no graph
    x.requires_grad = True
    y = x * 3
    assert y.requires_grad and not y.is_leaf
    with pytest.raises(RuntimeError, match="leaf.*'mul' gate"):
        y.requires_grad = False


def test_labels_and_scopes_live_and_die_with_their_value():
    from autograd import scope
    from autograd.arraylike import _labels, _scopes
    x = Value(1.0, label="x")
    assert x.label == "x" and x.detach().label == "x"
    x.label = None
    assert x.label is None and Value(1.0).label is None
    with scope("layer"):
        y = x * 2
    assert y.scope.name == "layer" and (x * 2).scope is None
    labelled, scoped = len(_labels), len(_scopes)
    w = Value(1.0, label="w")
    with scope("layer"):
        z = w * 2
    assert (len(_labels), len(_scopes)) == (labelled + 1, scoped + 1)
    del w, z
    assert (len(_labels), len(_scopes)) == (labelled, scoped)     # nothing kept for them


def test_a_literal_constant_costs_no_object_per_gate():
    def values():
        return sum(isinstance(o, Value) for o in gc.get_objects())
    x = Value(1.0)
    before = values()
    h = x
    for _ in range(1000):
        h = h + 1.0
    assert values() - before <= 1001          # the 1000 add nodes and one constant 1.0
    h.backward()
    assert h.data == 1001.0 and x.grad == 1.0
    y = Value(1.5)
    total = y * 2.0 + y * 3.0 + y * 2.0      # different constants are not confused
    total.backward()
    assert y.grad == 7.0 and total.data == 10.5


def test_every_public_method_and_property_has_a_docstring():
    import inspect
    undocumented = [name for name, member in vars(Value).items()
                    if not name.startswith("_")
                    and (inspect.isfunction(member) or isinstance(member, property))
                    and not member.__doc__]
    assert undocumented == []
