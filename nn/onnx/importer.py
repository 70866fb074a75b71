"""Import: an ONNX graph run by circuitgrad's gates, as a Module.

`load(path)` reads the graph into plain data (nodes, attributes, arrays); the
onnx package is needed only for that. The ONNXModule's forward walks the nodes
in order and computes each with the gates of the engine and of nn (one
function per operator in OPERATORS, below), so the result is an ordinary
circuit: it can be drawn, differentiated and trained. Initializers become
Parameters named after them (so state_dict and load_state_dict work, and an
exported model's names are its own again); those that only feed a slot
without a gradient (BatchNormalization's statistics) become buffers; integer
initializers and Constant nodes stay constants. Shapes, axes and indices are
plain numpy arrays (a gate given no Value only computes), so dynamic shapes
work too.
"""
import math

import numpy as np

import autograd
from autograd import Value
from autograd import gates as G

from .. import functional as F
from .. import gates as NG
from ..module import Module, Parameter
from .exporter import require_onnx


class UnsupportedOperator(ValueError):
    """An ONNX node that circuitgrad cannot run: its operator, or one of its
    attributes, has no circuitgrad form. The message names the operator and the node."""


# ---------------------------------------------------------------- the module
class ONNXModule(Module):
    """A Module whose forward runs an ONNX graph with circuitgrad's gates:
    `ONNXModule(model_proto)` (`nn.onnx.load(path)` reads one from a file).

    Calling it takes the graph's inputs in order (arrays or Values; integer
    arrays for indices) and returns its output, or a tuple of outputs."""

    def __init__(self, model):
        super().__init__()
        onnx = require_onnx()
        from onnx import numpy_helper
        graph = model.graph
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.nodes = []                  # (op_type, node name, input names, output names, attributes)
        for i, n in enumerate(graph.node):
            name = n.name or f"#{i}"
            if n.domain not in ("", "ai.onnx") or n.op_type not in OPERATORS:
                raise UnsupportedOperator(
                    f"nn.onnx.load: the operator {n.op_type}{f' (domain {n.domain})' if n.domain else ''} of node "
                    f"{name!r} is not supported (supported: {', '.join(sorted(OPERATORS))})")
            attributes = {a.name: _attribute(onnx, a) for a in n.attribute}
            self.nodes.append((n.op_type, name, list(n.input), list(n.output), attributes))
        if opset < 13 and any(op in ("Softmax", "LogSoftmax", "ReduceSum", "Squeeze", "Unsqueeze")
                              for op, *_ in self.nodes):
            raise UnsupportedOperator(f"nn.onnx.load: opset {opset} models (before 13) are not supported")
        self.opset = opset
        self.initializer_names = [t.name for t in graph.initializer]
        initializers = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in initializers]
        self.output_names = [o.name for o in graph.output]
        self.used = set(self.output_names).union(*(inputs for _, _, inputs, _, _ in self.nodes))
        self.constants = {}              # name -> array: integer initializers
        statistics = {n[2][k] for n in self.nodes if n[0] == "BatchNormalization" for k in (3, 4) if len(n[2]) > k}
        for name, array in initializers.items():
            if hasattr(self, name) or not name:
                raise ValueError(f"nn.onnx.load: the initializer name {name!r} is taken by the Module itself")
            if array.dtype.kind != "f":
                self.constants[name] = array
            elif name in statistics:
                self.register_buffer(name, array.copy())
            else:
                setattr(self, name, Parameter(array.copy()))
                getattr(self, name).label = name           # drawings name the wire after the initializer

    def forward(self, *inputs):
        """Run the graph's nodes in order on the inputs; returns the output(s)."""
        if len(inputs) != len(self.input_names):
            raise TypeError(f"ONNXModule: the graph takes {len(self.input_names)} inputs "
                            f"({', '.join(self.input_names)}), got {len(inputs)}")
        values = dict(self.constants)
        values.update((name, getattr(self, name)) for name in self.initializer_names if name not in self.constants)
        values.update(zip(self.input_names, inputs))
        for op_type, name, input_names, output_names, attributes in self.nodes:
            args = [values[i] if i else None for i in input_names]
            try:
                out = OPERATORS[op_type](attributes, *args)
            except UnsupportedOperator as e:
                raise UnsupportedOperator(f"nn.onnx: node {name!r} ({op_type}): {e}") from None
            outs = out if isinstance(out, tuple) else (out,)
            if any(n in self.used for n in output_names[len(outs):]):
                raise UnsupportedOperator(f"nn.onnx: node {name!r} ({op_type}): only its first output is computed, "
                                          f"not {', '.join(output_names[len(outs):])}")
            values.update(zip(output_names, outs))
        outputs = tuple(values[n] for n in self.output_names)
        return outputs[0] if len(outputs) == 1 else outputs

    def extra_repr(self):
        """How many nodes of each operator the graph has."""
        ops = {}
        for op_type, *_ in self.nodes:
            ops[op_type] = ops.get(op_type, 0) + 1
        return f"{len(self.nodes)} nodes: " + ", ".join(f"{op} x{k}" if k > 1 else op for op, k in ops.items())


