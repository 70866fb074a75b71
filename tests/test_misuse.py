"""Nothing lost, nothing silent: what a user can get wrong across the library
(files, the engine, layer and optimizer arguments, data) gets a clear error of
the right type, naming what was called and what was wrong, at the call that
caused it; and a save that fails half-way leaves the previous file intact.

The command line's side of it is tests/test_cli.py."""
import io
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
import optim
from autograd import Value, storage
from autograd.storage import FileFormatError
from autograd.testing import assert_reports
from circuitgrad.expression import ExpressionError, circuit
from nn import data
from nn.data import DataError
from optim import lr_scheduler


# ---------------------------------------------------------------- files to load
def model():
    autograd.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 2))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """One file of every wrong kind, next to a good model file."""
    d = tmp_path_factory.mktemp("files")
    model().save(d / "good.npz")
    good = (d / "good.npz").read_bytes()
    (d / "text.npz").write_text("weights: [1, 2, 3]\n")
    (d / "empty.npz").write_bytes(b"")
    (d / "truncated.npz").write_bytes(good[: len(good) // 2])
    np.save(d / "array.npy", np.ones(3))
    opt = optim.SGD(model().parameters(), lr=0.1)
    np.savez(d / "optimizer.npz", **opt.state_dict())
    np.savez(d / "pickled.npz", **{"model/0.weight": np.array([object()] * 6, dtype=object).reshape(2, 3),
                                   "meta/format": "circuitgrad model"})
    with zipfile.ZipFile(d / "huge.npz", "w") as z:          # a header claiming 8 TB of float64
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                      "shape": (10 ** 12,)})
        z.writestr("model/0.weight.npy", np.lib.format.MAGIC_PREFIX + b"\x01\x00"
                   + header.getvalue()[8:] + b"\x00" * 64)
    return d


def load_into_model(name):
    return lambda files: model().load(files / name)


def load_checkpoint(name):
    def call(files):
        m = model()
        solver = optim.Solver(m, F.cross_entropy, optim.SGD(m.parameters(), lr=0.1),
                              (np.zeros((4, 3), np.float32), np.zeros(4, np.int64)), progress=False)
        solver.load_checkpoint(files / name)
    return call


FILES = [   # (what, call(files), exception, fragments)
    ("a text file", load_into_model("text.npz"), FileFormatError, ["text.npz", "zip archive"]),
    ("an empty file", load_into_model("empty.npz"), FileFormatError, ["empty.npz", "empty"]),
    ("a truncated model", load_into_model("truncated.npz"), FileFormatError, ["truncated.npz", "truncated"]),
    ("an .npy", load_into_model("array.npy"), FileFormatError, ["array.npy", ".npy file"]),
    ("an optimizer's state", load_into_model("optimizer.npz"), FileFormatError,
     ["optimizer.npz", "not a circuitgrad model file", "groups/0/lr"]),
    ("a pickled object", load_into_model("pickled.npz"), FileFormatError, ["pickled.npz", "pickled"]),
    ("a header claiming 8 TB", load_into_model("huge.npz"), FileFormatError,
     ["huge.npz", "claims", "1000000000000"]),
    ("a model file as a checkpoint", load_checkpoint("good.npz"), FileFormatError,
     ["good.npz", "not a training checkpoint"]),
    ("a text file as a checkpoint", load_checkpoint("text.npz"), FileFormatError, ["text.npz"]),
    ("a missing file", load_into_model("absent.npz"), FileNotFoundError, ["absent.npz"]),
]


@pytest.mark.parametrize("what, call, exception, fragments", FILES, ids=[f[0] for f in FILES])
def test_a_file_that_is_not_a_model_file_is_named(files, what, call, exception, fragments):
    error = assert_reports(lambda: call(files), exception, fragments, what)
    assert "allow_pickle" not in str(error)


@settings(max_examples=200)
@given(st.binary(max_size=600), st.sampled_from([b"", b"PK\x03\x04", b"\x93NUMPY"]))
def test_random_bytes_are_only_ever_a_file_format_error(tmp_path_factory, junk, prefix):
    path = tmp_path_factory.mktemp("junk") / "junk.npz"
    path.write_bytes(prefix + junk)
    with pytest.raises(FileFormatError, match="junk.npz"):
        model().load(path)


