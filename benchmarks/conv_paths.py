"""The two ways conv2d computes a stride-1 convolution, timed against each other.

    python benchmarks/conv_paths.py              # batch 64, 3x3 kernels, padding 1, float32
    python benchmarks/conv_paths.py --reps 30

For each shape (C -> O channels at H x H), the forward, d/dx and d/dw of
nn.gates.conv's conv2d gate, once through im2col + one matmul and once through
shifted matmuls (the path is forced by replacing `shifts_pay`), alternated rep
by rep; the median of each in ms. The last column says which path `shifts_pay`
picks for the forward and d/dw (d/dx is a convolution O -> C, picked as that
shape's forward would be): the rule should pick the faster where the two differ
by more than the noise. With 2 BLAS threads, as in the other benchmarks.
"""
import argparse
import os
import statistics
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from nn.gates import conv  # noqa: E402

SHAPES = [(1, 16, 28), (8, 8, 28), (16, 16, 28), (16, 32, 28), (32, 16, 28), (32, 32, 14), (32, 64, 14), (64, 64, 7), (16, 16, 7)]
PADDING, STRIDE, DILATION = (1, 1, 1, 1), (1, 1), (1, 1)


def timings(x, w, g, shifted):
    """(forward, d/dx, d/dw) in seconds, the path forced."""
    choose, conv.shifts_pay = conv.shifts_pay, lambda *shapes: shifted
    try:
        start = time.perf_counter()
        out, saved = conv._conv2d(x, w, None, STRIDE, PADDING, DILATION)
        forward = time.perf_counter()
        conv._conv2d_grad_x(g, saved, x, w, None, STRIDE, PADDING, DILATION)
        grad_x = time.perf_counter()
        conv._conv2d_grad_w(g, saved, x, w, None, STRIDE, PADDING, DILATION)
        return forward - start, grad_x - forward, time.perf_counter() - grad_x
    finally:
        conv.shifts_pay = choose


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"batch {args.batch}, 3x3, padding 1, float32; median of {args.reps} (ms)")
    print(f"{'C -> O':>11} {'H':>3} | {'im2col fwd  dx   dw  total':>27} | {'shifted fwd  dx   dw  total':>28} | picks")
    for c, o, h in SHAPES:
        x = conv.channels_first(rng.standard_normal((args.batch, h, h, c), dtype=np.float32))
        g = conv.channels_first(rng.standard_normal((args.batch, h, h, o), dtype=np.float32))
        w = rng.standard_normal((o, c, 3, 3), dtype=np.float32)
        runs = {False: [], True: []}
        for _ in range(args.reps + 1):                  # the first of each is a warm-up
            for shifted in (False, True):
                runs[shifted].append(timings(x, w, g, shifted))
        med = {k: [1e3 * statistics.median(t[i] for t in v[1:]) for i in range(3)] for k, v in runs.items()}
        picks = "shifted" if conv.shifts_pay(c, o, (h + 2, h + 2), (h, h)) else "im2col"
        cells = [" ".join(f"{t:5.2f}" for t in med[k] + [sum(med[k])]) for k in (False, True)]
        print(f"{c:>4} -> {o:<3} {h:>3} | {cells[0]:>27} | {cells[1]:>28} | {picks}")


if __name__ == "__main__":
    main()
