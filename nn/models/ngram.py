"""A count-based character n-gram model: the baseline a neural language model must beat.

An n-gram model predicts a character from the n - 1 before it by counting, in
the training text, how often each context was followed by each character.
With add-k smoothing (every count gets k more, so nothing unseen has
probability 0), for a vocabulary of V characters:

    P(c | context) = (count(context, c) + k) / (count(context) + k·V)

The counting is whole-array numpy: each n-gram is one integer (its characters
as digits in base V + 1, the extra digit a start symbol padding the first
contexts), counted with np.unique and looked up with np.searchsorted.
"""
import math

import numpy as np

K_GRID = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)


class NGram:
    """An order-`order` character model (order 1: character frequencies) over
    ids 0..vocab_size-1, add-`k` smoothed. `fit(ids)` counts; `log_probs(ids)`
    and `bits_per_char(ids)` score a text."""

    def __init__(self, order, vocab_size, k=1.0):
        if order < 1 or vocab_size < 1 or not k > 0:
            raise ValueError(f"NGram: order and vocab_size must be >= 1 and k > 0, "
                             f"got order={order}, vocab_size={vocab_size}, k={k}")
        if (vocab_size + 1) ** order >= 2 ** 62:
            raise ValueError(f"NGram: order {order} over {vocab_size} characters does not fit a 64-bit code")
        self.order, self.vocab_size, self.k = order, vocab_size, k
        self.grams = self.gram_counts = self.contexts = self.context_counts = None

    def _codes(self, ids):
        """(context codes, n-gram codes) of every position of ids, the first
        contexts padded with the start symbol (digit V)."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"NGram: ids must lie in 0..{self.vocab_size - 1}, "
                             f"found {int(ids.min())}..{int(ids.max())}")
        padded = np.concatenate([np.full(self.order - 1, self.vocab_size, np.int64), ids])
        base = self.vocab_size + 1
        context = np.zeros(len(ids), np.int64)
        for j in range(self.order - 1):                         # a loop over the order, not the text
            context = context * base + padded[j:j + len(ids)]
        return context, context * base + ids

    def fit(self, ids):
        """Count the n-grams and contexts of the training ids; returns self."""
        context, gram = self._codes(ids)
        self.grams, self.gram_counts = np.unique(gram, return_counts=True)
        self.contexts, self.context_counts = np.unique(context, return_counts=True)
        return self

    def counts(self, ids):
        """(count(context, c), count(context)) of every position of ids."""
        if self.grams is None:
            raise RuntimeError("NGram: call fit() before scoring a text")
        context, gram = self._codes(ids)
        return _lookup(self.grams, self.gram_counts, gram), _lookup(self.contexts, self.context_counts, context)

    def log_probs(self, ids, k=None):
        """ln P(ids[t] | the order - 1 ids before it), for every t."""
        k = self.k if k is None else k
        joint, context = self.counts(ids)
        return np.log(joint + k) - np.log(context + k * self.vocab_size)

    def bits_per_char(self, ids, k=None, start=0):
        """Mean -log2 P over the positions start.. of ids."""
        return float(-self.log_probs(ids, k)[start:].mean() / math.log(2))


def _lookup(keys, counts, queries):
    where = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[where] == queries, counts[where], 0)


def baselines(train, validation, test, vocab_size, orders=(1, 2, 3, 4, 5), ks=K_GRID, start=0):
    """For each order: k chosen on the validation ids, then bits per character
    on validation and test (positions start..). Returns a list of dicts
    {order, k, validation_bpc, test_bpc}; the best on validation is
    `min(result, key=lambda r: r["validation_bpc"])`."""
    results = []
    for order in orders:
        model = NGram(order, vocab_size).fit(train)
        joint, context = model.counts(validation)
        scores = [float(-(np.log(joint + k) - np.log(context + k * vocab_size))[start:].mean() / math.log(2))
                  for k in ks]
        best = int(np.argmin(scores))
        results.append({"order": order, "k": ks[best], "validation_bpc": scores[best],
                        "test_bpc": model.bits_per_char(test, ks[best], start)})
    return results
