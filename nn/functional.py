"""nn.functional: the layers and losses as functions, with PyTorch's signatures.

Each function checks its arguments (shapes, channels, label ranges), turns
PyTorch's conveniences (an int for a pair, padding='same', stride=None) into
explicit tuples, and calls one fused gate of nn.gates (or of the engine). An
error names the function and the shapes involved. Inputs are Values or numpy
arrays (arrays are constants); the result is a Value when any input is one.
"""
import math
import numbers

import numpy as np

from autograd import gates as engine
from autograd import random, raw

from . import checks, gates

__all__ = ["linear", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "batch_norm",
           "dropout", "relu", "leaky_relu", "prelu", "elu", "sigmoid", "tanh", "softmax",
           "log_softmax", "cross_entropy", "multi_margin_loss", "binary_cross_entropy_with_logits",
           "binary_cross_entropy", "mse_loss", "l1_loss", "adaptive_avg_pool2d", "interpolate", "embedding",
           "layer_norm", "scaled_dot_product_attention"]


# ---------------------------------------------------------------- linear and convolution
def linear(input, weight, bias=None):
    """y = x @ Wᵀ + b; x (..., in_features), W (out_features, in_features), b (out_features,)."""
    w_shape, x_shape = checks.shape_of(weight), checks.shape_of(input)
    if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[1]:
        raise ValueError(f"linear: input {x_shape} does not fit weight {w_shape} "
                         f"(need input (..., {w_shape[-1] if w_shape else '?'}) and a 2-D weight)")
    checks.vector("linear", "bias", bias, w_shape[0], x_shape)
    return gates.linear(input, weight, bias)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch), NCHW:
    out[n,o,y,x] = b[o] + Σ_{c,i,j} w[o,c,i,j]·x_padded[n, c, y·s + i·d, x·s + j·d].

    weight (O, C/groups, kh, kw); padding an int, a pair, 'valid' or 'same';
    output size (W - F + 2P)/S + 1 per axis with F = d·(k - 1) + 1. One fused
    gate: im2col and one matmul (at stride 1 with 8 to 32 channels, one matmul
    per kernel offset instead: see nn/gates/conv.py). groups > 1 splits the
    channels into groups, each output channel seeing only its group's inputs
    (groups = C: depthwise); see _block_diagonal."""
    x_shape = checks.four_d("conv2d", input)
    w_shape = checks.four_d("conv2d", weight, "weight")
    groups = checks.integer("conv2d", "groups", groups, minimum=1)
    if x_shape[1] % groups or w_shape[0] % groups:
        raise ValueError(f"conv2d: groups={groups} must divide the input's {x_shape[1]} channels and the "
                         f"weight's {w_shape[0]} output channels (input {x_shape}, weight {w_shape})")
    if x_shape[1] != w_shape[1] * groups:
        grouped = f" ({groups} groups of {w_shape[1]})" if groups > 1 else ""
        raise ValueError(f"conv2d: input {x_shape} has {x_shape[1]} channels but weight {w_shape} "
                         f"expects {w_shape[1] * groups}{grouped}")
    checks.vector("conv2d", "bias", bias, w_shape[0], x_shape)
    stride, dilation = checks.pair("conv2d", "stride", stride), checks.pair("conv2d", "dilation", dilation)
    pad = checks.conv_padding("conv2d", padding, w_shape[2:], stride, dilation)
    checks.window_fits("conv2d", x_shape, w_shape[2:], stride, pad, dilation)
    if groups > 1:
        weight = _block_diagonal(weight, groups)
    return gates.conv2d(input, weight, bias, stride, pad, dilation)


def _block_diagonal(weight, groups):
    """A grouped convolution as an ordinary one: its weight (O, C/G, kh, kw)
    placed in an (O, C, kh, kw) weight that is zero wherever an output channel
    and an input channel belong to different groups (block diagonal in O x C).
    Built with slicing and concatenate gates, so the gradient reaches the
    grouped weight; simple, not fast: the convolution does G times the
    arithmetic a grouped one needs (the zeros are multiplied too)."""
    o, c_group = checks.shape_of(weight)[:2]
    per_group, rest = o // groups, checks.shape_of(weight)[2:]
    dtype = raw(weight).dtype
    blocks = []
    for g in range(groups):                        # a loop over groups of channels, not over pixels
        before = np.zeros((per_group, g * c_group) + rest, dtype)
        after = np.zeros((per_group, (groups - 1 - g) * c_group) + rest, dtype)
        blocks.append(engine.concatenate([before, weight[g * per_group:(g + 1) * per_group], after], axis=1))
    return engine.concatenate(blocks, axis=0)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution ("deconvolution", the upsampling layer): the
    gradient of conv2d with respect to its input, as a layer. weight
    (C_in, C_out, kh, kw); output size (H - 1)·s - 2p + d·(k - 1) + output_padding + 1."""
    x_shape = checks.four_d("conv_transpose2d", input)
    w_shape = checks.four_d("conv_transpose2d", weight, "weight")
    if groups != 1:
        raise NotImplementedError(f"conv_transpose2d: groups={groups} is not supported (only groups=1)")
    if x_shape[1] != w_shape[0]:
        raise ValueError(f"conv_transpose2d: input {x_shape} has {x_shape[1]} channels but weight "
                         f"{w_shape} expects {w_shape[0]}")
    checks.vector("conv_transpose2d", "bias", bias, w_shape[1], x_shape)
    stride = checks.pair("conv_transpose2d", "stride", stride)
    dilation = checks.pair("conv_transpose2d", "dilation", dilation)
    ph, pw = checks.pair("conv_transpose2d", "padding", padding, minimum=0)
    extra = checks.pair("conv_transpose2d", "output_padding", output_padding, minimum=0)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than the stride "
                         f"{stride} or the dilation {dilation}")
    out_hw = tuple((x_shape[2 + a] - 1) * stride[a] - 2 * (ph, pw)[a] + dilation[a] * (w_shape[2 + a] - 1)
                   + extra[a] + 1 for a in (0, 1))
    if min(out_hw) < 1:
        raise ValueError(f"conv_transpose2d: input {x_shape} with weight {w_shape}, stride {stride}, "
                         f"padding {(ph, pw)} gives an empty output {out_hw}")
    return gates.conv_transpose2d(input, weight, bias, stride, (ph, ph, pw, pw), dilation, out_hw)


