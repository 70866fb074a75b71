"""`circuitgrad export`: a model written by `circuitgrad train`, as an ONNX file.

The ONNX model takes samples as the dataset gives them (a batch of any size:
the batch axis is symbolic) and returns the class scores: the run's
standardisation, (x - mean) / std, is its first two nodes, unless
--standardized-input leaves it out. Parameters keep their state_dict names.
Run the file with onnxruntime, open it in Netron, or load it back with
nn.onnx.load. Needs the `export` extra: pip install 'circuitgrad[export]'.
"""
import numpy as np

import nn
from autograd import Value
from circuitgrad import Failure, runs

HELP = "write a model saved by train as an ONNX file (onnxruntime, Netron, ...)"


def add_arguments(parser):
    """The model file, the ONNX file to write, and what goes into the graph."""
    parser.add_argument("model", help="a model.npz or checkpoint.npz written by circuitgrad train")
    parser.add_argument("-o", "--output", required=True, help="the ONNX file to write (e.g. model.onnx)")
    parser.add_argument("--opset", type=int, default=18, choices=range(18, 22), metavar="{18..21}",
                        help="the ONNX operator set version (default 18)")
    parser.add_argument("--standardized-input", action="store_true",
                        help="leave the run's standardisation out: the model takes standardised samples")


class Standardized(nn.Module):
    """A trained net after the standardisation of its run: net((x - mean) / std).
    Its parameters and buffers are the net's, under the net's own names."""

    def __init__(self, net, mean, std):
        super().__init__()
        self.net = net
        self.mean = Value(np.asarray(mean, np.float32), requires_grad=False)
        self.std = Value(np.asarray(std, np.float32), requires_grad=False)

    def forward(self, x):
        """The net's scores for raw samples x."""
        return self.net((x - self.mean) / self.std)

    def named_parameters(self, prefix="", recurse=True):
        """The net's parameters, under the net's names."""
        return self.net.named_parameters(prefix, recurse)

    def named_buffers(self, prefix=""):
        """The net's buffers, under the net's names."""
        return self.net.named_buffers(prefix)


def run(args, out=print):
    """Write the ONNX file; returns its path."""
    try:
        nn.onnx.require_onnx()
    except ImportError as e:
        raise Failure(str(e)) from None
    model, meta, standardize = runs.load(args.model)
    shape = tuple(int(n) for n in meta["input_shape"])
    graph = model if args.standardized_input else Standardized(model, standardize.mean, standardize.std)
    nn.onnx.export(graph, np.zeros((2,) + shape, np.float32), args.output, input_names=["input"],
                   output_names=["scores"], opset=args.opset)
    classes = ", ".join(str(c) for c in meta["classes"])
    what = "standardised samples" if args.standardized_input else "samples as the dataset gives them"
    out(f"wrote {args.output}: input (batch, {', '.join(map(str, shape))}) float32, {what}; "
        f"output scores (batch, {len(meta['classes'])}) for the classes {classes}")
    return args.output
