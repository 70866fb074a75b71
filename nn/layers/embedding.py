"""Embedding: a table of learned vectors, one per token."""
import numpy as np

from .. import checks, init
from .. import functional as F
from ..module import Module, Parameter


class Embedding(Module):
    """A lookup table: `Embedding(num_embeddings, embedding_dim, padding_idx=None)`.

    out = weight[input] for integer indices of any shape: the output has shape
    input.shape + (embedding_dim,). weight (num_embeddings, embedding_dim)
    starts as PyTorch's, from N(0, 1). The row padding_idx (negative counts from
    the end) starts at zero and gets no gradient: a padding token stays zero.
    Looking a token up is the same as multiplying its one-hot vector by weight,
    without the multiplication."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, *, dtype=np.float32):
        super().__init__()
        self.num_embeddings = checks.integer("Embedding", "num_embeddings", num_embeddings, minimum=1)
        self.embedding_dim = checks.integer("Embedding", "embedding_dim", embedding_dim, minimum=1)
        if padding_idx is not None:
            padding_idx = checks.integer("Embedding", "padding_idx", padding_idx,
                                         -num_embeddings, num_embeddings - 1) % num_embeddings
        self.padding_idx = padding_idx
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype))
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the table again from N(0, 1), the padding row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        padding = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"