# ---------------------------------------------------------------- pooling
def _pool_args(input, kernel_size, stride, padding, op):
    x_shape = checks.four_d(op, input)
    kernel = checks.pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None else checks.pair(op, "stride", stride)
    ph, pw = checks.pair(op, "padding", padding, minimum=0)
    if ph > kernel[0] // 2 or pw > kernel[1] // 2:
        raise ValueError(f"{op}: padding {(ph, pw)} must be at most half the kernel {kernel}")
    return x_shape, kernel, stride, (ph, ph, pw, pw)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1):
    """Max over each kh x kw window (stride defaults to the kernel; padding is
    -inf). Backward routes each window's gradient to its maximum; ties go to
    the first maximum in row-major order."""
    x_shape, kernel, stride, pad = _pool_args(input, kernel_size, stride, padding, "max_pool2d")
    dilation = checks.pair("max_pool2d", "dilation", dilation)
    checks.window_fits("max_pool2d", x_shape, kernel, stride, pad, dilation)
    return gates.max_pool2d(input, kernel, stride, pad, dilation)


def avg_pool2d(input, kernel_size, stride=None, padding=0, *, count_include_pad=True):
    """Mean over each kh x kw window (stride defaults to the kernel; padding is
    zeros, counted in the divisor unless count_include_pad=False)."""
    x_shape, kernel, stride, pad = _pool_args(input, kernel_size, stride, padding, "avg_pool2d")
    checks.window_fits("avg_pool2d", x_shape, kernel, stride, pad, (1, 1))
    return gates.avg_pool2d(input, kernel, stride, pad, bool(count_include_pad))


# ---------------------------------------------------------------- resampling (issue 16)
def _output_size(size, x_shape, op):
    """(Ho, Wo) from an int, or a pair whose entries are ints or None (None: keep the input's size)."""
    pair = (size, size) if size is None or isinstance(size, numbers.Integral) else size
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TypeError(f"{op}: the output size must be an int or a pair, got {size!r}")
    return tuple(x_shape[2 + a] if s is None else checks.integer(op, "output size", s, minimum=1)
                 for a, s in enumerate(pair))


