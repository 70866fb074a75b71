"""Export: trace one forward pass, then write every gate as its ONNX form.

1. Trace. The model runs once, in eval mode, on Values made of the example
   inputs: every gate it calls records itself in the graph, as for backward.
2. Walk the graph from the outputs. Nodes sorted by depth are in topological
   order (a gate's output is deeper than each of its inputs). Leaves become
   the graph's inputs (the example inputs), initializers named by their
   state_dict names (Parameters; a function's leaves by their label), or
   constants.
3. Each gate's `onnx` form (declared beside its forward and local gradients)
   is called with a `NodeBuilder` and its inputs: tensor names where the gate
   has a local gradient, plain data for its parameters. It records ONNX node
   specs as plain data: (op_type, inputs, outputs, attributes).
4. Only here is onnx imported: the specs become protos, the model is checked
   with `onnx.checker.check_model(full_check=True)` and written atomically.
"""
import numpy as np

from autograd import Value, enable_grad
from autograd.storage import atomic_write

from ..module import Module

INSTALL = "pip install 'circuitgrad[export]'"
BATCH = "batch"          # the name of the symbolic batch dimension


class ExportError(ValueError):
    """A circuit that cannot be written as ONNX: a gate without an ONNX form
    (named, with the layer scope it ran in), or a form that does not apply."""