def load(path):
    """The ONNX model in the file `path` as an ONNXModule (a circuitgrad Module).
    An operator circuitgrad cannot run is an UnsupportedOperator error naming it and its node."""
    onnx = require_onnx()
    try:
        model = onnx.load(str(path))
    except OSError:
        raise
    except Exception as e:
        raise ValueError(f"nn.onnx.load: {path} is not an ONNX model ({' '.join(str(e).split())[:200]})") from None
    return ONNXModule(model)


def _attribute(onnx, a):
    from onnx import helper, numpy_helper
    value = helper.get_attribute_value(a)
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode() for v in value]
    return value


# ---------------------------------------------------------------- helpers
def _shape(x):
    return np.shape(x.data if isinstance(x, Value) else x)


def _ints(x):
    """A tensor of integers (a shape, axes) as a tuple of Python ints."""
    return tuple(int(v) for v in np.asarray(autograd.raw(x)).reshape(-1))


def _unsupported(what):
    raise UnsupportedOperator(what)


def _pads(attributes, kernel, input_hw, stride, dilation):
    """ONNX pads (top, left, bottom, right), or auto_pad, as circuitgrad's (top, bottom, left, right)."""
    auto = attributes.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", "VALID"):
        t, l, b, r = attributes.get("pads", (0, 0, 0, 0)) if auto == "NOTSET" else (0, 0, 0, 0)
        return (t, b, l, r)
    pads = []
    for n, k, s, d in zip(input_hw, kernel, stride, dilation):
        total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((total // 2, total - total // 2) if auto == "SAME_UPPER" else (total - total // 2, total // 2))
    return pads[0] + pads[1]


def _window(attributes, x, kernel=None):
    if len(_shape(x)) != 4:
        _unsupported(f"only 2-D images (N, C, H, W) are supported, got shape {_shape(x)}")
    if attributes.get("ceil_mode", 0):
        _unsupported("ceil_mode=1 is not supported")
    kernel = tuple(kernel or attributes["kernel_shape"])
    stride = tuple(attributes.get("strides", (1, 1)))
    dilation = tuple(attributes.get("dilations", (1, 1)))
    return kernel, stride, _pads(attributes, kernel, _shape(x)[2:], stride, dilation), dilation


def _axes(attributes, axes_input, ndim):
    axes = attributes.get("axes") if axes_input is None else _ints(axes_input)
    return None if axes is None or len(axes) == 0 else tuple(sorted(a % ndim for a in axes))


# ---------------------------------------------------------------- the operators
def _conv(a, x, w, b=None):
    kernel, stride, pad, dilation = _window(a, x, _shape(w)[2:])
    groups = a.get("group", 1)
    if groups > 1:
        w = F._block_diagonal(w, groups)
    return NG.conv2d(x, w, b, stride, pad, dilation)


def _conv_transpose(a, x, w, b=None):
    kernel, stride, pad, dilation = _window(a, x, _shape(w)[2:])
    if a.get("group", 1) != 1 or "output_shape" in a or a.get("auto_pad", "NOTSET") != "NOTSET":
        _unsupported("only group=1, explicit pads and no output_shape are supported")
    extra = a.get("output_padding", (0, 0))
    out_hw = tuple((n - 1) * s - p0 - p1 + d * (k - 1) + e + 1 for n, s, p0, p1, d, k, e in
                   zip(_shape(x)[2:], stride, pad[0::2], pad[1::2], dilation, kernel, extra))
    return NG.conv_transpose2d(x, w, b, stride, pad, dilation, out_hw)


def _max_pool(a, x):
    return NG.max_pool2d(x, *_window(a, x))


def _average_pool(a, x):
    kernel, stride, pad, dilation = _window(a, x)
    if dilation != (1, 1):
        _unsupported("dilated average pooling is not supported")
    return NG.avg_pool2d(x, kernel, stride, pad, bool(a.get("count_include_pad", 0)))


def _batch_norm(a, x, scale, bias, mean, var):
    if a.get("training_mode", 0):
        _unsupported("training_mode=1 is not supported (import runs the inference form)")
    return NG.batch_norm(x, scale, bias, autograd.raw(mean), autograd.raw(var), a.get("epsilon", 1e-5), False)


def _gemm(a, x, w, c=None):
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    if a.get("transB", 0) and not a.get("transA", 0) and alpha == beta == 1 and (c is None or len(_shape(c)) == 1):
        return NG.linear(x, w, c)                        # x @ Wᵀ + b: circuitgrad's linear gate
    x = G.transpose(x, None) if a.get("transA", 0) else x
    w = G.transpose(w, None) if a.get("transB", 0) else w
    out = G.matmul(x, w)
    out = out if alpha == 1 else out * alpha
    return out if c is None else out + (c if beta == 1 else c * beta)


def _prelu(a, x, slope):
    slope = slope if len(_shape(slope)) == 1 else G.reshape(slope, (-1,))
    if len(_shape(x)) < 2 or _shape(slope)[0] not in (1, _shape(x)[1]):
        _unsupported(f"slopes {_shape(slope)} for input {_shape(x)}: one slope, or one per channel (axis 1)")
    return NG.prelu(x, slope)


def _reshape(a, x, shape):
    shape = list(_ints(shape))
    if not a.get("allowzero", 0):
        shape = [_shape(x)[i] if n == 0 else n for i, n in enumerate(shape)]
    return G.reshape(x, tuple(shape))


def _flatten(a, x):
    shape = _shape(x)
    axis = a.get("axis", 1) % (len(shape) + 1) if shape else 0
    return G.reshape(x, (int(np.prod(shape[:axis])), -1))


def _reduce(gate):
    def reduce(a, x, axes=None):
        axes = _axes(a, axes, len(_shape(x)))
        if axes is None and a.get("noop_with_empty_axes", 0):
            return x
        return gate(x, axes, bool(a.get("keepdims", 1)))
    return reduce


def _gather(a, x, indices):
    axis = a.get("axis", 0) % len(_shape(x))
    indices = np.asarray(autograd.raw(indices)).astype(np.int64)
    indices = np.where(indices < 0, indices + _shape(x)[axis], indices)
    if axis == 0 and len(_shape(x)) == 2 and indices.ndim:
        return NG.embedding(x, indices, None)            # a lookup table: nn's embedding gate
    index = (slice(None),) * axis + (int(indices) if indices.ndim == 0 else indices,)
    return G.getitem(x, index)


def _resize(a, x, roi=None, scales=None, sizes=None):
    shape, axes = _shape(x), tuple(a.get("axes", range(len(_shape(x)))))
    if sizes is not None:
        out = dict(zip(axes, _ints(sizes)))
        factors = {k: None for k in out}
    else:
        factors = dict(zip(axes, np.asarray(autograd.raw(scales), np.float64).reshape(-1)))
        out = {k: int(math.floor(shape[k] * s)) for k, s in factors.items()}
    if any(out.get(k, shape[k]) != shape[k] for k in (0, 1)) or len(shape) != 4:
        _unsupported(f"only the H and W axes of an image (N, C, H, W) are resized here, not {shape} -> {out}")
    mode, transform = a.get("mode", "nearest"), a.get("coordinate_transformation_mode", "half_pixel")
    size_out = (out.get(2, shape[2]), out.get(3, shape[3]))
    if mode == "nearest" and transform == "asymmetric" and a.get("nearest_mode", "round_prefer_floor") == "floor":
        gate = NG.upsample_nearest2d
        matrices = [NG.resample.nearest_matrix(shape[2 + i], size_out[i], factors.get(2 + i)) for i in (0, 1)]
    elif mode == "linear" and transform in ("half_pixel", "pytorch_half_pixel", "align_corners"):
        gate = NG.upsample_bilinear2d
        matrices = [NG.resample.linear_matrix(shape[2 + i], size_out[i], factors.get(2 + i),
                                              transform == "align_corners") for i in (0, 1)]
    else:
        _unsupported(f"mode={mode!r} with coordinate_transformation_mode={transform!r} is not supported "
                     f"(nearest asymmetric floor; linear half_pixel, pytorch_half_pixel or align_corners)")
    return gate(x, *F._in_dtype_of(x, *matrices))


def _layer_norm(a, x, scale, bias=None):
    ndim = len(_shape(x))
    k = ndim - a.get("axis", -1) % ndim
    if _shape(scale) != _shape(x)[ndim - k:] or (bias is not None and _shape(bias) != _shape(scale)):
        _unsupported(f"scale {_shape(scale)} and bias must have the normalised shape {_shape(x)[ndim - k:]}")
    return NG.layer_norm(x, scale, bias, k, a.get("epsilon", 1e-5))


def _cross_entropy(a, scores, labels, weights=None):
    if weights is not None or "ignore_index" in a:
        _unsupported("class weights and ignore_index are not supported")
    return F.cross_entropy(scores, np.asarray(autograd.raw(labels)), reduction=a.get("reduction", "mean"))


def _slice(a, x, starts, ends, axes=None, steps=None):
    shape = _shape(x)
    axes = _ints(axes) if axes is not None else tuple(range(len(_ints(starts))))
    steps = _ints(steps) if steps is not None else (1,) * len(axes)
    index = [slice(None)] * len(shape)
    for axis, start, end, step in zip(axes, _ints(starts), _ints(ends), steps):
        end = None if step < 0 and end < -shape[axis] else end
        index[axis % len(shape)] = slice(start, end, step)
    return G.getitem(x, tuple(index))


def _unsqueeze(a, x, axes=None):
    shape = list(_shape(x))
    for axis in sorted(k % (len(shape) + len(_ints(axes) if axes is not None else a["axes"]))
                       for k in (_ints(axes) if axes is not None else a["axes"])):
        shape.insert(axis, 1)
    return G.reshape(x, tuple(shape))


def _squeeze(a, x, axes=None):
    shape = _shape(x)
    axes = _ints(axes) if axes is not None else a.get("axes")
    drop = {k % len(shape) for k in axes} if axes else {k for k, n in enumerate(shape) if n == 1}
    return G.reshape(x, tuple(n for k, n in enumerate(shape) if k not in drop))


def _div(a, x, y):
    if not isinstance(x, Value) and not isinstance(y, Value) and np.asarray(x).dtype.kind in "iu":
        return np.trunc(np.divide(x, y)).astype(np.asarray(x).dtype)     # integer division (shapes)
    return G.div(x, y)


def _cast(a, x):
    to = a["to"]
    onnx = require_onnx()
    dtype = onnx.helper.tensor_dtype_to_np_dtype(to)
    if isinstance(x, Value):
        if dtype.kind != "f":
            _unsupported(f"casting a float tensor to {dtype} cuts the circuit")
        return x
    return np.asarray(x).astype(dtype)


def _constant(a):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in a:
            value = np.asarray(a[key])
            return value.astype(np.float32) if key.startswith("value_float") else value.astype(np.int64) \
                if key.startswith("value_int") else value
    _unsupported(f"a Constant given as {', '.join(a)} is not supported")


def _variadic(gate):
    def fold(a, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = gate(out, x)
        return out
    return fold


def _split(a, x, split=None):
    axis = a.get("axis", 0) % len(_shape(x))
    if split is not None:
        sizes = _ints(split)
    else:
        n, parts = _shape(x)[axis], a.get("num_outputs")
        if parts is None:
            _unsupported("a Split needs its sizes or num_outputs")
        sizes = [-(-n // parts)] * (parts - 1) + [n - -(-n // parts) * (parts - 1)]
    starts = np.cumsum([0] + list(sizes))
    return tuple(G.getitem(x, (slice(None),) * axis + (slice(int(s), int(e)),)) for s, e in zip(starts, starts[1:]))


def _constant_of_shape(a, shape):
    value = a.get("value", np.zeros(1, np.float32))
    return np.full(_ints(shape), value.reshape(-1)[0], value.dtype)


def _shape_op(a, x):
    shape = np.array(_shape(x), np.int64)
    return shape[a.get("start", 0):a.get("end", len(shape))]


def _softmax(gate):
    return lambda a, x: gate(x, a.get("axis", -1) % len(_shape(x)))


OPERATORS = {
    # arithmetic and elementwise functions: the engine's gates
    "Add": lambda a, x, y: G.add(x, y), "Sub": lambda a, x, y: G.sub(x, y), "Mul": lambda a, x, y: G.mul(x, y),
    "Div": _div, "Pow": lambda a, x, y: G.power(x, y), "Neg": lambda a, x: G.neg(x),
    "Exp": lambda a, x: G.exp(x), "Log": lambda a, x: G.log(x), "Sqrt": lambda a, x: G.sqrt(x),
    "Abs": lambda a, x: G.absolute(x), "Relu": lambda a, x: G.relu(x), "Sigmoid": lambda a, x: G.sigmoid(x),
    "Tanh": lambda a, x: G.tanh(x), "LeakyRelu": lambda a, x: G.leaky_relu(x, a.get("alpha", 0.01)),
    "Elu": lambda a, x: G.elu(x, a.get("alpha", 1.0)), "PRelu": _prelu,
    "Max": _variadic(G.maximum), "Min": _variadic(G.minimum),
    "Clip": lambda a, x, lo=None, hi=None: G.clip(x, None if lo is None else float(autograd.raw(lo)),
                                                  None if hi is None else float(autograd.raw(hi))),
    "Where": lambda a, cond, x, y: G.where(np.asarray(autograd.raw(cond), bool), x, y),
    "Softmax": _softmax(NG.softmax), "LogSoftmax": _softmax(NG.log_softmax),
    # linear algebra, convolution, pooling, normalisation, resampling: nn's fused gates
    "MatMul": lambda a, x, y: G.matmul(x, y), "Gemm": _gemm, "Conv": _conv, "ConvTranspose": _conv_transpose,
    "MaxPool": _max_pool, "AveragePool": _average_pool,
    "GlobalAveragePool": lambda a, x: F.adaptive_avg_pool2d(x, 1), "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm, "Resize": _resize, "SoftmaxCrossEntropyLoss": _cross_entropy,
    # reductions
    "ReduceSum": _reduce(G.reduce_sum), "ReduceMean": _reduce(G.reduce_mean), "ReduceMax": _reduce(G.reduce_max),
    "ReduceMin": _reduce(G.reduce_min), "ReduceLogSumExp": _reduce(G.logsumexp),
    # shapes and indexing
    "Reshape": _reshape, "Flatten": _flatten, "Transpose": lambda a, x: G.transpose(x, tuple(a["perm"]) if "perm"
                                                                                    in a else None),
    "Concat": lambda a, *xs: autograd.concatenate(xs, a["axis"] % len(_shape(xs[0]))), "Gather": _gather,
    "Slice": _slice, "Unsqueeze": _unsqueeze, "Squeeze": _squeeze,
    "Expand": lambda a, x, shape: G.broadcast_to(x, np.broadcast_shapes(_shape(x), _ints(shape))),
    "Shape": _shape_op, "Cast": _cast, "Constant": _constant, "ConstantOfShape": _constant_of_shape,
    "Split": _split,
    "Identity": lambda a, x: x, "Dropout": lambda a, x, *rest: x,
}
"""ONNX operator -> the function computing it with circuitgrad's gates: f(attributes, *inputs)."""
