"""Drawing a circuit as the CS231n notes draw it, with graphviz.

Gates are circles named by their operation (ellipses for a word longer than "relu",
or when they carry parameters or a label), inputs (leaves) are boxes, and every
wire carries the value flowing forward (green) and, once backward has run, the
gradient flowing back (red). Gates made inside `scope(name)` (every `nn.Module`
call opens one) are grouped into a labelled cluster, or drawn as a single box
with `collapse=True`. `draw_text` prints the same circuit as an indented tree
and needs no Graphviz.
"""
import html
import inspect
import uuid
import weakref

import graphviz
import numpy as np

from .gate import raw
from .value import Value

VALUE_COLOR = "#1a7f37"      # forward values are green in the notes' circuits
GRAD_COLOR = "#cf222e"       # gradients are red
# Wires coloured by gradient magnitude, from the smallest in the drawing to the largest.
HEAT = ["#313695", "#4575b4", "#74add1", "#abd9e9", "#fdae61", "#f46d43", "#d73027", "#a50026"]
SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "**", "neg": "−", "matmul": "@"}
INSTALL = ("Graphviz's `dot` program is needed to render a drawing: install it with "
           "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
           "`conda install graphviz`. Without it, `.source` holds the DOT text and "
           "`autograd.draw_text(root)` prints the circuit.")


class Circuit(graphviz.Digraph):
    """A graphviz.Digraph of a circuit; rendering without Graphviz's `dot`
    explains how to install it."""

    def pipe(self, *args, **kwargs):
        """graphviz.Digraph.pipe: the drawing as bytes (or text) in a format, e.g. format="svg"."""
        return _needs_dot(super().pipe, *args, **kwargs)

    def render(self, *args, **kwargs):
        """graphviz.Digraph.render: write the drawing to a file, e.g. render("circuit", format="svg")."""
        return _needs_dot(super().render, *args, **kwargs)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """The drawing for Jupyter: the SVG, and the same SVG as HTML that fits
        the width of the page and zooms to full size on a click."""
        bundle = _needs_dot(super()._repr_mimebundle_, include, exclude, **kwargs)
        if (include is None or "text/html" in include) and "text/html" not in (exclude or ()):
            svg = bundle.get("image/svg+xml") or _needs_dot(self.pipe, format="svg", encoding="utf-8")
            bundle["text/html"] = fit_to_width(svg)
        return bundle


# A wide circuit (a chain of 10 gates is ~3,000 px) is scaled down to the width of
# the page; a click on it shows it at full size, scrolling sideways (a hidden
# checkbox keeps the state, so it works without JavaScript, in Jupyter and on the site).
FIT_STYLE = (".circuitgrad-circuit{overflow-x:auto;max-width:100%}"
             ".circuitgrad-circuit>label{display:block;margin:0}"
             ".circuitgrad-circuit>label>svg{max-width:100%;height:auto;cursor:zoom-in}"
             ".circuitgrad-circuit>input:checked+label>svg{max-width:none;cursor:zoom-out}")


def fit_to_width(svg):
    """An SVG drawing as HTML that fits the width of the page and toggles to
    full size when clicked (see FIT_STYLE)."""
    svg = svg[svg.index("<svg"):]                 # no XML prolog or doctype inside HTML
    key = f"circuitgrad-zoom-{uuid.uuid4().hex}"     # unique on a page of many drawings
    return (f'<div class="circuitgrad-circuit"><style>{FIT_STYLE}</style>'
            f'<input type="checkbox" id="{key}" hidden>'
            f'<label for="{key}" title="click to zoom">{svg}</label></div>')


def _needs_dot(method, *args, **kwargs):
    try:
        return method(*args, **kwargs)
    except graphviz.ExecutableNotFound as e:
        e.args = (f"{e} {INSTALL}",)
        raise


