"""Random search of hyperparameters, as the notes recommend: random, not a
grid, and in log space for scales such as the learning rate."""
import math

import numpy as np

from .solver import TrainingDiverged


def random_search(build, space, trials=10, epochs=1, seed=None):
    """Random search of hyperparameters (the notes: random, not a grid; in log
    space for scales such as the learning rate).

    `space` maps a name to `(low, high)` (log-uniform between them), to
    `("uniform", low, high)`, or to a list of choices. `build(config)` returns a
    Solver for one configuration; each is trained for `epochs`. Returns the
    trials ranked by validation accuracy: dicts with "config", "val_acc",
    "train_acc" and "loss"; `format_table` prints them."""
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(trials):
        config = {name: _sample(spec, rng, name) for name, spec in space.items()}
        solver = build(config)
        solver.epochs = epochs
        try:
            history = solver.fit()
            results.append({"config": config, "val_acc": max(history["val_acc"] or [float("nan")]),
                            "train_acc": history["train_acc"][-1], "loss": history["loss"][-1]})
        except TrainingDiverged:
            results.append({"config": config, "val_acc": float("nan"), "train_acc": float("nan"),
                            "loss": float("inf")})
    return sorted(results, key=lambda r: -r["val_acc"] if math.isfinite(r["val_acc"]) else math.inf)


def format_table(results):
    """The ranked results of random_search as a text table."""
    names = list(results[0]["config"]) if results else []
    lines = ["  ".join([f"{'val acc':>8}", f"{'train acc':>9}"] + [f"{n:>12}" for n in names])]
    for r in results:
        cells = [f"{r['val_acc']:8.4f}", f"{r['train_acc']:9.4f}"]
        cells += [f"{v:12.4g}" if isinstance(v, float) else f"{v!s:>12}" for v in r["config"].values()]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def _sample(spec, rng, name):
    if isinstance(spec, list):
        return spec[rng.integers(len(spec))]
    if isinstance(spec, tuple) and len(spec) == 3 and spec[0] == "uniform":
        return float(rng.uniform(spec[1], spec[2]))
    if isinstance(spec, tuple) and len(spec) == 2 and 0 < spec[0] < spec[1]:
        return float(np.exp(rng.uniform(np.log(spec[0]), np.log(spec[1]))))
    raise ValueError(f"random_search: {name}: expected (low, high) with 0 < low < high, "
                     f"('uniform', low, high) or a list of choices, got {spec!r}")
