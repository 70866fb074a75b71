"""BatchNorm1d and BatchNorm2d."""
import numpy as np

from .. import functional as F
from ..module import Module, Parameter
from .. import checks


class _BatchNorm(Module):
    """Batch normalisation per channel (axis 1), as PyTorch.

    Training: normalise with the batch's mean and biased variance, and move the
    running statistics towards them, r ← (1 - momentum)·r + momentum·batch
    (running_var takes the unbiased variance). Evaluation: normalise with the
    running statistics. Then scale and shift: out = weight·x̂ + bias.

    Attributes: weight (ones), bias (zeros) (Parameters, when affine),
    running_mean (zeros), running_var (ones) and num_batches_tracked (the
    training batches seen, an int64 count) (buffers, when track_running_stats),
    PyTorch's names and layouts. A state dict without num_batches_tracked (an
    older file) loads: the count is left as it is."""

    optional_state = ("num_batches_tracked",)

    dims = ()                      # the input ranks a subclass accepts

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 *, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        self.num_features = checks.integer(name, "num_features", num_features, minimum=1)
        self.momentum = checks.probability(name, "momentum", momentum)
        self.eps = checks.number(name, "eps", eps, above=0)
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, np.int64))

    def forward(self, x):
        if x.ndim not in self.dims:
            raise ValueError(f"{type(self).__name__}: expected a {' or '.join(f'{d}-D' for d in self.dims)} input "
                             f"{self.layout}, got shape {x.shape}")
        tracked = self.track_running_stats
        if self.training and tracked:
            self.num_batches_tracked += 1                  # in place: the buffer is a 0-d array
        return F.batch_norm(x, self.running_mean if tracked else None, self.running_var if tracked else None,
                            self.weight, self.bias, self.training or not tracked, self.momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over N (and L): `BatchNorm1d(num_features)`."""
    dims, layout = (2, 3), "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input over N, H, W, per channel: `BatchNorm2d(num_features)`."""
    dims, layout = (4,), "(N, C, H, W)"


class LayerNorm(Module):
    """Layer normalisation: `LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True)`.

    Each example is normalised over its last axes (normalized_shape, an int or
    a tuple): out = weight·(x - μ)/√(σ² + ε) + bias, with μ and the biased σ²
    of that example's own values. No batch statistics: training and evaluation
    compute the same, and a batch of one is fine (transformers, RNNs).
    weight (ones) and bias (zeros) of shape normalized_shape."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, *, dtype=np.float32):
        super().__init__()
        self.normalized_shape = F._normalized_shape("LayerNorm", normalized_shape)
        self.eps = checks.number("LayerNorm", "eps", eps, above=0)
        self.elementwise_affine = checks.boolean("LayerNorm", "elementwise_affine", elementwise_affine)
        self.weight = Parameter(np.ones(self.normalized_shape, dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype)) if elementwise_affine else None

    def forward(self, x):
        shape, k = checks.shape_of(x), len(self.normalized_shape)
        if len(shape) < k or shape[len(shape) - k:] != self.normalized_shape:
            raise ValueError(f"LayerNorm: input {shape} does not end with normalized_shape {self.normalized_shape}")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
