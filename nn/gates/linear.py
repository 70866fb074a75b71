"""The fully connected gate: out = x @ Wᵀ + b, as one gate.

W is (out_features, in_features) as in PyTorch; x is (..., in_features).

    d/dx = g @ W        d/dW = gᵀ @ x (leading axes flattened)        d/db = Σ g over leading axes

Written with operators, so it also runs on Values (create_graph=True).
"""
from autograd import Gate


def _linear(x, w, b):
    out = x @ w.T
    if b is not None:
        out += b
    return out


def _as_matrix(a):
    """(..., k) as (rows, k): leading axes are examples."""
    return a.reshape(-1, a.shape[-1])


def _linear_onnx(node, x, w, b):
    if len(node.shape(x)) == 2:
        return node("Gemm", x, w, b, transB=1)                 # x @ Wᵀ + b, one ONNX node
    out = node("MatMul", x, node("Transpose", w))
    return out if b is None else node("Add", out, b)


linear = Gate("linear", _linear,
              lambda g, out, x, w, b: g @ w,
              lambda g, out, x, w, b: _as_matrix(g).T @ _as_matrix(x),
              lambda g, out, x, w, b: _as_matrix(g).sum(axis=0),
              doc="out = x @ Wᵀ + b;  d/dx = g @ W, d/dW = gᵀ @ x, d/db = Σ g",
              onnx=_linear_onnx)