def draw(root, rankdir="LR", show_values=True, show_grads=True, precision=4, heat=True,
         collapse=False, max_nodes=500):
    """The circuit that computed `root`, as a graphviz.Digraph.

    Displays inline in Jupyter; `.render(filename, format="svg")` or
    `.pipe(format="png")` writes it (Graphviz's `dot` needed), `.source` is
    the DOT text. Options: `rankdir` ("LR" left to right, "TB" top to
    bottom); `show_values`, `show_grads`; `precision` (significant digits);
    `heat` colours each wire by the size of its gradient (blue small, red
    large; grey: none or zero), to spot vanishing and exploding gradients;
    `collapse=True` draws each innermost scope (a layer call) as one box
    inside the clusters of the scopes around it, and `collapse=1` (2, ...)
    the scopes at that depth (1: the outermost, e.g. a whole Sequential);
    `max_nodes` bounds the drawing (None: no bound): nodes farthest from the
    output are left out, with a note saying how many.
    """
    values, cut = _walk(root, max_nodes)
    fmt = _Formatter(precision, show_values, show_grads, values if heat else [])
    box = _collapsed(values, collapse)         # gate Value -> the scope drawn as one box for it

    def name(v):
        return f"s{id(box[v])}" if v in box else f"n{id(v)}"

    lines, clustered = [], {}                  # clustered: scope -> the lines drawn inside it
    for v in values:
        if v in box:
            continue
        if v.is_leaf:
            line = f'{name(v)} [shape=box style=rounded label=<{fmt.leaf(v)}>]'
        else:
            label = fmt.gate(v)
            # a word or a label of several lines (sigmoid; conv2d's stride, padding and dilation)
            # is an ellipse as wide as its text: a circle around it would dwarf +, × and relu
            short = "<br/>" not in label and len(html.unescape(label)) <= len("relu")
            line = f'{name(v)} [shape={"circle" if short else "ellipse"} label=<{label}>]'
        scope = v.scope
        (clustered.setdefault(scope, []) if scope is not None else lines).append(line)
    for scope in {id(s): s for s in box.values()}.values():
        inside = sum(1 for s in box.values() if s is scope)
        line = (f's{id(scope)} [shape=box3d label=<<b>{_escape(scope.name)}</b>'
                f'<br/><font point-size="9">{inside} gate{"s" * (inside > 1)}</font>>]')
        (clustered.setdefault(scope.parent, []) if scope.parent is not None else lines).append(line)
    lines += _clusters(clustered)

    drawn = set(values)
    edges = set()
    for v in values:
        if v.is_leaf:
            continue
        for i, operand in enumerate(v.inputs):
            if isinstance(operand, Value) and not _is_constant(operand):
                source = name(operand) if operand in drawn else "cut"
                if source == name(v) or (source, name(v), id(operand)) in edges:
                    continue                   # a wire inside one collapsed box
                edges.add((source, name(v), id(operand)))
                # a leaf's box already shows its value and gradient
                lines.append(f'{source} -> {name(v)} [{fmt.wire(operand, labelled=not operand.is_leaf)}]')
            elif isinstance(operand, np.ndarray) and operand.size > 1 and _is_differentiable_position(v._gate, i):
                # an array constant (input data) is an input of its own; a number, an axis,
                # a shape or an index is written on the gate itself (see _Formatter.gate)
                const = f"c{id(v)}_{i}"
                lines.append(f'{const} [shape=box style="rounded,dashed" color="#8c959f" fontcolor="#57606a" '
                             f'label=<constant<br/><font point-size="9">{operand.dtype} {operand.shape}</font>>]')
                lines.append(f'{const} -> {name(v)} [color="#8c959f"]')
    lines.append(f'out [shape=plaintext label=<<b>{_escape(root.label or "output")}</b>>]')
    lines.append(f'{name(root)} -> out [{fmt.wire(root)}]')
    if cut:
        lines.append(f'cut [shape=note label="… {cut} more nodes not drawn (max_nodes={max_nodes}); '
                     f'pass max_nodes=None, or collapse=True to draw layers as boxes"]')

    dot = Circuit(name="circuit", graph_attr={"rankdir": rankdir, "nodesep": "0.3"},
                  node_attr={"fontname": "Helvetica", "fontsize": "11"},
                  edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    dot.body.extend("\t" + line + "\n" for line in lines)
    return dot


def draw_text(root, precision=4, max_lines=2000):
    """The circuit as an indented tree, one line per value: what it is, its
    value and its gradient. A value reached again by another wire (a fork) is
    listed once, then referred to. Indentation stops growing after 30 levels
    (a deep chain stays readable); at most `max_lines` lines (None: all)."""
    fmt = _Formatter(precision, True, True, [])
    lines, seen = [], set()
    stack = [(root, "", "")]                   # iterative: deep circuits need no recursion
    while stack and (max_lines is None or len(lines) < max_lines):
        v, lead, child_lead = stack.pop()
        if _is_constant(v):
            lines.append(f"{lead}constant {fmt.plain(v)}")
            continue
        what = v.label or (v.op if not v.is_leaf else "input")
        if id(v) in seen:
            lines.append(f"{lead}{what} (drawn above)")
            continue
        seen.add(id(v))
        lines.append(f"{lead}{what} = {fmt.plain(v.data)}   grad {fmt.plain(v.grad, missing='no grad yet')}")
        operands = [o for i, o in enumerate(v.inputs)
                    if isinstance(o, Value) or _is_differentiable_position(v._gate, i)]
        if len(child_lead) >= 90:              # 30 levels deep: stop indenting further
            child_lead = child_lead[:87] + "»  "
        for k in reversed(range(len(operands))):
            last = k == len(operands) - 1
            stack.append((operands[k], child_lead + ("└─ " if last else "├─ "),
                          child_lead + ("   " if last else "│  ")))
    if stack:
        lines.append(f"… more lines not shown (max_lines={max_lines})")
    return "\n".join(lines)


# ---------------------------------------------------------------- helpers
def _walk(root, max_nodes):
    """The Values of the circuit, nearest to the output first (breadth first),
    at most max_nodes of them; and how many more there were."""
    order, seen, i = [root], {id(root)}, 0
    while i < len(order):
        for operand in order[i].inputs:
            if isinstance(operand, Value) and id(operand) not in seen:
                seen.add(id(operand))
                if not _is_constant(operand):      # a constant is drawn as a number on its wire
                    order.append(operand)
        i += 1
    if max_nodes is None or len(order) <= max_nodes:
        return order, 0
    return order[:max_nodes], len(order) - max_nodes


def _is_constant(x):
    """A constant operand is drawn as its number: raw data, or a Value that
    needs no gradient and has no name (as the gates record `2 * x`'s 2)."""
    return not isinstance(x, Value) or (x._gate is None and not x.requires_grad and x.label is None)


def _is_differentiable_position(gate, i):
    return gate is not None and i < len(gate.local_grads) and gate.local_grads[i] is not None


def _collapsed(values, collapse):
    """Which gate nodes are drawn inside a box, and which scope's box: with
    True, the innermost scopes (those with no scope inside them); with a
    depth d, every scope at depth d (nodes deeper than d go into their
    ancestor at depth d)."""
    if collapse is False or collapse is None:
        return {}
    scoped = [v for v in values if not v.is_leaf and v.scope is not None]
    if collapse is True:
        parents = {id(s.parent) for v in scoped for s in _chain(v.scope) if s.parent is not None}
        return {v: v.scope for v in scoped if id(v.scope) not in parents}
    box = {}
    for v in scoped:
        chain = list(_chain(v.scope))[::-1]           # outermost first
        if len(chain) >= collapse:
            box[v] = chain[collapse - 1]
    return box


def _chain(scope):
    while scope is not None:
        yield scope
        scope = scope.parent


def _clusters(members):
    """DOT subgraphs for scopes, nested as the scopes are."""
    children = {}
    for scope in list(members):
        while scope is not None:
            children.setdefault(scope.parent, set()).add(scope)
            scope = scope.parent
    lines = []
    stack = [(s, False) for s in children.get(None, ())]
    while stack:
        scope, closing = stack.pop()
        if closing:
            lines.append("}")
            continue
        lines.append(f'subgraph cluster_{id(scope)} {{ label=<<b>{_escape(scope.name)}</b>> '
                     f'style="rounded,dashed" color="#8c959f"')
        lines += members.get(scope, [])
        stack.append((scope, True))
        stack += [(s, False) for s in children.get(scope, ())]
    return lines


def _escape(text):
    return html.escape(str(text))


class _Formatter:
    """Numbers and arrays as short HTML labels."""

    def __init__(self, precision, show_values, show_grads, heat_values):
        self.p, self.show_values, self.show_grads = precision, show_values, show_grads
        sizes = [_magnitude(v.grad) for v in heat_values]
        sizes = [np.log10(s) for s in sizes if s and np.isfinite(s)]
        self.heat = (min(sizes), max(sizes)) if sizes else None

    def plain(self, x, missing="None"):
        if x is None:
            return missing
        if isinstance(x, Value):
            x = x.data
        if isinstance(x, float):
            return f"{x:.{self.p}g}"
        x = np.asarray(x)
        if x.size == 1 and x.ndim == 0:
            return f"{x.item():.{self.p}g}"
        if x.size <= 6:
            return np.array2string(x, precision=self.p, separator=", ", threshold=6).replace("\n", "")
        return f"min {x.min():.{self.p}g} mean {x.mean():.{self.p}g} max {x.max():.{self.p}g}"

    def number(self, x):
        return _escape(self.plain(x))

    def _grad(self, g):
        if g is None:
            return "no grad yet"
        g = getattr(g, "data", g)
        if np.size(g) <= 6:
            return self.plain(g)
        return f"‖grad‖ {np.linalg.norm(g):.{self.p}g}"

    def _lines(self, v):
        rows = []
        if self.show_values:
            rows.append(f'<font color="{VALUE_COLOR}">{_escape(self.plain(v.data))}</font>')
        if self.show_grads:
            rows.append(f'<font color="{GRAD_COLOR}">{_escape(self._grad(v.grad))}</font>')
        return rows

    def leaf(self, v):
        head = f"<b>{_escape(v.label)}</b>" if v.label else ""
        if v.ndim:
            head += f' <font point-size="9">{v.dtype} {v.shape}</font>'
        return "<br/>".join(([head] if head else []) + self._lines(v)) or " "

    def gate(self, v):
        """The gate's symbol with what is not a wire written on it: a number
        operand on its side ("× 2", "1 −", "** 2"), the parameters by name
        ("mean axis=1", "transpose axes=(1, 0)") and an index ("getitem [0, 1:]")."""
        gate = v._gate
        symbol = _escape(SYMBOLS.get(gate.name, gate.name))
        inputs = v.inputs
        numbers = {i: x for i, x in enumerate(inputs)
                   if _is_differentiable_position(gate, i) and _is_constant(x) and np.size(raw(x)) == 1}
        if len(inputs) == 2 and len(numbers) == 1:
            (i, number), = numbers.items()
            shown = _escape(self.plain(number))
            symbol = f"{shown} {symbol}" if i == 0 else f"{symbol} {shown}"
        params = [_param_text(gate, i, x) for i, x in enumerate(inputs)
                  if not _is_differentiable_position(gate, i) and x is not False]
        if params:
            symbol += f'<br/><font point-size="8">{_escape(" ".join(params))}</font>'
        if v.label:
            symbol = f"<b>{_escape(v.label)}</b><br/>{symbol}"
        return symbol

    def wire(self, v, labelled=True):
        label = "<br/>".join(self._lines(v)) if labelled else ""
        if label and v.ndim:
            label = f'<font point-size="8">{v.dtype} {v.shape}</font><br/>' + label
        attrs = f"label=<{label}>" if label else ""
        if self.heat is not None:
            size = _magnitude(v.grad)
            if not size:
                attrs += ' color="#afb8c1" style=dashed'
            else:                              # inf and nan: at the hot end, they have exploded
                lo, hi = self.heat
                t = 1.0 if not np.isfinite(size) or hi == lo else (np.log10(size) - lo) / (hi - lo)
                attrs += f' color="{HEAT[min(int(t * len(HEAT)), len(HEAT) - 1)]}" penwidth=1.6'
        return attrs


def _param_text(gate, i, p):
    """A parameter of a gate as it is written on the gate: `name=value`, the
    name for a flag that is on, or `[index]` for an index."""
    if gate.name in ("getitem", "scatter") and i == 1:
        return "[" + (", ".join(_param(x) for x in p) if isinstance(p, tuple) else _param(p)) + "]"
    name = _parameter_names(gate)[i] if i < len(_parameter_names(gate)) else None
    if name is None:
        return _param(p)
    return name if p is True else f"{name}={_param(p)}"


def _parameter_names(gate):
    """The names of the gate's forward arguments (() when Python cannot tell)."""
    if gate not in _names:
        try:
            _names[gate] = tuple(inspect.signature(gate.forward).parameters)
        except (TypeError, ValueError):                 # a builtin without a signature
            _names[gate] = ()
    return _names[gate]


_names = weakref.WeakKeyDictionary()


def _param(p):
    """A gate parameter (an axis, a shape, an index) in a few characters."""
    if isinstance(p, slice):
        text = f"{'' if p.start is None else p.start}:{'' if p.stop is None else p.stop}"
        return text if p.step is None else f"{text}:{p.step}"
    if isinstance(p, tuple):
        return "(" + ", ".join(_param(x) for x in p) + ("," if len(p) == 1 else "") + ")"
    if isinstance(p, np.ndarray):
        return f"{p.dtype} {p.shape}" if p.size > 6 else "[" + ", ".join(_param(x) for x in p.ravel().tolist()) + "]"
    if p is Ellipsis:
        return "..."
    if isinstance(p, float):           # batch statistics, a rate: 4 significant digits, not 17
        return f"{p:.4g}"
    return repr(p)


def _magnitude(g):
    """Root-mean-square size of a gradient (0 for none)."""
    if g is None:
        return 0.0
    if isinstance(g, float):
        return abs(g)
    g = np.asarray(getattr(g, "data", g), dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(np.mean(g * g))) if g.size else 0.0
