"""The `circuitgrad` command. Each subcommand is a small module of its own with
`add_arguments(parser)` and `run(args)`: demo.py, drawing.py (draw), train.py,
evaluate.py, sample.py, export.py. This module builds the parser and keeps every mistake a user can
make (a bad option, the library's errors, a file that cannot be read or
written) to one line on stderr and exit status 2: never a traceback. Set
CIRCUITGRAD_TRACEBACK=1 to see the traceback of such an error anyway."""
import argparse
import os
import sys

from circuitgrad import Failure, __version__, demo, drawing, evaluate, export, sample, train

SUBCOMMANDS = {"demo": demo, "draw": drawing, "train": train, "evaluate": evaluate, "sample": sample, "export": export}
# What the library raises for bad input (ValueError: FileFormatError, DataError,
# ExpressionError...; TypeError; ArithmeticError: an overflow), and OSError for files.
USER_ERRORS = (ValueError, TypeError, ArithmeticError, OSError)


class Parser(argparse.ArgumentParser):
    """argparse, with a bad option reported in one line (--help shows the usage)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser():
    """The `circuitgrad` command's argument parser, with every subcommand
    (the site's command-line reference is generated from it)."""
    parser = Parser(prog="circuitgrad", description="Backpropagation as a circuit of gates.")
    parser.add_argument("--version", action="version", version=f"circuitgrad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, module in SUBCOMMANDS.items():
        command = commands.add_parser(name, help=module.HELP, description=module.__doc__.split("\n\n")[0])
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv=None):
    """Entry point of the `circuitgrad` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
        return 0
    except Failure as e:
        return _report(args, e, e.status)
    except KeyboardInterrupt:
        return _report(args, "interrupted", 130)
    except USER_ERRORS as e:
        if os.environ.get("CIRCUITGRAD_TRACEBACK"):
            raise
        return _report(args, e, 2)


def _report(args, error, status):
    message = " ".join(str(error).split()) or type(error).__name__
    print(f"circuitgrad {args.command}: {message}", file=sys.stderr)
    return status
