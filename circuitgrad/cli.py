"""The `circuitgrad` command: subcommands dispatch to small modules of their own."""
import argparse
import sys

from circuitgrad import __version__


def main(argv=None):
    """Entry point of the `circuitgrad` console script; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="circuitgrad", description="Backpropagation as a circuit of gates.")
    parser.add_argument("--version", action="version", version=f"circuitgrad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="forward and backward through the notes' circuits")
    demo.set_defaults(run=_run_demo)

    args = parser.parse_args(argv)
    return args.run(args)


def _run_demo(args):
    from circuitgrad import demo
    demo.run(sys.stdout)
    return 0
