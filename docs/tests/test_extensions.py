"""The site's own Sphinx extensions (docs/_ext), piece by piece, without a build."""
import io
import types

import numpy as np
from docutils import nodes
from docutils.core import publish_doctree

import api_reference
import gate_table
import widget_snapshots
from autograd import Gate, gates
import checks
from checks import broken_links
from plain_docstrings import to_rst


# ---------------------------------------------------------------- the gate table
def test_a_gate_doc_splits_into_its_formula_and_one_line_per_local_gradient():
    assert gate_table.split_doc(gates.div.__doc__) == ("a / b", ["d/da = 1/b", "d/db = -a/b² = -out/b"])
    assert gate_table.split_doc("min(max(x, lo), hi);  d/dx = 1 where lo <= x <= hi, else 0") == \
        ("min(max(x, lo), hi)", ["d/dx = 1 where lo <= x <= hi, else 0"])
    forward, cases = gate_table.split_doc(
        "out = γ·x̂ + β;  in training (μ, σ² of the batch): d/dx = A; in eval: d/dx = B;  d/dγ = C, d/dβ = D")
    assert forward == "out = γ·x̂ + β"
    assert cases == ["in training (μ, σ² of the batch): d/dx = A", "in eval: d/dx = B", "d/dγ = C", "d/dβ = D"]
    # a ";" inside the forward formula is not the separator (two spaces follow it)
    assert gate_table.split_doc("out = f(xp) (xp: x zero-padded; padding = p);  d/dx = g")[0] == \
        "out = f(xp) (xp: x zero-padded; padding = p)"
    for doc in ("The softplus gate.", "log(1 + e^x)", "a + b;  ", None):
        assert gate_table.split_doc(doc) is None


def test_the_inputs_of_a_gate_are_named_by_its_doc():
    assert gate_table.operand_names(["d/da = b", "d/db = a"]) == ["a", "b"]
    assert gate_table.operand_names(["d/dx_j = p (j ≠ y)", "d/dx_y = -Σ"]) == ["x"]
    assert gate_table.operand_names(["in eval: d/dx = g·γ", "d/dγ = Σ g·x̂"]) == ["x", "γ"]


def test_a_gate_without_an_example_is_drawn_on_small_arrays_when_it_can_be():
    softplus = Gate("softplus", lambda z: np.logaddexp(0, z), lambda g, out, z: g * gates.sigmoid(z),
                    doc="log(1 + e^z);  d/dz = σ(z)")
    out, grad, (z,) = gate_table.worked_example("softplus", softplus, ["d/dz = σ(z)"])
    assert z.label == "z" and np.allclose(z.grad, 1 / (1 + np.exp(-z.data)))     # σ(z), with g = 1
    assert np.array_equal(grad, np.ones(3))
    needs_an_axis = Gate("spread", lambda x, axis: x - x.mean(axis), lambda g, out, x, axis: g,
                         doc="x - mean;  d/dx = 1")
    assert gate_table.worked_example("spread", needs_an_axis, ["d/dx = 1"]) is None


def test_the_chosen_examples_draw_values_and_gradients():
    out, grad, (a, b) = gate_table.worked_example("mul", gates.mul, ["d/da = b", "d/db = a"])
    assert (a.data, b.data, out.data) == (3.0, -4.0, -12.0)
    assert (a.grad, b.grad, grad) == (-4.0, 3.0, 1.0)                   # the mul gate swaps


# ---------------------------------------------------------------- plain-text docstrings
def rendered(lines):
    """The docstring as reStructuredText, parsed: (its text, docutils' complaints)."""
    # warnings and worse become system messages in the tree (transforms' too), none is printed
    tree = publish_doctree("\n".join(to_rst(lines)), settings_overrides={
        "report_level": 2, "halt_level": 5, "warning_stream": io.StringIO()})
    complaints = [m.astext() for m in tree.findall(lambda n: isinstance(n, (nodes.system_message,
                                                                             nodes.problematic)))]
    return tree, complaints


def test_a_plain_docstring_shows_as_written():
    lines = ["|x| and a*b*c, kaiming_normal_ and x_i, `Value(data)` and `g`s, [1]_ <here>:",
             "the next line of the same paragraph.",
             "    >>> x = Value(2.0)",
             "    >>> x * 3",
             "",
             "* a bullet",
             "    continued further in",
             "* another",
             "",
             "1. first, its line",
             "   broken here",
             "2. second",
             "",
             "    d/dx = γ/√(σ² + ε)     (an aligned table)",
             "",
             "    out = γ·x̂ + β",
             "Closing prose."]
    tree, complaints = rendered(lines)
    assert complaints == []
    text = tree.astext()
    assert "|x| and a*b*c, kaiming_normal_ and x_i, Value(data) and gs, [1]_ <here>:" in text
    literals = [n.astext() for n in tree.findall(nodes.literal_block)]
    assert literals[0] == ">>> x = Value(2.0)\n>>> x * 3"
    assert literals[1] == "d/dx = γ/√(σ² + ε)     (an aligned table)\n\nout = γ·x̂ + β"
    assert [n.astext() for n in tree.findall(nodes.literal)] == ["Value(data)", "g"]
    items = [" ".join(i.astext().split()) for i in tree.findall(nodes.list_item)]
    assert items == ["a bullet continued further in", "another", "first, its line broken here", "second"]
    assert [e["enumtype"] for e in tree.findall(nodes.enumerated_list)] == ["arabic"]
    assert "Closing prose." in text