def test_a_cut_real_model_file_is_only_ever_a_file_format_error(tmp_path):
    model().save(tmp_path / "m.npz")
    whole = (tmp_path / "m.npz").read_bytes()
    for end in range(0, len(whole), 37):
        (tmp_path / "cut.npz").write_bytes(whole[:end])
        with pytest.raises(FileFormatError):
            model().load(tmp_path / "cut.npz")


# ---------------------------------------------------------------- saving cannot lose a file
def test_a_save_that_fails_half_way_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    saved = model()
    saved.save(path)
    before = path.read_bytes()

    def write_half_then_fail(file, **arrays):
        file.write(b"PK\x03\x04 half of an archive")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez", write_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        model().save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    restored = nn.Sequential(nn.Linear(3, 2)).load(path)
    np.testing.assert_array_equal(restored[0].weight.data, saved[0].weight.data)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]            # no temporary left


def test_a_process_killed_by_the_file_size_limit_leaves_the_previous_file(tmp_path):
    """A child process writing a big model under RLIMIT_FSIZE (4 kB) is stopped
    half-way by the kernel (SIGXFSZ); the small model saved before survives."""
    path = tmp_path / "model.npz"
    model().save(path)
    before = path.read_bytes()
    child = textwrap.dedent(f"""
        import resource, nn
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        nn.Sequential(nn.Linear(300, 300)).save({str(path)!r})
        print("saved")
    """)
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
    assert done.returncode != 0 and "saved" not in done.stdout
    assert path.read_bytes() == before
    nn.Sequential(nn.Linear(3, 2)).load(path)


def test_save_and_load_checkpoint_agree_on_the_file_name(tmp_path):
    m = model()
    solver = optim.Solver(m, F.cross_entropy, optim.SGD(m.parameters(), lr=0.1),
                          (np.zeros((4, 3), np.float32), np.zeros(4, np.int64)), progress=False)
    solver.save_checkpoint(tmp_path / "ckpt")                # no .npz added behind the user's back
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]
    solver.load_checkpoint(tmp_path / "ckpt")


# ---------------------------------------------------------------- the catalogue
def V(*shape):
    return Value(np.ones(shape))


def rebound():
    x, w = Value(np.ones(3), label="x"), Value(np.ones(3))
    y = (x * w).sum()
    x.data = np.ones(4)                                      # another shape, after the forward pass
    y.backward()


def assign(v, name, value):
    setattr(v, name, value)


def step_with_a_gradient_of_the_wrong_shape():
    p = Value(np.ones(3), label="w")
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.ones(4)
    try:
        opt.step()
    finally:
        np.testing.assert_array_equal(p.data, np.ones(3))    # nothing moved


def load_state(source, target):
    a, b = Value(np.ones(2)), Value(np.ones(2))
    first = source([a], lr=0.1)
    (a * a).sum().backward()
    first.step()
    second = target([b], lr=0.1)
    before = {k: np.array(v) for k, v in second.state_dict().items()}
    try:
        second.load_state_dict(first.state_dict())
    finally:
        after = second.state_dict()
        assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before)


def written(path, raw):
    path.write_bytes(raw)
    return path


def idx_file(tmp_path, raw):
    return written(tmp_path / "bad-idx3-ubyte", raw)


def sgd():
    return optim.SGD([V(2)], lr=0.1)


