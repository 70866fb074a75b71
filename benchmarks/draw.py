"""How long drawing takes: the DOT source of a 10,000-gate circuit (no Graphviz run).

    python benchmarks/draw.py
The drawing code walks the graph once and writes DOT lines itself, so building
the source of a 10,000-gate circuit should take well under a second.
"""
import statistics
import time

import numpy as np

from autograd import Value, draw, draw_text


def circuit(n_gates):
    h = Value(0.5, label="x")
    w = Value(np.ones(3), label="w")
    for i in range(n_gates // 2):
        h = (h * 0.999 + 0.001) if i % 10 else (h * w).mean()
    h.backward()
    return h


def main():
    root = circuit(10_000)
    for what, fn in [("draw(max_nodes=None).source", lambda: draw(root, max_nodes=None).source),
                     ("draw() (500 nodes and a note)", lambda: draw(root).source),
                     ("draw_text", lambda: draw_text(root))]:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        print(f"{what:32} {1e3 * statistics.median(times):8.1f} ms  (10,000 gates)")


if __name__ == "__main__":
    main()