def require_onnx():
    """The onnx package, or an ImportError saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise ImportError(f"ONNX export and import need the onnx and onnxruntime packages: {INSTALL}") from None
    return onnx


# ---------------------------------------------------------------- the node builder
class NodeBuilder:
    """What a gate's ONNX form writes with: `node(op_type, *inputs, **attributes)`
    adds an ONNX node and returns its output's name (a list of names with
    `outputs=n`). Inputs are tensor names; None is an omitted optional input.
    `constant`, `axes`, `reshape` and `getitem` help with what most forms need."""

    def __init__(self, float_dtype=np.float32, batch=None, named_arrays=None):
        self.specs = []            # one dict per ONNX node: op_type, inputs, outputs, attributes, name
        self.initializers = {}     # name -> array
        self.shapes = {}           # tensor name -> traced shape
        self.float_dtype = np.dtype(float_dtype)   # Python numbers in a form become this
        self.batch = batch         # the traced batch size when the batch is symbolic, else None
        self.scope = "graph"       # the layer scope of the gate being written (node names, errors)
        self.gate = None
        self._named_arrays = named_arrays or {}     # id(array) -> name: a model's buffers keep their names
        self.integer_inputs = {}   # id(array) -> name: integer inputs (indices) reach the gates as arrays
        self.zeros_of_the_batch = {}   # id(array) -> the axis of the batch, for zeros made to its size
        self.batch_input = None
        self.batch_axes = None     # for each output, the axes that grow with the batch
        self.grown = {}            # tensor name -> the axes that grow with the batch (see `batch_axes_of`)
        self.values = {}           # name -> array, for the constants written so far (see `value`)
        self._constants = {}
        self._count = 0

    def __call__(self, op_type, *inputs, outputs=1, **attributes):
        inputs = ["" if name is None else name for name in inputs]
        while inputs and inputs[-1] == "":
            inputs.pop()                                   # omitted optional inputs at the end
        self._count += 1
        names = [f"{op_type}_{self._count}" + (f"_{i}" if outputs > 1 else "") for i in range(outputs)]
        node_name = f"{self.scope}/{self.gate}/{op_type}_{self._count}" if self.gate else f"{op_type}_{self._count}"
        self.specs.append({"op_type": op_type, "inputs": inputs, "outputs": names, "name": node_name,
                           "attributes": {k: _attribute(v) for k, v in attributes.items() if v is not None}})
        return names[0] if outputs == 1 else names

    def constant(self, data, name=None):
        """The name of a constant tensor holding data (None -> None: an omitted input).
        Python numbers and float arrays take the graph's float type; integers become int64;
        a model's buffers keep their state_dict names."""
        if data is None:
            return None
        if id(data) in self.integer_inputs:
            return self.integer_inputs[id(data)]
        if id(data) in self.zeros_of_the_batch:                 # zeros as many as the batch, made in the graph
            axis, shape = self.zeros_of_the_batch[id(data)], list(np.shape(data))
            size = self("Concat", self.ints(shape[:axis]), self("Gather", self("Shape", self.batch_input),
                                                                self.ints([0])), self.ints(shape[axis + 1:]), axis=0)
            out = self("ConstantOfShape", size, value=np.zeros(1, np.asarray(data).dtype))
            self.shapes[out] = np.shape(data)
            return out
        if id(data) in self._named_arrays and name is None:
            name = self._named_arrays[id(data)]
            if name in self.initializers:
                return name
        array = np.asarray(data)
        if array.dtype.kind == "f" or isinstance(data, float):
            array = array.astype(self.float_dtype)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64)
        if name is not None:                               # a buffer (or a labelled constant): an initializer
            self.initializers[name] = array
            self.shapes[name] = array.shape
            return name
        key = (array.dtype.str, array.shape, array.tobytes()) if array.size <= 16 else None
        if key not in self._constants:
            gate, self.gate = self.gate, None
            out = self("Constant", value=array)
            self.gate = gate
            self.shapes[out], self.values[out] = array.shape, array
            if key is None:
                return out
            self._constants[key] = out
        return self._constants[key]

    def unique(self, name):
        """name, or name with a number, so that no two tensors share it."""
        taken = lambda n: n in self.initializers or n in self.shapes     # noqa: E731
        if not taken(name):
            return name
        k = 1
        while taken(f"{name}_{k}"):
            k += 1
        return f"{name}_{k}"

    def value(self, name):
        """The array of a constant written with `constant`, or None (a tensor computed by the graph)."""
        return self.values.get(name)

    def batch_axes_of(self, name):
        """The axes of a tensor given to the form that grow with the symbolic batch ([] without one)."""
        return self.grown.get(name, [])

    def ints(self, values):
        """An int64 vector constant (shapes, axes, pads)."""
        return self.constant(np.array(values, dtype=np.int64).reshape(-1))

    def shape(self, name):
        """The traced shape of a tensor given to the form."""
        return self.shapes[name]

    def axes(self, axis, ndim):
        """A reduction's axes as an int64 constant (None: every axis, an omitted input)."""
        if axis is None:
            return None
        return self.ints(sorted(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))))

    def reshape(self, x, shape):
        """Reshape x to `shape` (numpy's, -1 allowed). When the batch is symbolic
        the target does not bake the traced batch size in: an axis of the batch's
        size that keeps x's size at the same place is 0 ("copy x's"), and the
        axis the batch merges into (numpy's -1, or the first multiple of the
        batch) is -1."""
        in_shape, shape = self.shape(x), [int(n) for n in shape]
        if -1 in shape:
            known = int(np.prod([n for n in shape if n != -1]))
            full = [int(np.prod(in_shape)) // known if n == -1 else n for n in shape]
        else:
            full = shape
        if self.batch is None:
            return self("Reshape", x, self.ints(full))
        target = [0 if i < len(in_shape) and in_shape[i] == n == self.batch else n for i, n in enumerate(full)]
        if 0 not in target and self.batch in in_shape:
            merged = shape.index(-1) if -1 in shape else next(
                (i for i, n in enumerate(full) if n and n % self.batch == 0), None)
            if merged is not None:
                target[merged] = -1
        return self("Reshape", x, self.ints(target))

    def getitem(self, x, index):
        """x[index] for basic indexing (ints, slices, None, ...) and one integer
        array (Gather): Slice, then Gather or Squeeze/Unsqueeze."""
        parts = list(index) if isinstance(index, tuple) else [index]
        ndim = len(self.shape(x))
        fill = ndim - sum(p is not None and p is not Ellipsis for p in parts)
        if Ellipsis in [p for p in parts if not isinstance(p, np.ndarray)]:
            at = next(i for i, p in enumerate(parts) if p is Ellipsis)
            parts[at:at + 1] = [slice(None)] * fill
        parts += [slice(None)] * (ndim - sum(p is not None for p in parts))
        starts, ends, steps, axes, squeeze, gathers, unsqueeze = [], [], [], [], [], [], []
        axis, out_axis = 0, 0
        for p in parts:
            if p is None:
                unsqueeze.append(out_axis)
                out_axis += 1
                continue
            if isinstance(p, slice):
                start, stop, step = p.indices(self.shape(x)[axis])
                if (start, stop, step) != (0, self.shape(x)[axis], 1):
                    end = stop if stop >= 0 else -(2 ** 62)       # a negative step running past the start
                    starts.append(start), ends.append(end), steps.append(step), axes.append(axis)
                out_axis += 1
            elif isinstance(p, (int, np.integer)):
                n = self.shape(x)[axis]
                starts.append(int(p) % n), ends.append(int(p) % n + 1), steps.append(1), axes.append(axis)
                squeeze.append(axis)
            elif isinstance(p, np.ndarray) and p.dtype.kind in "iu" and not gathers:
                gathers.append((axis, p))
                out_axis += p.ndim
            else:
                raise ExportError(f"{self.scope}: getitem with the index {p!r} has no ONNX form here "
                                  f"(ints, slices, None, ... and one integer array do)")
            axis += 1
        if starts:
            x = self("Slice", x, self.ints(starts), self.ints(ends), self.ints(axes), self.ints(steps))
        for gather_axis, indices in gathers:
            x = self("Gather", x, self.constant(indices), axis=gather_axis)
        if squeeze:
            if gathers:
                raise ExportError(f"{self.scope}: getitem mixing an int with an integer array has no ONNX form here")
            x = self("Squeeze", x, self.ints(squeeze))
        if unsqueeze:
            x = self("Unsqueeze", x, self.ints(unsqueeze))
        return x if starts or gathers or squeeze or unsqueeze else self("Identity", x)


def _attribute(value):
    """An attribute as plain data: tuples become lists, numpy numbers Python numbers."""
    if isinstance(value, (tuple, list)):
        return [v.item() if isinstance(v, np.generic) else v for v in value]
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------- tracing
def _example_values(example_input):
    """The example inputs as the traced forward pass gets them: Values, and
    integer arrays (indices, e.g. for an Embedding) as int64 arrays."""
    examples = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    values = []
    for x in examples:
        data = x.data if isinstance(x, Value) else x
        if np.asarray(data).dtype.kind in "iu":
            values.append(np.asarray(data, np.int64))
        else:
            values.append(Value(np.asarray(data) if np.ndim(data) else data, requires_grad=True))
    return values


def _flat(out):
    """The Values of a forward pass's result (nested tuples flattened; None left out)."""
    stack, flat = [out], []
    while stack:
        x = stack.pop()
        if isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        elif x is not None:
            flat.append(x)
    return flat


def trace(model_or_fn, example_input):
    """(input Values, output Values) of one forward pass in eval mode (a
    Module's training flags are restored afterwards), with the graph recorded."""
    inputs = _example_values(example_input)
    modules = list(model_or_fn.modules()) if isinstance(model_or_fn, Module) else []
    modes = [m.training for m in modules]
    for m in modules:
        m.training = False
    try:
        with enable_grad():
            out = model_or_fn(*inputs)
    finally:
        for m, mode in zip(modules, modes):
            m.training = mode
    outputs = _flat(out)
    for i, v in enumerate(outputs):
        if not isinstance(v, Value):
            raise ExportError(f"export: output {i} of the model is a {type(v).__name__}, not a Value")
    return inputs, outputs


def graph_nodes(outputs):
    """Every Value the outputs were made from, the leaves first and each node
    after its inputs (a node is deeper than its inputs)."""
    seen, stack = {}, list(outputs)
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen[id(v)] = v
            stack.extend(x for x in v.inputs if isinstance(x, Value))
    return sorted(seen.values(), key=lambda v: (v._gate is not None, v._depth))


def build(model_or_fn, example_input, input_names=None, output_names=None, dynamic_batch=True):
    """The traced circuit as a NodeBuilder holding plain ONNX specs, and the
    graph's (inputs, outputs) as (name, array) pairs."""
    inputs, outputs = trace(model_or_fn, example_input)
    input_names = list(input_names or (["input"] if len(inputs) == 1 else [f"input{i}" for i in range(len(inputs))]))
    output_names = list(output_names or (["output"] if len(outputs) == 1 else
                                         [f"output{i}" for i in range(len(outputs))]))
    for what, names, values in (("input_names", input_names, inputs), ("output_names", output_names, outputs)):
        if len(names) != len(values) or len(set(names)) != len(names):
            raise ValueError(f"export: {what} needs {len(values)} different names, got {names}")
    module = model_or_fn if isinstance(model_or_fn, Module) else None
    parameter_names = {id(p): n for n, p in module.named_parameters()} if module else {}
    buffer_names = {id(b): n for n, b in module.named_buffers()} if module else {}
    first = np.asarray(inputs[0].data if isinstance(inputs[0], Value) else inputs[0]) if inputs else np.zeros(0)
    batch = first.shape[0] if dynamic_batch and first.ndim else None
    floats = [np.result_type(v.data) for v in inputs if isinstance(v, Value)]
    node = NodeBuilder(floats[0] if floats else np.float32, batch, buffer_names)
    if batch is not None:
        node.batch_input = input_names[0]
        node.zeros_of_the_batch, growing = _trace_a_larger_batch(model_or_fn, example_input, batch,
                                                                 graph_nodes(outputs))
        node.batch_axes = [growing.get(id(v), []) for v in outputs]

    names = {}                                            # id(Value) -> tensor name
    for name, v in zip(input_names, inputs):
        if isinstance(v, Value):
            names[id(v)] = name
        else:
            node.integer_inputs[id(v)] = name
        node.shapes[name] = np.shape(v.data if isinstance(v, Value) else v)
        node.grown[name] = [0] if batch is not None and node.shapes[name][:1] == (batch,) else []
    for v in graph_nodes(outputs):
        if v._gate is None:
            if v.requires_grad and id(v) not in names:    # a parameter (a constant is written where it is used)
                name = parameter_names.get(id(v)) or v.label or f"parameter{len(node.initializers)}"
                names[id(v)] = node.unique(name)
                node.initializers[names[id(v)]] = np.asarray(v.data)
                node.shapes[names[id(v)]] = v.shape
            continue
        names[id(v)] = _write_gate(node, v, names)
        node.shapes[names[id(v)]] = v.shape
        node.grown[names[id(v)]] = growing.get(id(v), []) if batch is not None else []
    _rename(node, [names[id(v)] for v in outputs], output_names, inputs=input_names)
    _prune(node, output_names)
    return node, list(zip(input_names, [np.asarray(v.data if isinstance(v, Value) else v) for v in inputs])), \
        list(zip(output_names, [np.asarray(v.data) for v in outputs]))


def _trace_a_larger_batch(model_or_fn, example_input, batch, nodes):
    """The model traced again with one more example, and what that tells:
    ({id(array): axis} for the arrays of zeros the model makes to the batch's
    size (an RNN's initial state: zeros that grow by one along one axis),
    {id(node): the axes of its output that grow with the batch})."""
    examples = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    more = [np.concatenate([x, x[:1]]) if np.ndim(x) and np.shape(x)[0] == batch else x
            for x in (np.asarray(e.data if isinstance(e, Value) else e) for e in examples)]
    try:
        _, outputs = trace(model_or_fn, more)
    except (ValueError, TypeError, IndexError) as e:
        raise ExportError(f"export: with dynamic_batch=True the model must run on a batch of any size, but on "
                          f"{batch + 1} examples it fails ({' '.join(str(e).split())[:200]}): export with "
                          f"dynamic_batch=False") from None
    gated, gated_more = ([v for v in vs if v._gate is not None] for vs in (nodes, graph_nodes(outputs)))
    growing = {id(v): [a for a in range(v.ndim) if (v.shape[a], w.shape[a]) == (batch, batch + 1)]
               for v, w in zip(gated, gated_more) if v.ndim == w.ndim}
    if [v._gate for v in gated] != [v._gate for v in gated_more]:
        raise ExportError(f"export: the circuit changes with the size of the inputs' first axis ({batch}), so it "
                          f"cannot be the batch (the time steps of a time-major RNN?): export with "
                          f"dynamic_batch=False, or put the batch first")
    found = {}
    for v, w in zip(gated, gated_more):
        for x, y in zip(v.inputs, w.inputs):
            x, y = (x.data if isinstance(x, Value) and x._gate is None else x for x in (x, y))
            if isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.ndim == y.ndim and x.size \
                    and not x.any():
                grown = [a for a in range(x.ndim) if (x.shape[a], y.shape[a]) == (batch, batch + 1)]
                if len(grown) == 1 and sum(m != n for m, n in zip(x.shape, y.shape)) == 1:
                    found[id(x)] = grown[0]
    return found, growing


def _write_gate(node, v, names):
    """Call the ONNX form of the gate that made v; returns its output's name."""
    gate = v._gate
    node.scope = "/".join(v.scope.path()) if v.scope is not None else "graph"
    node.gate = gate.name
    if gate.onnx is None:
        raise ExportError(f"export: the '{gate.name}' gate (in {node.scope}) has no ONNX form: give it one "
                          f"with Gate(..., onnx=...) beside its forward and local gradients")
    node.float_dtype = np.result_type(v.data)
    grads = gate.local_grads
    args = []
    for i, x in enumerate(v.inputs):
        if i < len(grads) and grads[i] is not None:       # a wire: its tensor's name
            args.append(names[id(x)] if id(x) in names else _constant(node, x, names))
        else:                                             # a parameter of the gate: plain data
            args.append(x.data if isinstance(x, Value) else x)
    try:
        return gate.onnx(node, *args)
    except ExportError:
        raise
    except (TypeError, ValueError, KeyError, IndexError) as e:
        raise ExportError(f"export: the ONNX form of the '{gate.name}' gate (in {node.scope}) failed: {e}") from None


def _constant(node, x, names):
    """A constant input of a gate: an array, or a constant Value (its label names
    it; a number takes the gate's float type, so it is written where it is used)."""
    if not isinstance(x, Value):
        return node.constant(x)
    name = node.constant(x.data, name=node.unique(x.label) if x.label else None)
    if np.ndim(x.data):
        names[id(x)] = name
    return name


def _prune(node, output_names):
    """Leave out the nodes whose outputs nothing uses (a constant a form replaced)."""
    used = set(output_names)
    kept = []
    for spec in reversed(node.specs):
        if used.intersection(spec["outputs"]):
            kept.append(spec)
            used.update(spec["inputs"])
    node.specs = kept[::-1]
    for name in list(node.initializers):
        if name not in used:
            del node.initializers[name]


def _rename(node, old, new, inputs):
    """Give the graph's outputs their names (an output that is an input or a
    constant, or appears twice, is passed through an Identity node)."""
    for i, (a, b) in enumerate(zip(old, new)):
        produced = any(a in spec["outputs"] for spec in node.specs)
        if not produced or a in old[:i] or a in inputs or a in node.initializers:
            node.gate, node.scope = None, "graph"
            spec_out = node("Identity", a)
            a = old[i] = spec_out
        for spec in node.specs:
            spec["inputs"] = [b if n == a else n for n in spec["inputs"]]
            spec["outputs"] = [b if n == a else n for n in spec["outputs"]]
        node.shapes[b] = node.shapes.get(a)


# ---------------------------------------------------------------- protos
def to_model(node, inputs, outputs, opset):
    """The ONNX ModelProto of the specs (onnx imported here only)."""
    require_onnx()                                  # a clear ImportError saying how to install it
    from onnx import helper, numpy_helper

    def info(name, array, batch_axes):
        shape = [BATCH if a in batch_axes else n for a, n in enumerate(array.shape)]
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(array.dtype), shape)

    batch = node.batch
    first_axis = {n: a.shape[0] for n, a in inputs if a.ndim}

    def attributes(spec):
        return {k: numpy_helper.from_array(v) if isinstance(v, np.ndarray) else v for k, v in spec.items()}

    nodes = [helper.make_node(s["op_type"], s["inputs"], s["outputs"], name=s["name"], **attributes(s["attributes"]))
             for s in node.specs]
    graph = helper.make_graph(
        nodes, "circuitgrad",
        [info(n, a, [0] if batch is not None and first_axis.get(n) == batch else []) for n, a in inputs],
        [info(n, a, axes) for (n, a), axes in zip(outputs, node.batch_axes or [[]] * len(outputs))],
        [numpy_helper.from_array(np.ascontiguousarray(a), n) for n, a in node.initializers.items()])
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="circuitgrad",
                              ir_version=helper.find_min_ir_version_for(opsets))
    return model


def export(model_or_fn, example_input, path, input_names=None, output_names=None, dynamic_batch=True, opset=18):
    """Write the computation of `model_or_fn` on `example_input` (an array, or a
    tuple of arrays for several inputs) to the ONNX file `path`.

    One forward pass is traced in eval mode; each gate becomes the ONNX nodes of
    its `onnx` form; Parameters become initializers named by their state_dict
    names (a function's leaves: by their label). `dynamic_batch=True` makes the
    first axis of the inputs (and of outputs that share it) symbolic, "batch".
    The model is checked with onnx.checker (full check) before it is written,
    atomically. Returns the onnx ModelProto."""
    onnx = require_onnx()
    if not isinstance(opset, int) or opset < 18:
        raise ValueError(f"export: opset must be an int >= 18 (the gates' forms use opset 18's operators), got {opset!r}")
    node, inputs, outputs = build(model_or_fn, example_input, input_names, output_names, dynamic_batch)
    model = to_model(node, inputs, outputs, opset)
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as e:
        raise ExportError(f"export: the ONNX model fails onnx.checker: {' '.join(str(e).split())[:500]}") from None
    with atomic_write(path) as f:
        f.write(model.SerializeToString())
    return model