CATALOGUE = [   # (what, call, exception, fragments)
    # the engine
    ("a list holding Values", lambda: Value([V(2) * 2, V(2)]), TypeError, ["autograd.stack"]),
    ("a nested list holding a Value", lambda: Value([[1.0, V()]]), TypeError, ["stack"]),
    ("requires_grad not a bool", lambda: Value(1.0, requires_grad=1), TypeError, ["requires_grad", "1"]),
    ("requires_grad set to a string", lambda: assign(V(2), "requires_grad", "yes"), TypeError,
     ["requires_grad", "'yes'"]),
    ("backward with a string", lambda: (V(2) * 2).sum().backward("1"), TypeError, ["grad", "str"]),
    ("backward with a list", lambda: (V(2) * 2).backward([1.0, 1.0]), TypeError, ["grad", "list"]),
    ("backward with a Value of strings", lambda: (V(2) * 2).backward(np.array(["a", "b"])), TypeError,
     ["numeric"]),
    ("data set to a string", lambda: assign(V(2), "data", "abc"), TypeError, ["str", "'abc'"]),
    ("data set to a list of Values", lambda: assign(V(2), "data", [V(), V()]), TypeError, ["stack"]),
    ("data set to complex numbers", lambda: assign(V(2), "data", np.ones(2) * 1j), TypeError, ["complex"]),
    ("a leaf given another shape after forward", rebound, RuntimeError,
     ["'x'", "(4,)", "written", "'mul'", "forward pass again"]),
    ("grad of arrays", lambda: autograd.grad((V(2) * 2).sum(), [np.ones(2)]), TypeError,
     ["must be Values", "ndarray"]),
    ("copy_ of another shape", lambda: V(3).copy_(np.ones(4)), ValueError, ["copy_", "(4,)", "(3,)"]),
    ("copy_ of an array into a scalar", lambda: Value(1.0).copy_(np.ones(2)), ValueError, ["copy_", "(2,)"]),
    ("a complex result", lambda: Value(-1.0) ** 0.5, TypeError, ["pow", "complex"]),
    # layers and functions
    ("Conv2d in_channels a list", lambda: nn.Conv2d([3], 4, 3), TypeError, ["Conv2d", "in_channels", "[3]"]),
    ("BatchNorm1d num_features a list", lambda: nn.BatchNorm1d([4]), TypeError, ["BatchNorm1d", "num_features"]),
    ("Dropout p a string", lambda: nn.Dropout("0.5"), TypeError, ["Dropout", "p", "'0.5'"]),
    ("Dropout p above 1", lambda: nn.Dropout(1.5), ValueError, ["Dropout", "p", "1.5"]),
    ("BatchNorm eps negative", lambda: nn.BatchNorm2d(4, eps=-1), ValueError, ["BatchNorm2d", "eps", "-1"]),
    ("BatchNorm momentum above 1", lambda: nn.BatchNorm1d(4, momentum=2), ValueError, ["momentum", "2"]),
    ("Linear of 0 features", lambda: nn.Linear(0, 3), ValueError, ["Linear", "in_features", "0"]),
    ("Linear of 3.5 features", lambda: nn.Linear(3.5, 2), TypeError, ["Linear", "in_features", "3.5"]),
    ("Conv2d padding 'full'", lambda: nn.Conv2d(3, 4, 3, padding="full"), ValueError, ["Conv2d", "'full'"]),
    ("Conv2d groups that do not divide", lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, ["groups=4", "6"]),
    ("Conv2d kernel_size a float", lambda: nn.Conv2d(3, 4, 2.5), TypeError, ["kernel_size", "2.5"]),
    ("CrossEntropyLoss reduction 'avg'", lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError,
     ["CrossEntropyLoss", "reduction", "'avg'"]),
    ("MultiMarginLoss p=3", lambda: nn.MultiMarginLoss(p=3), ValueError, ["MultiMarginLoss", "p", "3"]),
    ("softmax dim out of range", lambda: F.softmax(V(2, 3), dim=5), ValueError, ["softmax", "5", "(2, 3)"]),
    ("softmax dim a string", lambda: F.softmax(V(2, 3), dim="a"), TypeError, ["softmax", "dim", "'a'"]),
    ("max_pool2d kernel 0", lambda: F.max_pool2d(V(1, 1, 4, 4), 0), ValueError, ["max_pool2d", "kernel_size"]),
    ("cross_entropy float labels", lambda: F.cross_entropy(V(2, 3), np.array([0.0, 1.0])), TypeError,
     ["cross_entropy", "integer"]),
    # optimizers and schedules
    ("SGD lr negative", lambda: optim.SGD([V(2)], lr=-1), ValueError, ["SGD", "lr", "-1"]),
    ("SGD lr a string", lambda: optim.SGD([V(2)], lr="0.1"), TypeError, ["SGD", "lr", "'0.1'"]),
    ("Adam betas of one", lambda: optim.Adam([V(2)], betas=(0.9,)), TypeError, ["Adam", "betas"]),
    ("a gradient of the wrong shape", step_with_a_gradient_of_the_wrong_shape, ValueError,
     ["SGD.step", "'w'", "(3,)", "(4,)", "nothing was updated"]),
    ("SGD's state into Adam", lambda: load_state(optim.SGD, optim.Adam), ValueError, ["SGD's", "Adam"]),
    ("Adam's state into SGD", lambda: load_state(optim.Adam, optim.SGD), ValueError, ["Adam's", "SGD"]),
    ("ReduceLROnPlateau mode 'up'", lambda: lr_scheduler.ReduceLROnPlateau(sgd(), mode="up"), ValueError,
     ["ReduceLROnPlateau", "mode", "'up'"]),
    ("StepLR step_size 0", lambda: lr_scheduler.StepLR(sgd(), step_size=0), ValueError, ["StepLR", "step_size"]),
    ("EMA decay 1.5", lambda: optim.EMA([V(2)], decay=1.5), ValueError, ["EMA", "decay", "1.5"]),
    ("Solver batch_size 0", lambda: optim.Solver(nn.Linear(2, 2), F.cross_entropy, sgd(),
                                                 (np.ones((2, 2)), np.zeros(2, int)), batch_size=0),
     ValueError, ["Solver", "batch_size", "0"]),
    ("Solver epochs 2.5", lambda: optim.Solver(nn.Linear(2, 2), F.cross_entropy, sgd(),
                                               (np.ones((2, 2)), np.zeros(2, int)), epochs=2.5),
     TypeError, ["Solver", "epochs", "2.5"]),
    # saving
    ("saving Python objects", lambda: storage.save_npz("/tmp/never.npz", {"a": np.array([object()])}),
     TypeError, ["'a'", "Python objects"]),
    ("saving into a missing directory", lambda: model().save("/nonexistent-dir/m.npz"), FileNotFoundError,
     ["/nonexistent-dir", "no directory"]),
    # data
    ("an unknown dataset", lambda: data.load("imagenet"), DataError, ["imagenet", "fashion-mnist"]),
    ("mnist without a directory", lambda: data.load("mnist"), DataError, ["mnist:DIR"]),
]


