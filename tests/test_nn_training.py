"""The notes' sanity check: a small network can overfit a tiny training set
(20 examples, random labels) to a loss near zero. Trained with a hand-written
SGD loop (p.data -= lr * p.grad), as optim is not needed for it."""
import numpy as np
import pytest

import autograd
import nn
import nn.functional as F


def overfit(model, x, y, lr, steps):
    first = None
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
    return first, loss.item()


def test_a_small_mlp_overfits_20_examples():
    autograd.manual_seed(0)
    r = np.random.default_rng(0)
    x, y = r.standard_normal((20, 10)).astype(np.float32), r.integers(0, 5, 20)
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 5))
    first, last = overfit(model, x, y, lr=0.5, steps=300)
    assert first > 1.0 and last < 0.01, (first, last)
    assert np.array_equal(np.argmax(model(x).data, axis=1), y)


@pytest.mark.slow
def test_a_small_convnet_overfits_20_examples():
    autograd.manual_seed(0)
    r = np.random.default_rng(1)
    x, y = r.standard_normal((20, 3, 8, 8)).astype(np.float32), r.integers(0, 10, 20)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding="same"), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 2 * 2, 10))
    first, last = overfit(model, x, y, lr=0.1, steps=200)
    assert first > 2.0 and last < 0.05, (first, last)
    assert np.array_equal(np.argmax(model(x).data, axis=1), y)
