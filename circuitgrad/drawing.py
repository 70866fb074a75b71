"""`circuitgrad draw`: run an arithmetic expression over named scalars forward
and backward, print each input's gradient and draw the circuit.

    circuitgrad draw "(x+y)*z" x=-2 y=5 z=-4 -o circuit.svg
    circuitgrad draw "2*(x*y+max(z,w))" x=3 y=-4 z=2 w=-1      # no -o: the circuit as text
"""
import pathlib

import graphviz

from autograd import draw, draw_text
from autograd.storage import atomic_write
from circuitgrad import Failure
from circuitgrad.expression import circuit, parse_assignment

HELP = "draw the circuit of an expression with its values and gradients"


def add_arguments(parser):
    """The expression, its values, and where to draw it."""
    parser.add_argument("expression", help="+ - * / ** and sigmoid tanh relu exp log max of named values")
    parser.add_argument("values", nargs="*", metavar="name=value")
    parser.add_argument("-o", "--output", help="file to write; the format is its extension "
                        "(svg, png, pdf, ...; .dot or .gv for DOT text, which needs no Graphviz)")
    parser.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"])


def run(args, out=print):
    """Compute, print the gradients, and draw (to a file, atomically, or as text)."""
    f, leaves = circuit(args.expression, dict(parse_assignment(v) for v in args.values))
    f.backward()
    out(f"f = {args.expression} = {f.data:.6g}")
    for name, leaf in leaves.items():
        out(f"  df/d{name} = {leaf.grad:.6g}")
    if not args.output:
        out(draw_text(f))
        return 0
    path = pathlib.Path(args.output)
    picture = draw(f, rankdir=args.rankdir)
    fmt = path.suffix.lstrip(".").lower() or "svg"
    if fmt in ("dot", "gv"):
        content = picture.source.encode()
    else:
        try:
            content = picture.pipe(format=fmt)
        except graphviz.ExecutableNotFound as e:
            raise Failure(str(e)) from None
    with atomic_write(path) as file:
        file.write(content)
    out(f"wrote {path}")
    return 0