@pytest.mark.parametrize("what, call, exception, fragments", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_misuse_is_reported_clearly(what, call, exception, fragments):
    assert_reports(call, exception, fragments, what)


# ---------------------------------------------------------------- data files
def write_mnist(directory, labels=(0, 1, 2)):
    for split in ("train", "t10k"):
        data.write_idx(directory / f"{split}-images-idx3-ubyte.gz", np.zeros((len(labels), 4, 4), np.uint8))
        data.write_idx(directory / f"{split}-labels-idx1-ubyte.gz", np.array(labels, np.uint8))


DATA = [   # (what, make(tmp_path) -> call, exception, fragments)
    ("an IDX file of rank 0", lambda t: lambda: data.read_idx(idx_file(t, b"\x00\x00\x08\x00")),
     DataError, ["bad-idx3-ubyte", "0 dimensions"]),
    ("an IDX file of rank 200", lambda t: lambda: data.read_idx(idx_file(t, b"\x00\x00\x08\xc8" + b"\x00" * 800)),
     DataError, ["bad-idx3-ubyte", "200 dimensions"]),
    ("an IDX file claiming 4 billion images", lambda t: lambda: data.read_idx(
        idx_file(t, b"\x00\x00\x08\x03" + b"\xff\xff\xff\xff" + b"\x00\x00\x00\x1c" * 2 + b"\x00" * 10)),
     DataError, ["bad-idx3-ubyte", "truncated"]),
    ("labels outside the classes", lambda t: (write_mnist(t, labels=(0, 11, 3)),
                                              lambda: data.load(f"mnist:{t}"))[1],
     DataError, ["train-labels-idx1-ubyte.gz", "0..9", "11"]),
    ("CIFAR-10 with two batches missing", lambda t: (
        [(t / f"data_batch_{i}.bin").write_bytes(b"\x00" * 3073) for i in (1, 2, 3)],
        (t / "test_batch.bin").write_bytes(b"\x00" * 3073), lambda: data.load(f"cifar10:{t}"))[2],
     DataError, ["data_batch_4.bin", "data_batch_5.bin"]),
    ("a .gz file that is not gzip", lambda t: lambda: data.read_idx(written(t / "x.gz", b"junk")),
     DataError, ["x.gz", "gzip"]),
]


@pytest.mark.parametrize("what, make, exception, fragments", DATA, ids=[d[0] for d in DATA])
def test_bad_data_files_are_named(tmp_path, what, make, exception, fragments):
    assert_reports(make(tmp_path), exception, fragments, what)


def test_the_catalogues_hold_at_least_fifty_kinds_of_misuse():
    assert len(FILES) + len(CATALOGUE) + len(DATA) >= 50


# ---------------------------------------------------------------- anomalies
def test_detect_anomaly_names_the_gate_its_scope_and_the_pass():
    layer = nn.Linear(2, 2)
    x = Value(np.array([[1.0, -1.0]], np.float32))
    with autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match=r"'log' gate made NaN or inf in its output on the forward pass"):
            x.log()
        with pytest.raises(RuntimeError, match=r"'linear' gate in Linear made NaN or inf .* forward"):
            layer(np.array([[np.inf, 0.0]], np.float32))
        zero = Value(np.array([0.0, 4.0]))
        y = zero.sqrt().sum()                                # fine forward: sqrt(0) = 0
        with pytest.raises(RuntimeError, match=r"'sqrt' gate made NaN or inf in the gradient .* backward"):
            y.backward()
        small = Value(1e-20) * Value(1e10)                   # 1e-10, then times 1e300: finite forward,
        with pytest.raises(RuntimeError, match=r"'mul' gate made NaN or inf in the gradient for input 0"):
            (small * Value(1e300)).backward()               # but 1e300 * 1e10 overflows on the way back
    with np.errstate(all="ignore"):
        assert np.isnan(Value(np.array([-1.0])).log().data).all()   # outside the block: numpy's NaN, as before


