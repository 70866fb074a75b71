"""Arithmetic expressions over named scalars, read safely into a circuit.

`circuit("(x+y)*z", {"x": -2, "y": 5, "z": -4})` parses the text with `ast`
and builds the circuit by walking the tree. Only a whitelist of node types is
accepted: numbers, names, + - * / ** and unary minus, and calls of
sigmoid/tanh/relu/exp/log/max by their bare name. Nothing is ever passed to
eval: anything else (attribute access, subscripts, lambdas, keywords,
comparisons, other functions) is rejected with a message saying what and where.
The walk keeps its own stack (a sum of thousands of terms is fine), and every
problem, arithmetic ones included, is an ExpressionError.
"""
import ast
import math
import operator

import numpy as np

from autograd import Value, maximum

BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.Pow: operator.pow}
UNARY = {ast.USub: operator.neg, ast.UAdd: lambda x: x}
FUNCTIONS = {"sigmoid": (1, Value.sigmoid), "tanh": (1, Value.tanh), "relu": (1, Value.relu),
             "exp": (1, Value.exp), "log": (1, Value.log), "max": (2, maximum)}
MAX_LENGTH = 20_000          # characters: Python's own parser gives up on deeper nesting


class ExpressionError(ValueError):
    """The expression is not one this command draws, or cannot be computed."""


def circuit(text, values):
    """Build the circuit of `text` with leaves named by `values` (name -> number).
    Returns (output Value, {name: leaf Value})."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text):,} characters long; at most {MAX_LENGTH:,}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"not a Python expression: {text!r:.80} ({e.msg})") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply for Python's parser") from None
    leaves = {}
    for name, number in values.items():
        if name in FUNCTIONS:
            raise ExpressionError(f"{name!r} is a function name, not a variable")
        leaves[name] = Value(float(number), label=name)
    with np.errstate(all="ignore"):                   # an inf or a nan is reported, not warned about
        try:
            out = _build(tree.body, leaves, text)
        except (ArithmeticError, TypeError, ValueError) as e:
            if isinstance(e, ExpressionError):
                raise
            reason = "a number is too large for a float" if isinstance(e, OverflowError) else e
            raise ExpressionError(f"cannot compute {text!r:.80}: {reason}") from None
    if not isinstance(out, Value):
        raise ExpressionError(f"{text!r:.80} uses no variable: there is no circuit to draw")
    unused = sorted(set(leaves) - {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
    if unused:
        raise ExpressionError(f"values given for names the expression does not use: {', '.join(unused)}")
    return out, leaves


def _build(root, leaves, text):
    """The value of the tree: its nodes in post-order with an explicit stack
    (children first), each turned into a number or a Value once its children are."""
    done = {}                                         # id(node) -> its number or Value
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node, text)
        if not children_done and children:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        done[id(node)] = _combine(node, [done[id(c)] for c in children], leaves, text)
    return done[id(root)]


def _children(node, text):
    """The sub-expressions of an allowed node; a disallowed node raises."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float) or isinstance(node, ast.Name):
        return []
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return [node.operand]
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError(f"only the functions {', '.join(FUNCTIONS)} may be called "
                                  f"({_where(node, text)})")
        arity = FUNCTIONS[node.func.id][0]
        if node.keywords or len(node.args) != arity:
            raise ExpressionError(f"{node.func.id} takes {arity} positional argument(s) ({_where(node, text)})")
        return list(node.args)
    what = {ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
            ast.Compare: "comparisons", ast.BoolOp: "boolean operators", ast.IfExp: "conditionals",
            ast.Constant: "constants other than numbers"}.get(type(node), type(node).__name__)
    raise ExpressionError(f"not allowed in a circuit expression: {what} ({_where(node, text)})")


def _combine(node, args, leaves, text):
    if isinstance(node, ast.Constant):
        number = float(node.value)                    # an int too big for a float: OverflowError
        if not math.isfinite(number):
            raise ExpressionError(f"the number {node.value!r:.40} is not finite ({_where(node, text)})")
        return number
    if isinstance(node, ast.Name):
        if node.id not in leaves:
            raise ExpressionError(f"no value given for {node.id!r}: add {node.id}=<number>")
        return leaves[node.id]
    if isinstance(node, ast.BinOp):
        return BINARY[type(node.op)](*args)
    if isinstance(node, ast.UnaryOp):
        return UNARY[type(node.op)](args[0])
    fn = FUNCTIONS[node.func.id][1]
    if not any(isinstance(a, Value) for a in args):   # constants only: plain math
        args[0] = Value(args[0], requires_grad=False)
    return fn(*args)


def _where(node, text):
    return f"at column {node.col_offset + 1} of {text!r:.80}"


def parse_assignment(text):
    """'x=-2' -> ('x', -2.0)."""
    name, sep, number = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ExpressionError(f"expected name=number, got {text!r}")
    try:
        value = float(number)
    except ValueError:
        raise ExpressionError(f"not a number in {text!r}") from None
    if not math.isfinite(value):
        raise ExpressionError(f"{text!r}: the value must be finite")
    return name.strip(), value
