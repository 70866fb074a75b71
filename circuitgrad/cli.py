"""The `circuitgrad` command: subcommands dispatch to small modules of their own."""
import argparse
import sys

from circuitgrad import __version__


def main(argv=None):
    """Entry point of the `circuitgrad` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)


def build_parser():
    """The `circuitgrad` command's argument parser, with every subcommand
    (the site's command-line reference is generated from it)."""
    parser = argparse.ArgumentParser(
        prog="circuitgrad", description="Backpropagation as a circuit of gates.")
    parser.add_argument("--version", action="version", version=f"circuitgrad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="forward and backward through the notes' circuits")
    demo.set_defaults(run=_run_demo)

    draw = commands.add_parser(
        "draw", help="draw the circuit of an expression with its values and gradients",
        description="Run an arithmetic expression over named scalars forward and backward, print "
                    "each input's gradient and draw the circuit. Example: "
                    "circuitgrad draw \"(x+y)*z\" x=-2 y=5 z=-4 -o circuit.svg")
    draw.add_argument("expression", help="+ - * / ** and sigmoid tanh relu exp log max of named values")
    draw.add_argument("values", nargs="*", metavar="name=value")
    draw.add_argument("-o", "--output", help="file to write; the format is its extension "
                      "(svg, png, pdf, ...; .dot or .gv for DOT text, which needs no Graphviz)")
    draw.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"])
    draw.set_defaults(run=_run_draw)

    train = commands.add_parser("train", help="train a net on real data (the notes' workflow)")
    evaluate = commands.add_parser("evaluate", help="accuracy of a model saved by train")
    from circuitgrad import train_options
    train_options.add_arguments(train, evaluate)
    train.set_defaults(run=_run_train)
    evaluate.set_defaults(run=_run_evaluate)

    return parser


def _run_draw(args):
    import pathlib

    from autograd import draw, draw_text
    from circuitgrad.expression import ExpressionError, circuit, parse_assignment
    try:
        out, leaves = circuit(args.expression, dict(parse_assignment(v) for v in args.values))
        out.backward()
    except (ExpressionError, ArithmeticError) as e:
        print(f"circuitgrad draw: {e}", file=sys.stderr)
        return 2
    print(f"f = {args.expression} = {out.data:.6g}")
    for name, leaf in leaves.items():
        print(f"  df/d{name} = {leaf.grad:.6g}")
    if not args.output:
        print(draw_text(out))
        return 0
    path = pathlib.Path(args.output)
    picture = draw(out, rankdir=args.rankdir)
    fmt = path.suffix.lstrip(".").lower()
    if fmt in ("dot", "gv"):
        path.write_text(picture.source)
    else:
        try:
            path.write_bytes(picture.pipe(format=fmt or "svg"))
        except Exception as e:            # no `dot`, or a format Graphviz does not know
            print(f"circuitgrad draw: {e}", file=sys.stderr)
            return 1
    print(f"wrote {path}")
    return 0


def _run_train(args):
    from circuitgrad.train import run_train
    from nn.data import DataError
    try:
        run_train(args)
    except (DataError, ValueError) as e:
        print(f"circuitgrad train: {e}", file=sys.stderr)
        return 2
    return 0


def _run_evaluate(args):
    from circuitgrad.train import run_evaluate
    from nn.data import DataError
    try:
        run_evaluate(args)
    except (DataError, ValueError, OSError) as e:
        print(f"circuitgrad evaluate: {e}", file=sys.stderr)
        return 2
    return 0


def _run_demo(args):
    from circuitgrad import demo
    demo.run(sys.stdout)
    return 0