# ---------------------------------------------------------------- the draw command's parser
NAMES = st.sampled_from(["x", "y"])
ATOMS = st.one_of(NAMES, st.integers(0, 9).map(str), st.sampled_from(["0.5", "2.5"]))


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(ATOMS)
    kind = draw(st.sampled_from(["binary", "unary", "call", "call2"]))
    if kind == "binary":
        op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
        return f"({draw(expressions(depth - 1))} {op} {draw(expressions(depth - 1))})"
    if kind == "unary":
        return f"-{draw(expressions(depth - 1))}"
    if kind == "call":
        return f"{draw(st.sampled_from(['exp', 'log', 'tanh', 'relu', 'sigmoid']))}({draw(expressions(depth - 1))})"
    return f"max({draw(expressions(depth - 1))}, {draw(expressions(depth - 1))})"


def python_value(text, values):
    """The same expression in Python's own arithmetic (the math module's functions)."""
    import math
    functions = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "relu": lambda v: max(v, 0.0),
                 "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "max": max}
    result = eval(compile(text, "<expression>", "eval"), {"__builtins__": {}}, {**functions, **values})
    return float(result)


@settings(max_examples=300)
@given(expressions(), st.floats(-3, 3), st.floats(-3, 3))
def test_valid_expressions_compute_what_python_computes(text, x, y):
    values = {name: v for name, v in (("x", x), ("y", y)) if name in text}
    try:
        expected = python_value(text, values)
    except (ArithmeticError, ValueError, TypeError):
        expected = None                                    # not valid in Python's arithmetic
    try:
        out, _ = circuit(text, values)
    except ExpressionError:
        return                                             # refused with the library's own error
    if expected is not None and np.isfinite(expected):
        assert out.data == pytest.approx(expected, rel=1e-9, abs=1e-12), text


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40), st.floats(-3, 3))
def test_any_text_is_a_circuit_or_an_expression_error(text, x):
    try:
        circuit(text, {"x": x} if "x" in text else {})
    except ExpressionError:
        pass
