"""ONNX export and import (nn.onnx), checked against onnxruntime.

Every gate with an ONNX form (the table below walks both gate tables) and
every model of the zoo is exported, checked with onnx.checker (full check) and
run by onnxruntime on the same inputs: its outputs equal circuitgrad's within
1e-5 of their scale (float32), for the traced batch size and another one.
Import is checked by the round trip: export then load gives the same outputs
and the same gradients, for the input and for every parameter.
"""
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")           # the `export` extra (in `test`): pip install 'circuitgrad[export]'
ort = pytest.importorskip("onnxruntime")

import autograd  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from autograd import Gate, Value  # noqa: E402
from autograd import gates as engine  # noqa: E402
from nn import gates  # noqa: E402
from nn.models import classifiers  # noqa: E402

rng = np.random.default_rng(0)


def normal(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape).astype(np.float32)


def run_onnxruntime(path, inputs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))


def assert_close(got, want, what=""):
    """Equal within 1e-5 of the output's scale (float32 arithmetic in another order)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    scale = max(float(np.abs(want).max()) if want.size else 0.0, 1e-6)
    assert float(np.abs(got - want).max() if want.size else 0.0) <= 1e-5 * scale, (what, got, want)


def as_values(inputs):
    """Float arrays as Values; integer arrays (indices) stay arrays."""
    return [Value(x.copy()) if x.dtype.kind == "f" else x for x in inputs]


def forward(fn, inputs):
    with autograd.no_grad():
        out = fn(*as_values(inputs))
    flat, stack = [], [out]
    while stack:                                        # nested outputs in order: out, (h_n, c_n)
        o = stack.pop()
        if isinstance(o, tuple):
            stack.extend(reversed(o))
        elif o is not None:
            flat.append(np.asarray(o.data))
    return flat


def gradients(fn, inputs, seed=1):
    """(outputs, d(Σ r·out)/d(input) for each float input, d/d(parameter) by name)."""
    values = as_values(inputs)
    out = fn(*values)
    out = out[0] if isinstance(out, tuple) else out
    r = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    (out * r).sum().backward()
    params = {n: p.grad for n, p in fn.named_parameters()} if isinstance(fn, nn.Module) else {}
    return out.data, [v.grad for v in values if isinstance(v, Value)], params


# ---------------------------------------------------------------- every gate with an ONNX form
def batched(*makers):
    """Inputs for batch size n: each maker takes n."""
    return lambda n: tuple(m(n) for m in makers)


W34, W43, K = normal(3, 4), normal(4, 3), normal(4, 3, 3, 3)
SLOPES, GAMMA, BETA = positive(3) * 0.3, positive(3), normal(3)
MEAN, VAR = normal(3), positive(3)
B4, GROUPED, KT, B2 = normal(4), normal(4, 1, 3, 3), normal(3, 2, 3, 2), normal(2)
LABELS = np.array([0, 2], dtype=np.int64)
TABLE, GAMMA2 = normal(7, 3), positive(2, 3)
W_IH, W_HH, B_IH, B_HH = normal(20, 3) * 0.5, normal(20, 5) * 0.5, normal(20), normal(20)

GATE_CASES = {   # gate name (or name_variant) -> (function of Values, inputs for batch size n)
    "add": (lambda a, b: a + b, batched(lambda n: normal(n, 3), lambda n: normal(n, 3))),
    "add_broadcast_constant": (lambda a: a + np.arange(3, dtype=np.float32), batched(lambda n: normal(n, 3))),
    "sub": (lambda a, b: a - b, batched(lambda n: normal(n, 3), lambda n: normal(n, 3))),
    "mul": (lambda a: a * 2.5, batched(lambda n: normal(n, 3))),
    "div": (lambda a, b: 1.0 / a + a / b, batched(lambda n: positive(n, 3), lambda n: positive(n, 3))),
    "pow": (lambda a, b: a ** 2.0 + a ** b, batched(lambda n: positive(n, 3), lambda n: normal(n, 3))),
    "neg": (lambda a: -a, batched(lambda n: normal(n, 3))),
    "exp": (lambda a: a.exp(), batched(lambda n: normal(n, 3))),
    "log": (lambda a: a.log(), batched(lambda n: positive(n, 3))),
    "sqrt": (lambda a: a.sqrt(), batched(lambda n: positive(n, 3))),
    "abs": (lambda a: abs(a), batched(lambda n: normal(n, 3))),
    "relu": (lambda a: a.relu(), batched(lambda n: normal(n, 3))),
    "leaky_relu": (lambda a: a.leaky_relu(0.2), batched(lambda n: normal(n, 3))),
    "elu": (lambda a: a.elu(0.7), batched(lambda n: normal(n, 3))),
    "sigmoid": (lambda a: a.sigmoid(), batched(lambda n: normal(n, 3))),
    "tanh": (lambda a: a.tanh(), batched(lambda n: normal(n, 3))),
    "clip": (lambda a: a.clip(-0.5, 0.5) + a.clip(hi=0.2), batched(lambda n: normal(n, 3))),
    "maximum": (lambda a, b: autograd.maximum(a, b), batched(lambda n: normal(n, 3), lambda n: normal(n, 3))),
    "minimum": (lambda a, b: autograd.minimum(a, b), batched(lambda n: normal(n, 3), lambda n: normal(n, 3))),
    "where": (lambda a, b: autograd.where(np.array([True, False, True]), a, b),
              batched(lambda n: normal(n, 3), lambda n: normal(n, 3))),
    "matmul": (lambda a: a @ W34, batched(lambda n: normal(n, 3))),
    "matmul_batched": (lambda a, b: a @ b, batched(lambda n: normal(n, 2, 3), lambda n: normal(n, 3, 4))),
    "sum": (lambda a: a.sum(), batched(lambda n: normal(n, 3, 2))),
    "sum_axis": (lambda a: a.sum(axis=(1, -1), keepdims=True), batched(lambda n: normal(n, 3, 2))),
    "mean": (lambda a: a.mean(axis=1), batched(lambda n: normal(n, 3, 2))),
    "max": (lambda a: a.max(axis=-1), batched(lambda n: normal(n, 3, 2))),
    "min": (lambda a: a.min(axis=1, keepdims=True), batched(lambda n: normal(n, 3, 2))),
    "logsumexp": (lambda a: a.logsumexp(axis=1), batched(lambda n: normal(n, 3))),
    "broadcast_to": (lambda a: engine.broadcast_to(a, (2, 3)), batched(lambda n: normal(3))),
    "reshape": (lambda a: a.reshape(a.shape[0], -1), batched(lambda n: normal(n, 3, 2))),
    "reshape_merging_the_batch": (lambda a: a.reshape(-1, 2), batched(lambda n: normal(n, 3, 2))),
    "transpose": (lambda a: a.transpose(0, 2, 1) + a.T.transpose(2, 1, 0), batched(lambda n: normal(n, 3, 3))),
    "getitem": (lambda a: a[:, 1:3, None] + a[..., ::-1][:, None, 1:], batched(lambda n: normal(n, 4))),
    "getitem_int": (lambda a: a[:, -1] + a[:, 0], batched(lambda n: normal(n, 4))),
    "getitem_gather": (lambda a: a[:, np.array([[0, 3], [3, 3]])], batched(lambda n: normal(n, 4))),
    "concatenate": (lambda a, b: autograd.concatenate([a, b, a], axis=1),
                    batched(lambda n: normal(n, 2), lambda n: normal(n, 3))),
    "stack": (lambda a, b: autograd.stack([a, b], axis=-1), batched(lambda n: normal(n, 2), lambda n: normal(n, 2))),
    # nn's fused gates
    "linear": (lambda x: F.linear(x, W43, np.ones(4, np.float32)), batched(lambda n: normal(n, 3))),
    "linear_3d": (lambda x: F.linear(x, W43), batched(lambda n: normal(n, 2, 3))),
    "conv2d": (lambda x: F.conv2d(x, K[:, :, :2], B4, stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
               batched(lambda n: normal(n, 3, 6, 5))),
    "conv2d_same_even_kernel": (lambda x: F.conv2d(x, K[:, :, :2, :2], padding="same"),
                                batched(lambda n: normal(n, 3, 4, 5))),
    "conv2d_groups": (lambda x: F.conv2d(x, GROUPED, groups=2), batched(lambda n: normal(n, 2, 5, 5))),
    "conv_transpose2d": (lambda x: F.conv_transpose2d(x, KT, B2, stride=2, padding=1,
                                                      output_padding=1, dilation=(1, 2)),
                         batched(lambda n: normal(n, 3, 3, 4))),
    "max_pool2d": (lambda x: F.max_pool2d(x, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
                   batched(lambda n: normal(n, 2, 6, 6))),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=(0, 1)) + F.avg_pool2d(x, 3, 2, (0, 1), count_include_pad=False),
                   batched(lambda n: normal(n, 2, 6, 7))),
    "batch_norm": (lambda x: F.batch_norm(x, MEAN, VAR, GAMMA, BETA, eps=1e-3), batched(lambda n: normal(n, 3, 4, 4))),
    "batch_norm_1d_no_affine": (lambda x: F.batch_norm(x, MEAN, VAR), batched(lambda n: normal(n, 3))),
    "softmax": (lambda x: F.softmax(x, 1), batched(lambda n: normal(n, 4, 2))),
    "log_softmax": (lambda x: F.log_softmax(x, -1), batched(lambda n: normal(n, 4))),
    "prelu": (lambda x: F.prelu(x, SLOPES), batched(lambda n: normal(n, 3, 2, 2))),
    "prelu_one_slope": (lambda x: F.prelu(x, SLOPES[:1]), batched(lambda n: normal(n, 3))),
    "guided_relu": (lambda x: gates.guided_relu(x), batched(lambda n: normal(n, 3))),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, 1), batched(lambda n: normal(n, 3, 5, 4))),
    "adaptive_avg_pool2d_overlapping": (lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
                                        batched(lambda n: normal(n, 3, 5, 4))),
    "upsample_nearest2d": (lambda x: F.interpolate(x, size=(5, 7)), batched(lambda n: normal(n, 2, 3, 3))),
    "upsample_nearest2d_scale": (lambda x: F.interpolate(x, scale_factor=1.7), batched(lambda n: normal(n, 2, 3, 3))),
    "upsample_bilinear2d": (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"),
                            batched(lambda n: normal(n, 2, 3, 4))),
    "upsample_bilinear2d_corners": (lambda x: F.interpolate(x, size=(5, 6), mode="bilinear", align_corners=True),
                                    batched(lambda n: normal(n, 2, 3, 4))),
    "cross_entropy": (lambda x: F.cross_entropy(x, LABELS), lambda n: (normal(2, 3),)),
    "embedding": (lambda idx: F.embedding(idx, Value(TABLE)), lambda n: (rng.integers(0, 7, (n, 4)),)),
    "layer_norm": (lambda x: F.layer_norm(x, 3, GAMMA2[0], BETA) + F.layer_norm(x, (2, 3), eps=0.1),
                   batched(lambda n: normal(n, 2, 3))),
    "lstm": (lambda x: gates.lstm(x, np.zeros((len(x), 5), np.float32), np.zeros((len(x), 5), np.float32),
                                  W_IH, W_HH, B_IH, B_HH, True), batched(lambda n: normal(n, 4, 3))),
    "lstm_time_major_with_states": (lambda x, h, c: gates.lstm(x, h, c, W_IH, W_HH, None, None, False),
                                    lambda n: (normal(4, n, 3), normal(n, 5), normal(n, 5))),
    "gru": (lambda x: gates.gru(x, np.zeros((len(x), 5), np.float32), W_IH[:15], W_HH[:15], B_IH[:15], B_HH[:15],
                                True), batched(lambda n: normal(n, 4, 3))),
    "gru_time_major_with_state": (lambda x, h: gates.gru(x, h, W_IH[:15], W_HH[:15], None, None, False),
                                  lambda n: (normal(4, n, 3), normal(n, 5))),
    "rnn": (lambda x: gates.rnn(x, np.zeros((len(x), 5), np.float32), W_IH[:5], W_HH[:5], B_IH[:5], B_HH[:5],
                                False, True), batched(lambda n: normal(n, 4, 3))),
    "rnn_relu_time_major_with_state": (lambda x, h: gates.rnn(x, h, W_IH[:5], W_HH[:5], None, None, True, False),
                                       lambda n: (normal(4, n, 3), normal(n, 5))),
    "mse_loss": (lambda a, b: F.mse_loss(a, b) + F.mse_loss(a, b, reduction="sum"),
                 batched(lambda n: normal(n, 3), lambda n: normal(n, 3))),
}
FIXED_BATCH = {"broadcast_to", "cross_entropy",        # their inputs have no batch axis: dynamic_batch=False
               "lstm_time_major_with_states", "gru_time_major_with_state", "rnn_relu_time_major_with_state"}
WITHOUT_ONNX_FORM = {"sum_to", "scatter", "dropout", "multi_margin_loss", "binary_cross_entropy_with_logits",
                     "binary_cross_entropy", "l1_loss"}     # used in backward passes, or in training only


def test_every_gate_has_an_onnx_form_and_a_case_here():
    table = {**engine.TABLE, **gates.TABLE}
    formless = {name for name, g in table.items() if isinstance(g, Gate) and g.onnx is None}
    assert formless == WITHOUT_ONNX_FORM
    untested = [name for name in set(table) - formless
                if not any(case == name or case.startswith(name + "_") for case in GATE_CASES)]
    assert not untested, f"gates with an ONNX form but no case in GATE_CASES: {untested}"


@pytest.mark.parametrize("case", GATE_CASES)
def test_a_gate_runs_in_onnxruntime_as_in_circuitgrad(case, tmp_path):
    fn, make = GATE_CASES[case]
    path = tmp_path / f"{case}.onnx"
    nn.onnx.export(fn, make(2), path, dynamic_batch=case not in FIXED_BATCH)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    for n in (2,) if case in FIXED_BATCH else (2, 3):   # the traced batch size, and another
        inputs = make(n)
        for got, want in zip(run_onnxruntime(path, inputs), forward(fn, inputs)):
            assert_close(got, want, f"{case}, batch {n}")


@pytest.mark.parametrize("case", GATE_CASES)
def test_a_gate_imported_back_gives_the_same_outputs_and_gradients(case, tmp_path):
    fn, make = GATE_CASES[case]
    inputs = make(2)
    nn.onnx.export(fn, inputs, tmp_path / "gate.onnx", dynamic_batch=case not in FIXED_BATCH)
    back = nn.onnx.load(tmp_path / "gate.onnx")
    (out, grads, _), (out_back, grads_back, _) = gradients(fn, inputs), gradients(back, inputs)
    assert_close(out_back, out, case)
    if case == "guided_relu":           # its ONNX form is ReLU: guided backprop's gradient is not ReLU's
        grads = gradients(lambda x: x.relu(), inputs)[1]
    for g, g_back in zip(grads, grads_back):
        assert_close(g_back, g, case)


# ---------------------------------------------------------------- every model of the zoo and the command line
SHAPE = (1, 12, 12)
MODELS = {**{name: (lambda f=f: f(SHAPE, 5)) for name, f in classifiers.MODELS.items()},
          "convnet_batchnorm": lambda: classifiers.convnet(SHAPE, 5, batchnorm=True),
          "mlp_features": lambda: classifiers.mlp((6,), 3, hidden=7)}


def trained_a_little(model, shape):
    """A model whose BatchNorm statistics are not the initial ones (two training steps' worth)."""
    autograd.manual_seed(0)
    with autograd.no_grad():
        model.train()
        for _ in range(2):
            model(normal(4, *shape))
    return model


@pytest.mark.parametrize("name", MODELS)
def test_a_model_runs_in_onnxruntime_as_in_circuitgrad_and_comes_back(name, tmp_path):
    shape = (6,) if name == "mlp_features" else SHAPE
    model = trained_a_little(MODELS[name](), shape)
    path = tmp_path / "model.onnx"
    nn.onnx.export(model, normal(2, *shape), path)
    assert model.training, "export traces in eval mode and leaves the model as it was"
    exported = onnx.load(str(path))
    onnx.checker.check_model(exported, full_check=True)
    assert {t.name for t in exported.graph.initializer} == \
        {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    model.eval()
    for n in (2, 5):
        x = normal(n, *shape)
        assert_close(run_onnxruntime(path, [x])[0], forward(model, [x])[0], f"{name}, batch {n}")
    back = nn.onnx.load(path).eval()
    x = normal(3, *shape)
    (out, (dx,), params), (out_back, (dx_back,), params_back) = gradients(model, [x]), gradients(back, [x])
    assert_close(out_back, out)
    assert_close(dx_back, dx)
    assert set(params_back) == set(params)
    for k in params:
        assert_close(params_back[k], params[k], k)


def test_an_imported_model_takes_the_exported_models_state_dict_and_trains(tmp_path):
    model = classifiers.convnet(SHAPE, 5, batchnorm=True)
    nn.onnx.export(model, normal(2, *SHAPE), tmp_path / "m.onnx")
    back = nn.onnx.load(tmp_path / "m.onnx").eval()
    trained_a_little(model, SHAPE).eval()               # the original moves on ...
    back.load_state_dict(model.state_dict(), strict=False)   # ... and the copy follows (no num_batches_tracked)
    x = normal(2, *SHAPE)
    assert_close(forward(back, [x])[0], forward(model, [x])[0])
    before = forward(back, [x])[0]
    loss = F.cross_entropy(back(x), np.array([1, 2]))
    loss.backward()
    for p in back.parameters():
        p.data -= 0.1 * p.grad
    assert F.cross_entropy(back(x), np.array([1, 2])).item() < loss.item()
    assert not np.allclose(forward(back, [x])[0], before)
    assert "conv2d" in autograd.draw_text(back(x).sum())      # a circuit of circuitgrad's gates


def test_names_given_to_the_graph(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    proto = nn.onnx.export(model, normal(4, 3), tmp_path / "m.onnx", input_names=["features"],
                           output_names=["scores"])
    assert [i.name for i in proto.graph.input] == ["features"] and [o.name for o in proto.graph.output] == ["scores"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert [d.dim_param or d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim] == ["batch", 2]
    sequences = nn.onnx.export(lambda x: gates.lstm(x, np.zeros((len(x), 5), np.float32), np.zeros((len(x), 5),
                                                    np.float32), W_IH, W_HH, None, None, True),
                               normal(2, 4, 3), tmp_path / "m.onnx")              # (h, c) stacked: (2, batch, 4, 5)
    assert [d.dim_param or d.dim_value for d in sequences.graph.output[0].type.tensor_type.shape.dim] == \
        [2, "batch", 4, 5]
    fixed = nn.onnx.export(model, normal(4, 3), tmp_path / "m.onnx", dynamic_batch=False)
    assert fixed.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4
    with pytest.raises(ValueError, match="output_names needs 1 different names"):
        nn.onnx.export(model, normal(4, 3), tmp_path / "m.onnx", output_names=["a", "b"])
    with pytest.raises(ValueError, match="opset must be an int >= 18"):
        nn.onnx.export(model, normal(4, 3), tmp_path / "m.onnx", opset=13)
    newer = nn.onnx.export(model, normal(4, 3), tmp_path / "m.onnx", opset=21)
    assert newer.opset_import[0].version == 21 and len(run_onnxruntime(tmp_path / "m.onnx", [normal(2, 3)])) == 1


def test_an_identity_model_and_two_outputs(tmp_path):
    fn = lambda x: (x, x.relu())                                 # noqa: E731
    nn.onnx.export(fn, normal(2, 3), tmp_path / "m.onnx")
    x = normal(4, 3)
    got = run_onnxruntime(tmp_path / "m.onnx", [x])
    assert_close(got[0], x) and assert_close(got[1], np.maximum(x, 0))
    back = nn.onnx.load(tmp_path / "m.onnx")
    assert_close(back(x)[1].data, np.maximum(x, 0))


# ---------------------------------------------------------------- errors
def test_a_gate_without_an_onnx_form_is_named_with_its_layer():
    cube = Gate("cube", lambda x: x ** 3, lambda g, out, x: 3 * g * x * x)

    class Cubic(nn.Module):
        def forward(self, x):
            return cube(x)

    model = nn.Sequential(nn.Linear(2, 2), Cubic())
    with pytest.raises(nn.onnx.ExportError, match=r"'cube' gate \(in Sequential/Cubic\) has no ONNX form"):
        nn.onnx.export(model, normal(1, 2), "unused.onnx")


def test_batch_statistics_have_no_inference_form(tmp_path):
    model = nn.Sequential(nn.BatchNorm1d(3, track_running_stats=False))
    with pytest.raises(nn.onnx.ExportError, match=r"'batch_norm' gate \(in Sequential/BatchNorm1d\).*eval mode"):
        nn.onnx.export(model, normal(4, 3), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def unsupported_model(path):
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["h"], name="first"),
                               helper.make_node("Hardmax", ["h"], ["y"], name="the_hardmax")], "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))


def test_an_unsupported_operator_is_named_with_its_node(tmp_path):
    unsupported_model(tmp_path / "m.onnx")
    with pytest.raises(nn.onnx.UnsupportedOperator, match=r"operator Hardmax of node 'the_hardmax' is not supported"):
        nn.onnx.load(tmp_path / "m.onnx")


def test_an_unsupported_attribute_is_named_with_its_node(tmp_path):
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    onnx.save(helper.make_model(helper.make_graph([node], "g", [x], [y]),
                                opset_imports=[helper.make_opsetid("", 18)]), str(tmp_path / "m.onnx"))
    model = nn.onnx.load(tmp_path / "m.onnx")
    with pytest.raises(nn.onnx.UnsupportedOperator, match="node 'pool' .MaxPool.: ceil_mode=1"):
        model(normal(1, 1, 4, 4))


def test_the_library_imports_without_onnx_and_says_how_to_install_it():
    code = ("import sys; sys.modules['onnx'] = None; sys.modules['onnxruntime'] = None\n"
            "import autograd, nn, optim, circuitgrad.cli\n"
            "try:\n    nn.onnx.export(nn.Linear(2, 2), [[1.0, 2.0]], 'x.onnx')\n"
            "except ImportError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pip install 'circuitgrad[export]'" in done.stdout


def test_autograd_knows_nothing_of_onnx():
    done = subprocess.run([sys.executable, "-c", "import autograd, sys; print(sorted(m for m in sys.modules "
                           "if m.split('.')[0] in ('onnx', 'nn', 'onnxruntime')))"], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


# ---------------------------------------------------------------- the sequence layers
class Tagger(nn.Module):
    """Embedding, LayerNorm, a (fused) LSTM, attention and a linear head: tokens -> scores per token."""

    def __init__(self, fused=True):
        super().__init__()
        self.embed = nn.Embedding(7, 4)
        self.norm = nn.LayerNorm(4)
        self.lstm = nn.LSTM(4, 5, num_layers=2, batch_first=True, fused=fused)
        self.attention = nn.MultiheadAttention(5, 1, batch_first=True)
        self.head = nn.Linear(5, 3)

    def forward(self, tokens):
        h, _ = self.lstm(self.norm(self.embed(tokens)))
        a, _ = self.attention(h, h, h, need_weights=False)
        return self.head(a)


SEQUENCE_MODELS = {   # name -> (model, inputs for batch size n, dynamic batch)
    "tagger_fused_lstm": (lambda: Tagger(), lambda n: (rng.integers(0, 7, (n, 6)),), True),
    "tagger_composed_lstm": (lambda: Tagger(fused=False), lambda n: (rng.integers(0, 7, (n, 6)),), True),
    "gru": (lambda: nn.GRU(3, 4, num_layers=2, batch_first=True), lambda n: (normal(n, 5, 3),), True),
    "gru_composed": (lambda: nn.GRU(3, 4, batch_first=True, fused=False), lambda n: (normal(n, 5, 3),), True),
    "rnn_relu": (lambda: nn.RNN(3, 4, nonlinearity="relu", batch_first=True), lambda n: (normal(n, 5, 3),), True),
    "rnn_composed": (lambda: nn.RNN(3, 4, num_layers=2, batch_first=True, fused=False),
                     lambda n: (normal(n, 5, 3),), True),
    "lstm_time_major": (lambda: nn.LSTM(3, 4), lambda n: (normal(5, n, 3),), False),
    "cells": (lambda: nn.Sequential(nn.LSTMCell(3, 4)), lambda n: (normal(n, 3),), True),
}


@pytest.mark.parametrize("name", SEQUENCE_MODELS)
def test_a_sequence_model_runs_in_onnxruntime_and_comes_back(name, tmp_path):
    make_model, make, dynamic = SEQUENCE_MODELS[name]
    autograd.manual_seed(0)
    model = make_model().eval()
    path = tmp_path / "model.onnx"
    nn.onnx.export(model, make(2), path, dynamic_batch=dynamic)
    exported = onnx.load(str(path))
    onnx.checker.check_model(exported, full_check=True)
    assert {t.name for t in exported.graph.initializer} == set(model.state_dict())
    for n in (2, 3) if dynamic else (2,):
        inputs = make(n)
        for got, want in zip(run_onnxruntime(path, inputs), forward(model, inputs)):
            assert_close(got, want, f"{name}, batch {n}")
    inputs = make(2)
    (out, grads, params), (out_back, grads_back, params_back) = (gradients(m, inputs)
                                                                  for m in (model, nn.onnx.load(path)))
    assert_close(out_back, out)
    for g, g_back in zip(grads, grads_back):
        assert_close(g_back, g)
    assert set(params_back) == set(params)
    for k in params:
        assert_close(params_back[k], params[k], k)


def test_the_batch_must_be_the_first_axis(tmp_path):
    with pytest.raises(nn.onnx.ExportError, match=r"'rnn' gate \(in RNN\).*time axis cannot be the batch"):
        nn.onnx.export(nn.RNN(3, 4), normal(5, 2, 3), tmp_path / "m.onnx")           # time-major, fused
    with pytest.raises(nn.onnx.ExportError, match="changes with the size of the inputs' first axis .5.*time-major"):
        nn.onnx.export(nn.RNN(3, 4, fused=False), normal(5, 2, 3), tmp_path / "m.onnx")
    nn.onnx.export(nn.RNN(3, 4), normal(5, 2, 3), tmp_path / "m.onnx", dynamic_batch=False)
    with pytest.raises(nn.onnx.ExportError, match="on 3 examples it fails .*dynamic_batch=False"):
        nn.onnx.export(lambda x: x + np.ones((2, 3), np.float32), normal(2, 3), tmp_path / "m.onnx")


def test_an_output_circuitgrad_does_not_compute_is_an_error_only_when_used(tmp_path):
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    for uses_mask in (False, True):
        nodes = [helper.make_node("Dropout", ["x"], ["h", "mask"], name="drop"),
                 helper.make_node("Cast", ["mask"], ["m"], to=TensorProto.FLOAT, name="cast") if uses_mask else
                 helper.make_node("Identity", ["h"], ["m"]),
                 helper.make_node("Add", ["h", "m"], ["y"])]
        onnx.save(helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                                    opset_imports=[helper.make_opsetid("", 18)]), str(tmp_path / "m.onnx"))
        model, data = nn.onnx.load(tmp_path / "m.onnx"), normal(2, 3)
        if uses_mask:
            with pytest.raises(nn.onnx.UnsupportedOperator, match="node 'drop' .Dropout.: only its first output"):
                model(data)
        else:
            assert_close(np.asarray(model(data)), 2 * data)


def test_the_notes_scalar_circuit_goes_to_onnx_and_back(tmp_path):
    """(x + y)·z at x = -2, y = 5, z = -4: f = -12, df/dx = df/dy = z = -4, df/dz = x + y = 3 (the notes' values)."""
    nn.onnx.export(lambda x, y, z: (x + y) * z, (-2.0, 5.0, -4.0), tmp_path / "f.onnx")
    assert run_onnxruntime(tmp_path / "f.onnx", [np.array(-2.0), np.array(5.0), np.array(-4.0)])[0] == -12.0
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    f = nn.onnx.load(tmp_path / "f.onnx")(x, y, z)
    f.backward()
    assert (f.item(), x.grad, y.grad, z.grad) == (-12.0, -4.0, -4.0, 3.0)


def test_traced_on_one_example_it_runs_on_any_batch(tmp_path):
    model = classifiers.resnet(SHAPE, 3).eval()
    nn.onnx.export(model, normal(1, *SHAPE), tmp_path / "m.onnx")
    for n in (1, 4):
        x = normal(n, *SHAPE)
        assert_close(run_onnxruntime(tmp_path / "m.onnx", [x])[0], forward(model, [x])[0], f"batch {n}")
