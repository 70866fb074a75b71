"""Dropout."""
from .. import checks
from .. import functional as F
from ..module import Module


class Dropout(Module):
    """Inverted dropout: `Dropout(p=0.5)`, p the probability of dropping.

    Training: each element is zeroed with probability p and survivors are
    scaled by 1/(1 - p), so the expected output equals the input. Evaluation:
    the identity. Masks come from autograd.random.generator()."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = checks.probability("Dropout", "p", p)

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
