"""ONNX export and import: a circuit of gates is already a graph of operators.

    nn.onnx.export(model, example_input, "model.onnx")    # run it with onnxruntime, open it in Netron
    model = nn.onnx.load("model.onnx")                   # a Module: draw it, differentiate it, fine-tune it

Export traces one forward pass (in eval mode) and writes each gate as the ONNX
nodes its `onnx=` form declares, next to its forward and local gradients (the
engine's gates in autograd/gates.py, nn's fused gates in nn/gates/). Import
runs an ONNX graph with circuitgrad's gates (importer.py: one function per
operator). onnx and onnxruntime are an optional extra:
`pip install 'circuitgrad[export]'`.

    exporter.py   trace, the node builder the gates' forms call, the model proto
    importer.py   ONNXModule and the operator table
"""
from .exporter import ExportError, export, require_onnx
from .importer import ONNXModule, UnsupportedOperator, load

__all__ = ["export", "load", "ONNXModule", "ExportError", "UnsupportedOperator", "require_onnx"]
