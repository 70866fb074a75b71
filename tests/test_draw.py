"""Drawings of circuits: DOT source, text, clusters, limits, rendering, the draw command."""
import re
import shutil

import graphviz
import numpy as np
import pytest

from autograd import Value, draw, draw_text, scope
from circuitgrad.cli import main

has_dot = shutil.which("dot") is not None


def simple_circuit():
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    return (x + y) * z


def shown(source, color):
    """The numbers written in a colour: green values or red gradients."""
    return {s for s in re.findall(rf'<font color="{color}">([^<]*)</font>', source)}


def node_count(source):
    return len(re.findall(r"^\s*\w+ \[", source, flags=re.M))


def test_simple_circuit_shows_every_value_and_gradient():
    f = simple_circuit()
    before = draw(f).source
    assert shown(before, "#cf222e") == {"no grad yet"}
    f.backward()
    source = draw(f).source
    assert {"-2", "5", "-4", "3", "-12"} <= shown(source, "#1a7f37")
    assert {"-4", "3", "1"} <= shown(source, "#cf222e")
    assert "×" in source and "+" in source
    assert isinstance(draw(f), graphviz.Digraph)


def test_a_number_is_written_on_its_gate_not_drawn_as_an_input():
    x = Value(3.0, label="x")
    f = 2.0 * x + Value(0.5, requires_grad=False)
    f.backward()
    source = draw(f).source
    assert "label=<2 ×>" in source and "label=<+ 0.5>" in source      # the notes' "*2" gate
    assert source.count("shape=") == 4        # x, the two gates, the output: no constant inputs
    assert "constant 2" in draw_text(f) and "constant 0.5" in draw_text(f)
    assert "label=<** 2>" in draw(x ** 2).source and "label=<1 −>" in draw(1 - x).source


def test_parameters_are_written_on_the_gate_by_name_never_as_wires():
    x = Value(np.arange(6.0).reshape(2, 3), label="x")
    f = x[1, 1:].sum() + x.mean(axis=0).max() + x.transpose(1, 0).reshape(6).sum(axis=None)
    f.backward()
    source = draw(f).source
    for text in ("getitem<br/>", "[1, 1:]", "mean<br/>", "axis=0", "axis=None", "axes=(1, 0)", "shape=(6,)"):
        assert text in source, text
    assert "keepdims" not in source                       # a flag that is off is left out
    labels = re.findall(r"shape=plaintext[^\]]*label=<([^>]*)>", source)
    assert labels == ["<b"], labels                       # the only plain text node is the output
    assert "axis=1 keepdims<" in draw(x.sum(axis=1, keepdims=True)).source


def test_an_array_constant_is_an_input_box():
    w = Value(np.ones((3, 2)), label="W")
    f = (np.ones((4, 3)) @ w).sum()
    source = draw(f).source
    assert "constant<br/>" in source and "float64 (4, 3)" in source


def test_parameters_are_written_on_the_gate_not_drawn_as_input_wires():
    import nn.functional as F
    x = Value(np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]]), label="x")
    loss = F.cross_entropy(x.sum(axis=1, keepdims=True) * x, np.array([0, 2]))   # labels, 'mean'
    loss.backward()
    source = draw(loss).source
    wires = re.findall(r"^\s*(\w+) \[shape=plaintext", source, flags=re.M)
    assert wires == ["out"]                     # no wire for axis, keepdims, labels or 'mean'
    assert "axis=1 keepdims" in source and "reduction=&#x27;mean&#x27;" in source
    conv = F.conv2d(Value(np.ones((1, 1, 3, 3))), Value(np.ones((1, 1, 2, 2))))   # bias None
    assert "None" not in draw(conv).source


def test_float_parameters_are_written_in_a_few_digits():
    """BatchNorm's statistics ride on its gate as parameters: written in full (17 digits each)
    they swelled the gate's circle to hundreds of points across."""
    import nn
    bn = nn.BatchNorm2d(2)
    bn.eval()
    bn.running_mean[:] = [-0.0697528272867202, 1 / 3]
    source = draw(bn(Value(np.ones((1, 2, 2, 2))))).source
    assert "mean=[-0.06975, 0.3333]" in source and "eps=1e-05" in source
    assert "0.0697528" not in source


def test_options_hide_values_or_gradients_and_set_direction():
    f = simple_circuit()
    f.backward()
    assert not shown(draw(f, show_values=False).source, "#1a7f37")
    assert not shown(draw(f, show_grads=False).source, "#cf222e")
    assert "rankdir=TB" in draw(f, rankdir="TB").source
    assert "3.142" in draw(Value(np.pi) * 1.0, precision=4).source