def _in_dtype_of(x, *matrices):
    """A resampling gate's matrices in x's float dtype (float32 stays float32)."""
    dtype = np.result_type(raw(x).dtype, np.float32)
    return tuple(m.astype(dtype) for m in matrices)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a given output size (Ho, Wo) whatever the input's
    size: output pixel i averages the inputs floor(i·H/Ho) .. ceil((i+1)·H/Ho) - 1
    (windows of about H/Ho, overlapping when Ho does not divide H). output_size
    an int, or a pair whose None entries keep the input's size; 1 is global
    average pooling. One gate: out = R·x·Cᵀ with averaging matrices R and C."""
    x_shape = checks.four_d("adaptive_avg_pool2d", input)
    (ho, wo), (h, w) = _output_size(output_size, x_shape, "adaptive_avg_pool2d"), x_shape[2:]
    matrices = gates.resample.average_matrix(h, ho), gates.resample.average_matrix(w, wo)
    return gates.adaptive_avg_pool2d(input, *_in_dtype_of(input, *matrices))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Resize images (N, C, H, W) to `size` (an int or a pair), or by
    `scale_factor` (a number or a pair: the output is floor(H·s) x floor(W·s)).

    mode 'nearest': output pixel i copies input floor(i·H/Ho) (with a scale
    factor, floor(i/s)). mode 'bilinear': linear interpolation along H and
    along W between the two nearest input pixels; align_corners=False (the
    default) matches pixel centres, (i + ½)·H/Ho - ½ clamped at 0, and
    align_corners=True matches the corner pixels, i·(H - 1)/(Ho - 1). As
    PyTorch, an output as large as the input is a copy. One gate: out = R·x·Cᵀ."""
    op = "interpolate"
    x_shape = checks.four_d(op, input)
    checks.choice(op, "mode", mode, ("nearest", "bilinear"))
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners only applies to mode='bilinear', got align_corners={align_corners!r}")
    align_corners = checks.boolean(op, "align_corners", False if align_corners is None else align_corners)
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give either size or scale_factor, got size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        out_hw, scales = _output_size(size, x_shape, op), (None, None)
    else:
        scales = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
        if len(scales) != 2:
            raise ValueError(f"{op}: scale_factor must be a number or a pair, got {scale_factor!r}")
        scales = tuple(checks.number(op, "scale_factor", s, above=0) for s in scales)
        out_hw = tuple(int(math.floor(n * s)) for n, s in zip(x_shape[2:], scales))
        if min(out_hw) < 1:
            raise ValueError(f"{op}: scale_factor {scale_factor!r} makes the input {x_shape} empty ({out_hw})")
    if mode == "nearest":
        gate = gates.upsample_nearest2d
        matrices = [gates.resample.nearest_matrix(x_shape[2 + a], out_hw[a], scales[a]) for a in (0, 1)]
    else:
        gate = gates.upsample_bilinear2d
        matrices = [gates.resample.linear_matrix(x_shape[2 + a], out_hw[a], scales[a], align_corners)
                    for a in (0, 1)]
    return gate(input, *_in_dtype_of(input, *matrices))


# ---------------------------------------------------------------- normalisation and dropout
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation over every axis but the channels (axis 1):
    out = γ·(x - μ)/√(σ² + ε) + β.

    training=True (or no running statistics): μ, σ² are the batch's mean and
    biased variance, and the running statistics (numpy arrays, updated in
    place) move towards them: r ← (1 - momentum)·r + momentum·batch, with the
    unbiased variance σ²·m/(m - 1) for running_var (m values per channel).
    training=False: μ, σ² are the running statistics."""
    x_shape = checks.shape_of(input)
    if len(x_shape) < 2:
        raise ValueError(f"batch_norm: input must have a channel axis (N, C, ...), got shape {x_shape}")
    channels = x_shape[1]
    for v, what in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        checks.vector("batch_norm", what, v, channels, x_shape)
    x = raw(input)
    use_batch = training or running_mean is None or running_var is None
    if use_batch:
        m = x.size // channels
        if m < 2:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input shape {x_shape}")
        mean, var = gates.norm.batch_statistics(x)
        if training and running_mean is not None:
            _running_update(running_mean, mean, momentum)
        if training and running_var is not None:
            _running_update(running_var, var * (m / (m - 1)), momentum)
    else:
        mean, var = raw(running_mean), raw(running_var)
    return gates.batch_norm(input, weight, bias, mean, var, eps, use_batch)


def _running_update(running, batch, momentum):
    running = raw(running)                       # the array itself: updated in place
    running *= 1 - momentum
    running += momentum * batch


def dropout(input, p=0.5, training=True):
    """Inverted dropout: in training each element is zeroed with probability p
    and the survivors are scaled by 1/(1 - p), so the expected value is
    unchanged and evaluation is the identity. The mask is drawn from
    autograd.random.generator() (autograd.manual_seed makes it reproducible)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p is the probability of dropping, in [0, 1]; got {p!r}")
    if not training or p == 0:
        return input
    x = raw(input)
    dtype = np.dtype(np.float32 if x.dtype == np.float32 else np.float64)
    keep = random.generator().random(np.shape(x), dtype=dtype) >= p
    mask = np.zeros(np.shape(x), dtype) if p == 1 else np.multiply(keep, dtype.type(1 / (1 - p)), dtype=dtype)
    return gates.dropout(input, mask)


