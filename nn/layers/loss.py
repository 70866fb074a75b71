"""Losses as modules: `criterion = CrossEntropyLoss(); loss = criterion(scores, labels)`."""
from .. import checks
from .. import functional as F
from ..module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = checks.reduction(type(self).__name__, reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of scores (N, C) against integer labels (N,):
    -log softmax(x_i)[y_i], averaged (`reduction='mean'`), summed or per example."""

    def forward(self, input, target):
        return F.cross_entropy(input, target, reduction=self.reduction)


class MultiMarginLoss(_Loss):
    """The multiclass SVM hinge: Σ_{j≠y} max(0, margin - x_y + x_j)^p / C:
    `MultiMarginLoss(p=1, margin=1.0, reduction='mean')` (p=2: squared hinge)."""

    def __init__(self, p=1, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.p = checks.choice("MultiMarginLoss", "p", p, (1, 2))
        self.margin = checks.number("MultiMarginLoss", "margin", margin)

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, self.p, self.margin, reduction=self.reduction)

    def extra_repr(self):
        return f"p={self.p}, margin={self.margin}, reduction={self.reduction!r}"


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy from logits, for independent yes/no attributes:
    max(x, 0) - x·t + log(1 + e^-|x|)."""

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities p in [0, 1] (after a Sigmoid):
    -w·(t·log p + (1 - t)·log(1 - p)), each log clamped at -100 (as PyTorch).
    `BCELoss(weight=None, reduction='mean')`: weight, if given, rescales each
    term and must broadcast to the input's shape."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class MSELoss(_Loss):
    """The L2 loss (x - t)², averaged over all elements by default."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """The L1 loss |x - t|, averaged over all elements by default."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)