def test_arrays_show_shape_dtype_and_a_summary():
    w = Value(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), label="W")
    x = Value(np.ones((2, 3), np.float32), label="x")
    loss = (x @ w).relu().sum()
    loss.backward()
    source = draw(loss).source
    assert "float32 (3, 4)" in source and "float32 (2, 4)" in source
    assert "min -1 mean 0 max 1" in source           # 12 elements: a summary
    assert "‖grad‖" in source                         # and the gradient's norm
    assert "[[1., 1., 1.], [1., 1., 1.]]" in source           # 6 elements: the values themselves
    assert "[[-1.0909,  0.3636,  1.8182], [-1.0909,  0.3636,  1.8182]]" in source   # and x's gradient


def test_a_scope_is_a_cluster_that_collapses_to_one_box():
    w, b = Value(np.ones((3, 2)), label="W"), Value(np.zeros(2), label="b")
    with scope("Linear"):
        h = np.ones((4, 3)) @ w + b                  # two gates: matmul, add
    out = h.tanh().sum()
    out.backward()
    expanded, collapsed = draw(out).source, draw(out, collapse=True).source
    assert "subgraph cluster_" in expanded and "Linear" in expanded
    assert "box3d" in collapsed and "2 gates" in collapsed and "subgraph" not in collapsed
    assert node_count(expanded) - node_count(collapsed) == 1   # two gate nodes become one box


def test_collapse_to_layers_or_to_the_outermost_scope():
    x = Value(np.ones(3))
    with scope("Net"):
        with scope("Layer"):
            h = (x * 2).tanh()                       # two gates in the first layer
        with scope("Layer"):
            y = h.sum()                              # one in the second
    layers, whole = draw(y, collapse=True).source, draw(y, collapse=1).source
    assert layers.count("box3d") == 2 and "2 gates" in layers and "1 gate" in layers
    assert layers.count("subgraph cluster_") == 1     # the Net cluster holds the two layer boxes
    assert whole.count("box3d") == 1 and "3 gates" in whole and "subgraph" not in whole


def test_nested_scopes_nest_clusters():
    x = Value(1.0)
    with scope("block"):
        with scope("inner"):
            y = x * 2
        z = y + 1
    source = draw(z).source
    assert source.count("subgraph cluster_") == 2
    assert source.index("block") < source.index("inner")


def test_heat_colours_wires_by_gradient_size():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    out = a * 1e-6 + b * 10.0 + c * 0.0
    out.backward()
    source = draw(out).source
    colours = set(re.findall(r'color="(#[0-9a-f]{6})" penwidth', source))
    assert len(colours) >= 2                          # small and large gradients differ
    assert "style=dashed" in source                   # c's wire carries a zero gradient
    assert "penwidth" not in draw(out, heat=False).source


def test_large_graphs_are_truncated_with_a_visible_note():
    h = x = Value(0.0)
    for _ in range(10_000):
        h = h + 1.0
    full = draw(h, max_nodes=None).source
    assert node_count(full) >= 10_000
    small = draw(h, max_nodes=100).source
    assert "9901 more nodes not drawn (max_nodes=100)" in small
    assert node_count(small) < 250
    assert draw_text(x).startswith("input = 0")
    text = draw_text(h, max_lines=500).splitlines()
    assert len(text) == 501 and text[-1].startswith("… more lines not shown")
    assert max(len(line) for line in text) < 150          # a deep chain stops indenting


def test_draw_text_of_the_sigmoid_neuron():
    w0, x0, w1, x1, w2 = (Value(v, label=n) for v, n in
                          [(2.0, "w0"), (-1.0, "x0"), (-3.0, "w1"), (-2.0, "x1"), (-3.0, "w2")])
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.label = "f"
    f.backward()
    assert draw_text(f).splitlines() == [
        "f = 0.7311   grad 1",
        "└─ add = 1   grad 0.1966",
        "   ├─ add = 4   grad 0.1966",
        "   │  ├─ mul = -2   grad 0.1966",
        "   │  │  ├─ w0 = 2   grad -0.1966",
        "   │  │  └─ x0 = -1   grad 0.3932",
        "   │  └─ mul = 6   grad 0.1966",
        "   │     ├─ w1 = -3   grad -0.3932",
        "   │     └─ x1 = -2   grad -0.5898",
        "   └─ w2 = -3   grad 0.1966",
    ]


def test_draw_text_lists_a_fork_once():
    a = Value(3.0, label="a")
    b = a * a + a
    text = draw_text(b)
    assert text.count("a = 3") == 1 and text.count("a (drawn above)") == 2


def test_without_dot_the_source_is_there_and_rendering_says_how_to_install(monkeypatch):
    f = simple_circuit()
    monkeypatch.setenv("PATH", "")
    picture = draw(f)
    assert picture.source.startswith("digraph")
    with pytest.raises(graphviz.ExecutableNotFound, match="apt-get install graphviz"):
        picture.pipe(format="svg")


