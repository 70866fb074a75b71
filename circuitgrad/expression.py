"""Arithmetic expressions over named scalars, read safely into a circuit.

`circuit("(x+y)*z", {"x": -2, "y": 5, "z": -4})` parses the text with `ast`
and builds the circuit by walking the tree. Only a whitelist of node types is
accepted: numbers, names, + - * / ** and unary minus, and calls of
sigmoid/tanh/relu/exp/log/max by their bare name. Nothing is ever passed to
eval: anything else (attribute access, subscripts, lambdas, keywords,
comparisons, other functions) is rejected with a message saying what and where.
"""
import ast
import math
import operator

from autograd import Value, maximum

BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.Pow: operator.pow}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
FUNCTIONS = {"sigmoid": (1, Value.sigmoid), "tanh": (1, Value.tanh), "relu": (1, Value.relu),
             "exp": (1, Value.exp), "log": (1, Value.log), "max": (2, maximum)}


class ExpressionError(ValueError):
    """The expression is not one this command draws."""


def circuit(text, values):
    """Build the circuit of `text` with leaves named by `values` (name -> number).
    Returns (output Value, {name: leaf Value})."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"not a Python expression: {text!r} ({e.msg})") from None
    leaves = {}
    for name, number in values.items():
        if name in FUNCTIONS:
            raise ExpressionError(f"{name!r} is a function name, not a variable")
        leaves[name] = Value(float(number), label=name)
    out = _build(tree.body, leaves, text)
    if not isinstance(out, Value):
        raise ExpressionError(f"{text!r} uses no variable: there is no circuit to draw")
    unused = sorted(set(leaves) - {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
    if unused:
        raise ExpressionError(f"values given for names the expression does not use: {', '.join(unused)}")
    return out, leaves


def _where(node, text):
    return f"at column {node.col_offset + 1} of {text!r}"


def _build(node, leaves, text):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in leaves:
            raise ExpressionError(f"no value given for {node.id!r}: add {node.id}=<number>")
        return leaves[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return BINARY[type(node.op)](_build(node.left, leaves, text), _build(node.right, leaves, text))
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](_build(node.operand, leaves, text))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError(f"only the functions {', '.join(FUNCTIONS)} may be called "
                                  f"({_where(node, text)})")
        arity, fn = FUNCTIONS[node.func.id]
        if node.keywords or len(node.args) != arity:
            raise ExpressionError(f"{node.func.id} takes {arity} positional argument(s) ({_where(node, text)})")
        args = [_build(a, leaves, text) for a in node.args]
        if not any(isinstance(a, Value) for a in args):    # constants only: plain math
            args[0] = Value(args[0], requires_grad=False)
        return fn(*args)
    what = {ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
            ast.Compare: "comparisons", ast.BoolOp: "boolean operators", ast.IfExp: "conditionals",
            ast.Constant: "constants other than numbers"}.get(type(node), type(node).__name__)
    raise ExpressionError(f"not allowed in a circuit expression: {what} ({_where(node, text)})")


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