# ---------------------------------------------------------------- activations
def relu(input):
    """max(0, x)."""
    return engine.relu(input)


def leaky_relu(input, negative_slope=0.01):
    """x if x > 0 else negative_slope·x."""
    return engine.leaky_relu(input, negative_slope)


def prelu(input, weight):
    """x if x > 0 else a·x, with learnable slopes: weight (1,) or one per channel (C,)."""
    x_shape, a_shape = checks.shape_of(input), checks.shape_of(weight)
    channels = x_shape[1] if len(x_shape) >= 2 else 1
    if a_shape not in ((1,), (channels,)):
        raise ValueError(f"prelu: weight must have shape (1,) or ({channels},) for input {x_shape}, "
                         f"got {a_shape}")
    return gates.prelu(input, weight)


def elu(input, alpha=1.0):
    """x if x > 0 else α(e^x - 1)."""
    return engine.elu(input, alpha)


def sigmoid(input):
    """σ(x) = 1/(1 + e^-x)."""
    return engine.sigmoid(input)


def tanh(input):
    """tanh x."""
    return engine.tanh(input)


def softmax(input, dim):
    """e^x / Σ e^x along dim."""
    return gates.softmax(input, checks.dim("softmax", dim, input))


def log_softmax(input, dim):
    """x - log Σ e^x along dim: log-probabilities, computed stably."""
    return gates.log_softmax(input, checks.dim("log_softmax", dim, input))


# ---------------------------------------------------------------- losses
def cross_entropy(input, target, *, reduction="mean"):
    """Softmax cross-entropy: L_i = -log softmax(x_i)[y_i] = log Σ_j e^x_ij - x_{i,y_i}.

    input: scores (N, C) or (N, C, d1, ...); target: integer class indices
    (N,) or (N, d1, ...) in [0, C). One fused, stable gate; its gradient is
    softmax(x) - onehot(y)."""
    x_shape = checks.shape_of(input)
    if len(x_shape) < 2:
        raise ValueError(f"cross_entropy: input must be scores (N, C, ...), got shape {x_shape}")
    labels = checks.labels("cross_entropy", target, (x_shape[0],) + x_shape[2:], x_shape[1], x_shape)
    reduction = checks.reduction("cross_entropy", reduction)
    if len(x_shape) == 2:
        return gates.cross_entropy(input, labels, reduction)
    # (N, C, d1, ...): every position is an example; classes moved last, rows flattened
    axes = (0,) + tuple(range(2, len(x_shape))) + (1,)
    scores = engine.reshape(engine.transpose(input, axes), (-1, x_shape[1]))
    loss = gates.cross_entropy(scores, labels.reshape(-1), reduction)
    return engine.reshape(loss, labels.shape) if reduction == "none" else loss


def multi_margin_loss(input, target, p=1, margin=1.0, *, reduction="mean"):
    """The multiclass SVM (hinge) loss: L_i = Σ_{j≠y_i} max(0, margin - x_{i,y_i} + x_ij)^p / C,
    p = 1 (hinge) or 2 (squared hinge); divided by the number of classes C as in PyTorch."""
    x_shape = checks.shape_of(input)
    if len(x_shape) != 2:
        raise ValueError(f"multi_margin_loss: input must be scores (N, C), got shape {x_shape}")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p!r}")
    labels = checks.labels("multi_margin_loss", target, x_shape[:1], x_shape[1], x_shape)
    return gates.multi_margin(input, labels, p, margin, checks.reduction("multi_margin_loss", reduction))


