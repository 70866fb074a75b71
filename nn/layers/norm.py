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