@pytest.mark.skipif(not has_dot, reason="Graphviz's dot is not installed (CI installs it)")
def test_renders_svg_for_real(tmp_path):
    f = simple_circuit()
    f.backward()
    svg = draw(f).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "-12" in svg
    path = draw(f).render(tmp_path / "circuit", format="png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not has_dot, reason="Graphviz's dot is not installed (CI installs it)")
def test_jupyter_shows_the_svg_fitted_to_the_page_and_zooming_on_click():
    h = Value(0.5, label="x")
    for _ in range(10):                         # a chain of 10 gates: ~3,000 px wide at full size
        h = (h * 3.0).sigmoid()
    h.backward()
    bundle = draw(h)._repr_mimebundle_()
    svg, page = bundle["image/svg+xml"], bundle["text/html"]
    assert svg.lstrip().startswith("<?xml")
    drawing = svg[svg.index("<svg"):]
    assert page.count("<svg") == 1 and drawing in page and "<?xml" not in page and "DOCTYPE" not in page
    assert float(re.search(r'<svg width="(\d+)pt', drawing).group(1)) > 1500
    # fitted: scaled to the width, aspect kept; a click toggles the checkbox that lifts the limit
    assert "label>svg{max-width:100%;height:auto" in page
    assert "input:checked+label>svg{max-width:none" in page
    key = re.search(r'<input type="checkbox" id="([^"]+)" hidden><label for="([^"]+)"', page)
    assert key and key.group(1) == key.group(2)
    other = re.search(r'id="([^"]+)"', draw(h)._repr_mimebundle_()["text/html"]).group(1)
    assert other != key.group(1)                # two drawings on one page zoom independently
    assert draw(h)._repr_mimebundle_(include=["image/png"]).keys() == {"image/png"}
    assert "text/html" not in draw(h)._repr_mimebundle_(exclude=["text/html"])


# ---------------------------------------------------------------- the draw command
def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_command_prints_gradients_and_the_text_circuit(capsys):
    code, out, _ = run(["draw", "(x+y)*z", "x=-2", "y=5", "z=-4"], capsys)
    assert code == 0
    assert "df/dx = -4" in out and "df/dy = -4" in out and "df/dz = 3" in out
    assert "mul = -12" in out


def test_command_functions_and_max(capsys):
    code, out, _ = run(["draw", "2*(x*y+max(z,w)) + sigmoid(x) - tanh(relu(y)) + exp(log(z))",
                        "x=3", "y=-4", "z=2", "w=-1"], capsys)
    assert code == 0 and "df/dw = 0" in out


def test_command_writes_dot_without_graphviz(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", "")
    target = tmp_path / "c.dot"
    code, out, _ = run(["draw", "x*x", "x=3", "-o", str(target)], capsys)
    assert code == 0 and target.read_text().startswith("digraph")


@pytest.mark.skipif(not has_dot, reason="Graphviz's dot is not installed (CI installs it)")
def test_command_writes_svg(tmp_path, capsys):
    target = tmp_path / "circuit.svg"
    code, _, _ = run(["draw", "(x+y)*z", "x=-2", "y=5", "z=-4", "-o", str(target)], capsys)
    assert code == 0 and "<svg" in target.read_text()


@pytest.mark.parametrize("expression, message", [
    ("__import__('os').system('echo hi')", "only the functions"),
    ("x.real", "attribute access"),
    ("lambda: x", "lambdas"),
    ("x[0]", "subscripts"),
    ("x < 1", "comparisons"),
    ("open('f')", "only the functions"),
    ("sigmoid(x, x)", "1 positional argument"),
    ("max(x, y=1)", "2 positional argument"),
    ("x + q", "no value given for 'q'"),
    ("'a' + x", "constants other than numbers"),
    ("(x", "not a Python expression"),
])
def test_command_rejects_what_is_not_a_circuit(expression, message, capsys):
    code, out, err = run(["draw", expression, "x=1"], capsys)
    assert code == 2 and message in err and not out


def test_command_rejects_bad_assignments(capsys):
    assert run(["draw", "x", "x=abc"], capsys)[0] == 2
    assert run(["draw", "x", "sigmoid=1", "x=1"], capsys)[0] == 2
    assert run(["draw", "x", "x=1", "y=2"], capsys)[2].count("does not use") == 1


def test_a_gate_with_parameters_or_a_long_name_is_an_ellipse_and_a_symbol_a_circle():
    """A circle around conv2d's several lines of parameters, or around "sigmoid", would dwarf relu's."""
    import nn.functional as F
    x = Value(np.ones((1, 1, 3, 3)))
    out = (F.conv2d(x, Value(np.ones((1, 1, 2, 2))), padding=1).relu().sigmoid() * 2).sum()
    gates = [line for line in draw(out).source.splitlines() if "shape=circle" in line or "shape=ellipse" in line]
    shapes = {g: next(line for line in gates if f"label=<{g}" in line).split("shape=")[1].split()[0]
              for g in ("conv2d", "relu", "sigmoid", "× 2", "sum")}  # sum shows axis=None: a parameter
    assert shapes == {"conv2d": "ellipse", "relu": "circle", "sigmoid": "ellipse", "× 2": "circle", "sum": "ellipse"}
