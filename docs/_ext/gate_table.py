"""The gate table page: every gate of a TABLE with its forward formula, its local
gradients and the drawing of a worked example.

    ```{gate-table} autograd.gates
    ```

The directive walks `<module>.TABLE` (`autograd.gates.TABLE`, `nn.gates.TABLE`):
nothing lists the gates here, so a gate added to a table is on the page at the
next build. It uses only what every gate shows from outside: its name, its doc,
written "forward formula;  d/dx = ..., d/dy = ...", and calling it
(gate_examples.py chooses the inputs of the drawings). A gate whose doc has no
local gradients after ";  " fails the build, as a missing docstring does.
"""
import importlib
import re
import warnings

import numpy as np
from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import gate_examples
from autograd import draw
from autograd.draw import fit_to_width

logger = logging.getLogger(__name__)
SEPARATOR = ";  "                  # between the forward formula and the local gradients


def split_doc(doc):
    """(forward formula, [local gradients]) from a gate's doc "formula;  d/dx = ..., d/dy = ...";
    None when the doc does not have that form."""
    forward, separator, gradients = (doc or "").strip().partition(SEPARATOR)
    if not separator or not gradients.strip():
        return None
    # one item per input ("d/da = 1/b, d/db = ..."), and per case ("in training: ...; in eval: ...")
    return forward.strip(), [part.strip() for part in re.split(r";\s+|,\s+(?=d/d)", gradients.strip())
                             if part.strip()]


def operand_names(gradients):
    """The inputs a doc differentiates by, in order: "d/da = ..., d/db = ..." -> ["a", "b"]."""
    names = []
    for name in re.findall(r"d/d([^\W\d_]+)", " ".join(gradients)):
        if name not in names:
            names.append(name)
    return names


def worked_example(name, gate, gradients):
    """(output Value, the gradient sent back, the arguments) of the gate's example, or None
    without one."""
    chosen = gate_examples.EXAMPLES.get(name)
    if chosen is not None:
        example = chosen()
    else:                          # no entry: try small arrays named as the doc names the inputs
        names = operand_names(gradients) or ["x"]
        example = gate_examples.Example(*(gate_examples.v([0.5, 1.5, 2.5], n) for n in names))
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = gate(*example.arguments)
            grad = example.grad
            if grad is None and np.ndim(out.data):
                grad = np.ones(np.shape(out.data))
            out.backward(grad)
    except Exception as error:
        if chosen is not None:     # the chosen example no longer fits the gate: say so, fail the build
            logger.warning(f"gate table: the worked example of {name!r} in docs/_ext/gate_examples.py "
                           f"fails: {type(error).__name__}: {error}")
        return None
    return out, (1.0 if grad is None else grad), example.arguments


def formula(text):
    """A formula from a doc as an inline node, its "d/dx" in bold."""
    node = nodes.inline(classes=["gate-formula"])
    position = 0
    for match in re.finditer(r"d/d[^\s=]+", text):
        node += nodes.Text(text[position:match.start()])
        node += nodes.strong(text=match.group(0))
        position = match.end()
    node += nodes.Text(text[position:])
    return node


def gradients_list(gradients):
    items = nodes.bullet_list(classes=["gate-gradients"])
    for gradient in gradients:
        items += nodes.list_item("", nodes.paragraph("", "", formula(gradient)))
    return items


def table_of(rows):
    """A docutils table from rows of cells (lists of nodes); the first row is the header."""
    table = nodes.table(classes=["gate-summary"])
    group = nodes.tgroup(cols=len(rows[0]))
    table += group
    for width in (18, 38, 44):
        group += nodes.colspec(colwidth=width)
    for part, part_rows in ((nodes.thead(), rows[:1]), (nodes.tbody(), rows[1:])):
        for cells in part_rows:
            row = nodes.row()
            for cell in cells:
                entry = nodes.entry()
                entry += cell
                row += entry
            part += row
        group += part
    return table


def shown(grad):
    """The gradient sent back from the output, as the page says it."""
    if np.ndim(grad) == 0:
        return f"{float(grad):g}"
    return "[" + ", ".join(f"{g:g}" for g in np.ravel(grad)) + "]"


class GateTable(SphinxDirective):
    """`{gate-table} module`: the gates of module.TABLE, a summary table and a section per gate."""

    required_arguments = 1

    def run(self):
        module_name = self.arguments[0]
        table = importlib.import_module(module_name).TABLE
        prefix = module_name.split(".")[0]
        header = [nodes.paragraph(text=t) for t in ("gate", "forward", "local gradients")]
        rows, sections = [header], []
        for key, gate in table.items():
            name = getattr(gate, "name", key)          # concatenate/stack: gate factories, by their key
            anchor = nodes.make_id(f"{prefix}-{name}")
            parts = split_doc(gate.__doc__)
            if parts is None:
                logger.warning(f"gate table: the doc of gate {name!r} in {module_name} has no local gradients "
                               f"(write it as 'forward formula;  d/dx = ...'): {gate.__doc__!r}",
                               location=(self.env.docname, self.lineno))
                continue
            forward, gradients = parts
            link = nodes.paragraph()
            link += nodes.reference("", "", nodes.literal(text=name), internal=True, refid=anchor)
            rows.append([link, nodes.paragraph("", "", formula(forward)), gradients_list(gradients)])
            sections.append(self.section(module_name, name, anchor, gate, forward, gradients))
        return [table_of(rows)] + sections

    def section(self, module_name, name, anchor, gate, forward, gradients):
        section = nodes.section(ids=[anchor], classes=["gate"])
        section += nodes.title("", "", nodes.literal(text=name))
        line = nodes.paragraph()
        line += nodes.emphasis(text="forward ")
        line += formula(forward)
        section += line
        section += gradients_list(gradients)
        example = worked_example(name, gate, gradients)
        if example is None:
            logger.info(f"gate table: no worked example for {name!r} ({module_name}); "
                        f"add one in docs/_ext/gate_examples.py")
            section += nodes.paragraph(text="No worked example yet: add one in docs/_ext/gate_examples.py.",
                                       classes=["gate-no-example"])
            return section
        out, grad, _ = example
        section += nodes.raw("", fit_to_width(draw(out).pipe(format="svg", encoding="utf-8")), format="html")
        section += nodes.paragraph(
            text=f"Worked example: the gradient {shown(grad)} arrives at the output; each input's "
                 f"gradient (red) is that gradient times the gate's local gradient.",
            classes=["gate-example-caption"])
        return section


def check_examples(app):
    """A worked example for a gate that no table has any more is stale: fail the build."""
    names = {getattr(g, "name", k) for module in app.config.gate_tables
             for k, g in importlib.import_module(module).TABLE.items()}
    for stale in sorted(set(gate_examples.EXAMPLES) - names):
        logger.warning(f"gate table: docs/_ext/gate_examples.py has an example for {stale!r}, "
                       f"which is in none of {app.config.gate_tables}")


def setup(app):
    app.add_config_value("gate_tables", ["autograd.gates", "nn.gates"], "env")
    app.add_directive("gate-table", GateTable)
    app.connect("builder-inited", check_examples)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
