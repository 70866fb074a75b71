"""Resampling gates: adaptive average pooling and upsampling (nearest, bilinear).

Each of them changes the size of an image one axis at a time, and along one
axis each output pixel is a fixed weighted sum of input pixels: a matrix.
With R (Ho, H) acting on the rows and C (Wo, W) on the columns of every
image and channel,

    out = R · x · Cᵀ            d/dx = Rᵀ · g · C

(a linear map's local gradient is its transpose). Only the matrices differ,
and they are built here, one row per output pixel:

    adaptive average pooling   output pixel i averages the inputs from
                               floor(i·H/Ho) to ceil((i+1)·H/Ho) - 1
                               (Ho = 1: global average pooling, every weight 1/H)
    nearest                    one 1 per row, at the input floor(i·s), s = H/Ho
                               (or 1/scale_factor when that was given)
    bilinear                   two weights per row, 1 - λ and λ, at the inputs on
                               either side of the source position
                               align_corners=False: (i + ½)·s - ½, clamped at 0
                               (pixels are squares: their centres are matched)
                               align_corners=True:  i·(H - 1)/(Ho - 1)
                               (the corner pixels' centres are matched)

as PyTorch computes them (an output as large as its input is a copy of it,
whatever the scale factor). The three gates share the two functions below;
the local gradient is written with operators, so it can be differentiated again
(create_graph=True).
"""
import numpy as np

from autograd import Gate, raw

from .layout import in_layout_of


# ---------------------------------------------------------------- the matrices
def average_matrix(size_in, size_out):
    """Adaptive average pooling along one axis: (size_out, size_in)."""
    i = np.arange(size_out)
    start, end = (i * size_in) // size_out, -((-(i + 1) * size_in) // size_out)     # floor, ceil
    columns = np.arange(size_in)
    inside = (columns >= start[:, None]) & (columns < end[:, None])
    return inside / (end - start)[:, None]


def nearest_matrix(size_in, size_out, scale_factor=None):
    """Nearest-neighbour upsampling along one axis: output i copies input floor(i·s)."""
    if size_in == size_out:
        return np.eye(size_in)
    # in float32, as PyTorch: floor(i·s) must land on the same input when i·s is close to an integer
    scale = np.float32(1 / scale_factor if scale_factor else size_in / size_out)
    source = np.minimum(np.floor(np.arange(size_out, dtype=np.float32) * scale).astype(int), size_in - 1)
    return (source[:, None] == np.arange(size_in)).astype(np.float64)


def linear_matrix(size_in, size_out, scale_factor=None, align_corners=False):
    """Linear interpolation along one axis (bilinear is this along H, then along W)."""
    if size_in == size_out:
        return np.eye(size_in)
    i = np.arange(size_out)
    if align_corners:
        source = i * ((size_in - 1) / (size_out - 1) if size_out > 1 else 0.0)
    else:
        scale = 1 / scale_factor if scale_factor else size_in / size_out
        source = np.maximum((i + 0.5) * scale - 0.5, 0.0)
    below = np.minimum(np.floor(source).astype(int), size_in - 1)
    above = np.minimum(below + 1, size_in - 1)
    weight_above = source - below
    matrix = np.zeros((size_out, size_in))
    matrix[i, below] = 1 - weight_above
    matrix[i, above] += weight_above          # (+=: at the last pixel below and above coincide)
    return matrix


# ---------------------------------------------------------------- the gates
def _resample(x, rows, cols):
    return rows @ x @ cols.T                   # matmul broadcasts over the batch and the channels


def _resample_grad(g, out, x, rows, cols):
    # With a 1 x 1 output (global pooling) Rᵀ·g·C is g times one (H, W) map of weights: a broadcast,
    # where matmul would make N·C products of tiny matrices (4 ms against 1 for 100 x 192 maps of 7 x 7)
    dx = g * (rows.T @ cols) if len(rows) == len(cols) == 1 else rows.T @ g @ cols
    if isinstance(dx, np.ndarray):            # (a Value under create_graph=True: left as it is)
        # in x's memory layout: the gates before this one (relu, batch_norm) walk their gradient
        # beside their channels-last inputs, three times slower against the grain
        dx = in_layout_of(dx, raw(x))
    return dx


def _matmul_onnx(node, x, rows, cols):
    """R·x·Cᵀ as two ONNX MatMuls with constant matrices: exact for every size and mode."""
    return node("MatMul", node("MatMul", node.constant(rows), x), node.constant(np.ascontiguousarray(cols.T)))


def _resize_onnx(mode, matrix, **modes):
    """The ONNX form of an upsampling gate: Resize when its matrices are the ones
    `matrix(size_in, size_out)` makes for a given size, else the two MatMuls."""
    def form(node, x, rows, cols):
        (h, w), (ho, wo) = node.shape(x)[2:], (len(rows), len(cols))
        for kind, options in modes.items():
            if np.allclose(rows, matrix(h, ho, **options)) and np.allclose(cols, matrix(w, wo, **options)):
                return node("Resize", x, None, None, node.ints([ho, wo]), axes=(2, 3), mode=mode,
                            coordinate_transformation_mode=kind, nearest_mode="floor")
        return _matmul_onnx(node, x, rows, cols)
    return form


_DOC = "out = R·x·Cᵀ per image and channel, R (Ho, H) and C (Wo, W) {};  d/dx = Rᵀ·g·C"

adaptive_avg_pool2d = Gate("adaptive_avg_pool2d", _resample, _resample_grad,
                           doc=_DOC.format("averaging windows of about H/Ho x W/Wo inputs"),
                           onnx=lambda node, x, rows, cols: node("GlobalAveragePool", x)
                           if len(rows) == len(cols) == 1 else _matmul_onnx(node, x, rows, cols))
upsample_nearest2d = Gate("upsample_nearest2d", _resample, _resample_grad,
                          doc=_DOC.format("copying the nearest input pixel (one 1 per row)"),
                          onnx=_resize_onnx("nearest", nearest_matrix, asymmetric={}))
upsample_bilinear2d = Gate("upsample_bilinear2d", _resample, _resample_grad,
                           doc=_DOC.format("weighting the two nearest inputs by 1 - λ and λ"),
                           onnx=_resize_onnx("linear", linear_matrix, pytorch_half_pixel={"align_corners": False},
                                             align_corners={"align_corners": True}))