def test_every_docstring_of_the_packages_parses_without_complaint():
    for package in ("autograd", "nn", "optim"):
        for name in api_reference.public_modules(package):
            module = __import__(name, fromlist=["_"])
            docs = [module.__doc__] + [getattr(module, n).__doc__ for n in api_reference.public_names(module)]
            for doc in filter(None, docs):
                assert rendered(doc.expandtabs().splitlines())[1] == [], (name, doc[:60])


# ---------------------------------------------------------------- the API pages
def test_a_module_offers_its_all_or_what_it_defines_but_no_gates_or_modules():
    module = types.ModuleType("fake")
    exec("import os\nfrom autograd import Gate\n"
         "def shown(): 'doc'\ndef _hidden(): pass\nclass Shown: 'doc'\nCONSTANT = 3\n"
         "gate = Gate('g', abs, lambda g, out, x: g, doc='|x|;  d/dx = sign x')", module.__dict__)
    assert api_reference.public_names(module) == ["shown", "Shown"]
    module.__all__ = ["CONSTANT", "os", "gate", "_hidden"]
    assert api_reference.public_names(module) == ["CONSTANT", "_hidden"]


def test_the_public_modules_are_found_with_packages_first():
    found = api_reference.public_modules("nn")
    assert found[0] == "nn" and "nn.functional" in found and "nn.layers.linear" in found
    assert found.index("nn.layers") < found.index("nn.layers.linear")
    assert not any(part.startswith("_") for name in found for part in name.split("."))


# ---------------------------------------------------------------- interactive cells
def test_a_widget_snapshot_names_its_controls_and_shows_its_output():
    models = {
        "box": {"state": {"children": ["IPY_MODEL_w0", "IPY_MODEL_unnamed", "IPY_MODEL_out"]}},
        "w0": {"state": {"description": "w0", "value": 2.0}},
        "unnamed": {"state": {"description": "", "value": 5}},
        "out": {"state": {"outputs": [{"output_type": "display_data",
                                       "data": {"text/html": "<svg>drawn</svg>", "text/plain": "<Circuit>"}},
                                      {"output_type": "stream", "text": "printed\n"}]}},
    }
    assert widget_snapshots.controls(widget_snapshots.descendants(models, "box")) == ["w0 = 2.0"]
    note, html, stream = widget_snapshots.snapshot(models, "box")
    assert "make lessons" in note.astext() and "w0 = 2.0" in note.astext()
    assert html.astext() == "<svg>drawn</svg>" and stream.astext() == "printed\n"


# ---------------------------------------------------------------- links
def test_a_link_to_a_missing_page_file_or_anchor_is_broken(tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="api/nn.html#nn.Linear">ok</a> <a href="api/nn.html#nn.Nothing">no anchor</a>'
        '<a href="gone.html">no page</a> <img src="_static/x.png"> <a href="https://example.org/">out</a>'
        '<a href="#top">self</a> <a id="top"></a> <a href="data:,x">data</a> <a href="../outside.html">up</a>')
    (tmp_path / "api" / "nn.html").write_text('<dt id="nn.Linear"></dt><a href="../index.html#top">back</a>')
    broken, external = broken_links(tmp_path)
    assert sorted(broken) == [("index.html", "../outside.html"), ("index.html", "_static/x.png"),
                              ("index.html", "api/nn.html#nn.Nothing"), ("index.html", "gone.html")]
    assert external == {"https://example.org/"}


# ---------------------------------------------------------------- docstrings required
def test_a_public_name_without_its_own_docstring_is_reported(monkeypatch):
    said = []
    monkeypatch.setattr(checks.logger, "warning", said.append)

    class Documented:
        "A class with a docstring."

    class Bare(Documented):                     # autodoc would show Documented's docstring
        pass

    checks.require_docstring(None, "class", "m.Bare", Bare, {}, ["A class with a docstring."])
    checks.require_docstring(None, "class", "m.Documented", Documented, {}, ["A class with a docstring."])
    checks.require_docstring(None, "function", "m.f", len, {}, ["", "  "])
    checks.require_docstring(None, "method", "m.C.g", len, {}, ["Has one."])
    checks.require_docstring(None, "function", "m._private", len, {}, [])
    checks.require_docstring(None, "attribute", "m.C.x", 3, {}, [])
    assert said == ["missing docstring: class m.Bare", "missing docstring: function m.f"]


# ---------------------------------------------------------------- the lesson cache
def test_the_lesson_cache_is_emptied_when_the_library_changes(tmp_path):
    from lesson_cache import follow_code
    (tmp_path / "nn").mkdir()
    source = tmp_path / "nn" / "layer.py"
    source.write_text("SIZE = 1\n")
    cache = tmp_path / "_build" / ".jupyter_cache"
    assert not follow_code(cache, tmp_path)                   # a new cache: nothing to forget
    (cache / "executed").mkdir()
    assert not follow_code(cache, tmp_path) and (cache / "executed").is_dir()    # same code: kept
    source.write_text("SIZE = 2\n")
    assert follow_code(cache, tmp_path) and not (cache / "executed").exists()    # changed: emptied
    (cache / "executed").mkdir()
    (cache / "circuitgrad-sources.sha256").unlink()
    assert follow_code(cache, tmp_path) and not (cache / "executed").exists()    # unknown origin: emptied
