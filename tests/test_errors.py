"""Bad input gets a clear exception at the call that caused it, naming the
operation and the shapes or types involved."""
import pathlib

import numpy as np
import pytest

from autograd import Value, concatenate, stack, where
from autograd.testing import assert_reports


def V(*shape):
    return Value(np.ones(shape))


def released():
    y = Value(2.0).exp()
    y.backward()
    return y


CATALOGUE = [
    # (what, call, exception, fragments the message must contain)
    ("matmul inner sizes", lambda: V(2, 3) @ V(4, 5), ValueError, ["matmul", "(2, 3)", "(4, 5)"]),
    ("matmul of vectors", lambda: V(3) @ V(4), ValueError, ["matmul", "(3,)", "(4,)"]),
    ("matmul of scalars", lambda: Value(2.0) @ Value(3.0), (ValueError, TypeError), ["matmul", "2.0"]),
    ("add cannot broadcast", lambda: V(3) + V(4), ValueError, ["add", "(3,)", "(4,)"]),
    ("mul cannot broadcast", lambda: V(2, 3) * V(3, 2), ValueError, ["mul", "(2, 3)", "(3, 2)"]),
    ("where cannot broadcast", lambda: where(np.ones(3, bool), V(3), V(2)), ValueError,
     ["where", "(3,)", "(2,)"]),
    ("index out of range", lambda: V(3)[5], IndexError, ["getitem", "5", "(3,)"]),
    ("too many indices", lambda: V(3)[0, 0], IndexError, ["getitem", "(3,)"]),
    ("float index", lambda: V(3)[1.5], IndexError, ["getitem", "float"]),
    ("reshape size", lambda: V(2, 3).reshape(4, 2), ValueError, ["reshape", "size 6", "(2, 3)"]),
    ("transpose axes", lambda: V(2, 3).transpose(0, 0), ValueError, ["transpose", "(2, 3)"]),
    ("sum axis out of range", lambda: V(2, 3).sum(axis=2), (ValueError, IndexError), ["sum", "axis 2"]),
    ("concatenate sizes", lambda: concatenate([V(2, 3), V(2, 4)], axis=0), ValueError,
     ["concatenate", "(2, 3)", "(2, 4)"]),
    ("stack shapes", lambda: stack([V(2), V(3)]), ValueError, ["stack", "(2,)", "(3,)"]),
    ("max of empty", lambda: Value(np.ones(0)).max(), ValueError, ["max", "(0,)"]),
    ("string data", lambda: Value("abc"), TypeError, ["str", "abc"]),
    ("None data", lambda: Value(None), TypeError, ["NoneType"]),
    ("object data", lambda: Value(object()), TypeError, ["object"]),
    ("complex data", lambda: Value(1 + 2j), TypeError, ["complex"]),
    ("complex array", lambda: Value(np.array([1 + 2j])), TypeError, ["complex128", "(1,)"]),
    ("string array", lambda: Value(np.array(["a", "b"])), TypeError, ["<U1", "(2,)"]),
    ("ragged lists", lambda: Value([[1, 2], [3]]), TypeError, ["ragged"]),
    ("add a string", lambda: V(3) + "abc", TypeError, ["add", "str", "(3,)"]),
    ("scalar plus a string", lambda: Value(1.0) + "abc", TypeError, ["add", "str", "1.0"]),
    ("multiply by None", lambda: V(2) * None, TypeError, ["mul", "NoneType"]),
    ("add a ragged list", lambda: V(2) + [[1, 2], [3]], TypeError, ["add", "list", "ragged"]),
    ("complex result", lambda: Value(-8.0) ** (1 / 3), TypeError, ["pow", "complex", "-8.0"]),
    ("scalar division by zero", lambda: Value(1.0) / Value(0.0), ZeroDivisionError,
     ["div", "zero", "0.0"]),
    ("backward of a non-scalar", lambda: (V(2, 2) * 2).backward(), ValueError,
     ["shape (2, 2)", "grad="]),
    ("backward with a wrong grad shape", lambda: (V(2, 2) * 2).backward(np.ones(3)), ValueError,
     ["(3,)", "(2, 2)"]),
    ("backward with a string grad", lambda: (Value(1.0) * 2).backward("x"), TypeError,
     ["numeric", "str"]),
    ("backward of a constant", lambda: Value(1.0, requires_grad=False).exp().backward(),
     RuntimeError, ["does not require grad"]),
    ("backward through a released graph", lambda: released().backward(), RuntimeError,
     ["exp", "released", "retain_graph"]),
    ("item of an array", lambda: V(2, 2).item(), ValueError, ["(2, 2)"]),
    ("truth of an array", lambda: bool(V(3)), ValueError, ["(3,)", "ambiguous"]),
    ("len of a scalar", lambda: len(Value(1.0)), TypeError, ["0-d"]),
]


@pytest.mark.parametrize("what, call, exception, fragments", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_is_reported(what, call, exception, fragments):
    assert_reports(call, exception, fragments, what)


def test_the_catalogue_is_large():
    assert len(CATALOGUE) >= 20


def test_errors_in_backward_name_the_gate():
    from autograd import Gate
    broken = Gate("broken", lambda x: x * 2, lambda g, out, x: g @ np.ones((5, 5)))
    y = broken(V(3)).sum()
    with pytest.raises(ValueError, match=r"broken \(backward\).*\(3,\)"):
        y.backward()


@pytest.mark.parametrize("package", ["nn", "optim", "circuitgrad"])
def test_another_autograd_first_on_the_path_fails_loudly(tmp_path, package):
    """HIPS autograd also installs as `autograd`: importing nn, optim or the command
    line with it first on the path is an ImportError naming that other file."""
    import subprocess
    import sys
    fake = tmp_path / "autograd"
    fake.mkdir()
    (fake / "__init__.py").write_text("grad = None   # not circuitgrad's engine\n")
    root = str(pathlib.Path(__file__).resolve().parents[1])
    code = f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {root!r}]; import {package}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError") and "__circuitgrad__" in last and str(fake) in last