def binary_cross_entropy_with_logits(input, target, *, reduction="mean"):
    """Binary cross-entropy of σ(x) against targets t in [0, 1], from the logits x:
    L = -t·log σ(x) - (1 - t)·log(1 - σ(x)) = max(x, 0) - x·t + log(1 + e^-|x|)."""
    checks.same_shape("binary_cross_entropy_with_logits", input, target)
    return gates.bce_with_logits(input, target, checks.reduction("binary_cross_entropy_with_logits", reduction))


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross-entropy of probabilities p in [0, 1] (a sigmoid's output)
    against targets t in [0, 1], each term weighted by w (broadcast to p's shape):
    L = -w·(t·log p + (1 - t)·log(1 - p)).

    As PyTorch, each log is clamped at -100, so p = 0 or 1 on the wrong side
    costs 100 (finite) and 0·log 0 counts 0; d/dp = w·(p - t)/max(p(1 - p), 1e-12),
    d/dt = w·(log(1 - p) - log p); weight is a constant. 'mean' divides the
    weighted sum by the number of elements. From logits, prefer
    binary_cross_entropy_with_logits: the same loss, stable for any x."""
    op = "binary_cross_entropy"
    checks.same_shape(op, input, target)
    reduction = checks.reduction(op, reduction)
    p = raw(input)
    if np.size(p) and not (np.min(p) >= 0 and np.max(p) <= 1):
        raise ValueError(f"{op}: input must be probabilities in [0, 1] (shape {np.shape(p)}), found values in "
                         f"[{np.min(p)}, {np.max(p)}]; from logits use binary_cross_entropy_with_logits")
    if weight is not None:
        weight = np.asarray(raw(weight), dtype=np.result_type(np.asarray(p).dtype, np.float32))   # p's float type
        try:
            fits = np.broadcast_shapes(weight.shape, np.shape(p)) == np.shape(p)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{op}: weight {weight.shape} must broadcast to the input's shape {np.shape(p)}")
    return gates.bce(input, target, weight, reduction)


def mse_loss(input, target, *, reduction="mean"):
    """The L2 loss: (x - t)², averaged (or summed) over all elements."""
    checks.same_shape("mse_loss", input, target)
    return gates.mse(input, target, checks.reduction("mse_loss", reduction))


def l1_loss(input, target, *, reduction="mean"):
    """The L1 loss: |x - t|, averaged (or summed) over all elements."""
    checks.same_shape("l1_loss", input, target)
    return gates.l1(input, target, checks.reduction("l1_loss", reduction))


# ---------------------------------------------------------------- sequences (issue 15)
def embedding(input, weight, padding_idx=None):
    """A lookup table: out = weight[input], one row of weight (num_embeddings,
    embedding_dim) per index; input an integer array of any shape, the output
    input.shape + (embedding_dim,). The row `padding_idx` gets no gradient.
    One fused gate; its backward adds each position's gradient into its row."""
    idx = np.asarray(raw(input))
    w_shape = checks.shape_of(weight)
    if len(w_shape) != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {w_shape}")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: the input must be integer indices, got a {idx.dtype} array of shape {idx.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= w_shape[0]):
        bad = idx[(idx < 0) | (idx >= w_shape[0])]
        raise IndexError(f"embedding: indices must lie in [0, {w_shape[0]}) for weight {w_shape}; "
                         f"got {', '.join(map(str, bad[:5]))}{' ...' if bad.size > 5 else ''} (input {idx.shape})")
    if padding_idx is not None:
        padding_idx = checks.integer("embedding", "padding_idx", padding_idx, -w_shape[0], w_shape[0] - 1) % w_shape[0]
    return gates.embedding(weight, idx, padding_idx)


def _normalized_shape(owner, normalized_shape):
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else normalized_shape
    try:
        return tuple(checks.integer(owner, "normalized_shape", n, minimum=1) for n in shape)
    except TypeError:
        raise TypeError(f"{owner}: normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}") from None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation: each example normalised over its last axes
    (normalized_shape), out = γ·(x - μ)/√(σ² + ε) + β, with μ and the biased
    σ² of that example alone (no running statistics; the same in training and
    evaluation). weight γ and bias β of shape normalized_shape. One fused gate."""
    shape = _normalized_shape("layer_norm", normalized_shape)
    x_shape = checks.shape_of(input)
    if x_shape[len(x_shape) - len(shape):] != shape or len(x_shape) < len(shape):
        raise ValueError(f"layer_norm: input {x_shape} does not end with normalized_shape {shape}")
    for v, what in ((weight, "weight"), (bias, "bias")):
        if v is not None and checks.shape_of(v) != shape:
            raise ValueError(f"layer_norm: {what} must have shape {shape} (normalized_shape), got {checks.shape_of(v)}")
    return gates.layer_norm(input, weight, bias, len(shape), checks.number("layer_norm", "eps", eps, above=0))


def _key_transposed(key):
    n = len(checks.shape_of(key))
    return engine.transpose(key, tuple(range(n - 2)) + (n - 1, n - 2))


def _attention(query, key, value, mask=None, dropout_p=0.0, scale=None, training=True):
    """(softmax(q kᵀ·scale + mask) v, the attention weights): the engine's
    matmul and softmax gates. mask: None, a bool array (True = attend) or a
    float array added to the scores; broadcast against (..., L, S)."""
    scale = 1 / math.sqrt(checks.shape_of(query)[-1]) if scale is None else scale
    scores = engine.mul(engine.matmul(query, _key_transposed(key)), scale)
    if mask is not None:
        mask = raw(mask)
        if mask.dtype == bool:
            scores = engine.where(mask, scores, -np.inf)
        else:
            scores = engine.add(scores, mask.astype(raw(scores).dtype, copy=False))
    weights = gates.softmax(scores, len(checks.shape_of(scores)) - 1)
    if dropout_p > 0 and training:
        weights = dropout(weights, dropout_p)
    return engine.matmul(weights, value), weights


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """Attention: softmax(q kᵀ/√E + mask) v, as PyTorch's.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the
    leading axes (batch, heads) broadcast. attn_mask: a bool array, True where
    a query may attend to a key (False: the score becomes -inf), or a float
    array added to the scores; it broadcasts against (..., L, S). is_causal:
    query i attends to keys 0..i only (lower triangle; not with attn_mask).
    scale defaults to 1/√E. dropout_p drops attention weights. A query
    that may attend to nothing gets NaN, as in PyTorch. Composed of the
    engine's gates (matmul, softmax, where), so it draws and differentiates twice."""
    q_shape, k_shape, v_shape = checks.shape_of(query), checks.shape_of(key), checks.shape_of(value)
    if (min(len(q_shape), len(k_shape), len(v_shape)) < 2 or q_shape[-1] != k_shape[-1]
            or k_shape[-2] != v_shape[-2]):
        raise ValueError(f"scaled_dot_product_attention: query {q_shape}, key {k_shape} and value {v_shape} "
                         f"do not fit: need query (..., L, E), key (..., S, E), value (..., S, Ev)")
    try:
        np.broadcast_shapes(q_shape[:-2], k_shape[:-2], v_shape[:-2])
    except ValueError:
        raise ValueError(f"scaled_dot_product_attention: the leading axes of query {q_shape}, key {k_shape} "
                         f"and value {v_shape} do not broadcast") from None
    mask = None if attn_mask is None else np.asarray(raw(attn_mask))
    if is_causal:
        if mask is not None:
            raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal=True, not both")
        mask = np.tril(np.ones((q_shape[-2], k_shape[-2]), bool))
    if mask is not None:
        try:
            np.broadcast_shapes(mask.shape, q_shape[:-1] + (k_shape[-2],))
        except ValueError:
            raise ValueError(f"scaled_dot_product_attention: attn_mask {mask.shape} does not broadcast to the "
                             f"scores {q_shape[:-1] + (k_shape[-2],)} (query {q_shape}, key {k_shape})") from None
    checks.probability("scaled_dot_product_attention", "dropout_p", dropout_p)
    return _attention(query, key, value, mask, dropout_p, scale)[0]
