"""gradcheck and the testing helpers catch wrong gradients and say where."""
import numpy as np
import pytest
from hypothesis import given, settings

from autograd import Gate, Value, gradcheck
from autograd.gradcheck import GradcheckError
from autograd.testing import assert_gate, broadcastable, check_gate, untied_arrays

# the derivative of sin is cos, not -cos
wrong_sin = Gate("wrong_sin", np.sin, lambda g, out, x: -g * np.cos(x))
right_sin = Gate("sin", np.sin, lambda g, out, x: g * np.cos(x))


def test_gradcheck_passes_correct_gradients():
    x = np.array([[0.3, -1.2], [2.0, 0.1]])
    assert gradcheck(lambda x: right_sin(x) * x, [x]) is True
    assert gradcheck(lambda a, b: (a @ b).tanh().sum(), [np.ones((2, 3)), np.ones(3) * 0.1]) is True
    assert gradcheck(lambda s: s * s * s, [Value(1.5)]) is True


def test_gradcheck_reports_the_worst_element():
    x = np.array([0.5, 1.0, 0.0])
    with pytest.warns(UserWarning, match="input 0"):
        assert gradcheck(lambda x: wrong_sin(x), [x]) is False
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: wrong_sin(x), [x], raise_exception=True)
    message = str(info.value)
    assert "max abs error" in message and "max rel error" in message and "index" in message


def test_gradcheck_checks_every_input_and_leaves_inputs_alone():
    a, b = np.array([0.5, 1.0]), np.array([2.0, -1.0])
    before = a.copy(), b.copy()
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda a, b: a * wrong_sin(b), [a, b], raise_exception=True)
    np.testing.assert_array_equal(a, before[0])
    np.testing.assert_array_equal(b, before[1])
    constant = Value(np.array([1.0, 2.0]), requires_grad=False)
    assert gradcheck(lambda a, c: a * wrong_sin(c), [a, constant])     # constants are not checked


def test_assert_gate_catches_a_wrong_gate():
    with pytest.raises(GradcheckError):
        assert_gate(wrong_sin, np.array([0.3, 1.0]), second_order=False)
    assert_gate(right_sin, np.array([0.3, 1.0]), second_order=False)


def test_a_local_gradient_in_numpy_cannot_be_differentiated_again():
    with pytest.raises(TypeError, match="sin.*create_graph=True.*operators and gates"):
        assert_gate(right_sin, np.array([0.3, 1.0]))


def test_assert_gate_catches_mutation_and_float64_leaks():
    def mutating(x):
        x.data += 1.0
        return x * 2
    with pytest.raises(AssertionError, match="changed in place"):
        assert_gate(mutating, np.array([1.0, 2.0]))
    upcast = Gate("upcast", lambda x: x.astype(np.float64), lambda g, out, x: g)
    with pytest.raises(AssertionError, match="float64 output"):
        assert_gate(upcast, np.array([1.0, 2.0]))


def test_check_gate_turns_an_empty_function_into_a_property_test():
    @settings(max_examples=5)
    @check_gate(wrong_sin, broadcastable(1), second_order=False)
    def test_wrong():
        "this one must fail"

    @settings(max_examples=5)
    @check_gate(right_sin, broadcastable(1), second_order=False)
    def test_right():
        "this one must pass"

    test_right()
    with pytest.raises(GradcheckError):
        test_wrong()


@given(broadcastable(3))
def test_broadcastable_draws_broadcastable_shapes(arrays):
    np.broadcast_shapes(*(a.shape for a in arrays))


@given(untied_arrays(), broadcastable(2, untied=True))
def test_untied_arrays_have_no_ties(x, pair):
    values = np.concatenate([x.ravel()] + [a.ravel() for a in pair])
    assert len(np.unique(x)) == x.size
    assert len(np.unique(np.concatenate([a.ravel() for a in pair]))) == sum(a.size for a in pair)
    assert values.dtype == np.float64


def test_gradcheck_seed_is_reproducible():
    """The same seed draws the same upstream gradient: the same report, word for word;
    another seed draws another (the report of a wrong gradient differs)."""
    wrong = Gate("wrong_square", lambda x: x * x, lambda g, out, x: g * 3 * x)   # should be 2x
    x = np.linspace(-1, 1, 4)

    def report(seed):
        with pytest.warns(UserWarning) as caught:
            assert not gradcheck(lambda v: wrong(v), [x], seed=seed)
        return str(caught[0].message)
    assert report(3) == report(3)
    assert report(3) != report(4)
