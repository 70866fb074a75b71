"""Network benchmarks: one training step of an MLP and of a small convnet,
circuitgrad against a hand-written numpy forward/backward and PyTorch CPU.

    python benchmarks/nets.py                        # both cases, every library installed, 5 rounds
    python benchmarks/nets.py --case conv --rounds 9

Cases (forward + backward + SGD update + reading the loss as a float):
  mlp    the notes' MLP 784-300-10, ReLU, batch 100, float32, softmax cross-entropy, lr 0.1
  conv   the notes' CIFAR-10 convnet, batch 100 x 3 x 32 x 32 float32: conv3x3(32, 'same')
         ReLU maxpool2, conv3x3(64, 'same') ReLU maxpool2, Linear 4096->512 ReLU
         Dropout(0.4), Linear 512->10, softmax cross-entropy, lr 0.01
Libraries: circuitgrad (the public API: autograd.Value, nn.functional), numpy (the
same step written by hand: the floor of an engine built on numpy; the convnet
version is the straightforward channels-last im2col), torch (PyTorch CPU eager,
when importable). Every run is a fresh subprocess with 2 BLAS threads; the
libraries alternate (A B C A B C ...) so that a busy moment of the machine hits
all of them, and the median over rounds is reported with the ratios. Memory:
the peak resident set of the process, and how much the steps added to it (beyond
the data, the parameters and the library itself).
The test suite never times anything.

    python benchmarks/nets.py --against ../base     # A/B: this checkout against another

`--against DIR` adds "before": circuitgrad imported from DIR (e.g. a `git worktree` of
an earlier commit), alternated with this checkout's; each runs from its own tree.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import numpy as np  # noqa: E402
from memory import peak_mb  # noqa: E402  (benchmarks/memory.py)

MLP = dict(n=100, d=784, h=300, c=10, lr=0.1)
CONV = dict(n=100, c=10, lr=0.01, p_drop=0.4)


def he(rng, fan_in, shape):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


# ---------------------------------------------------------------- the MLP
def mlp_data():
    rng = np.random.default_rng(0)
    n, d, h, c = MLP["n"], MLP["d"], MLP["h"], MLP["c"]
    x = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, c, n)
    return x, y, [he(rng, d, (d, h)), np.zeros(h, np.float32), he(rng, h, (h, c)), np.zeros(c, np.float32)]


def sgd_step(params, lr, loss_of):
    """One circuitgrad training step as a function: loss_of(*Values) -> loss,
    then backward and a plain SGD update of the Values made from `params`."""
    from autograd import Value
    ps = [Value(p.copy()) for p in params]

    def step():
        loss = loss_of(*ps)
        for p in ps:
            p.zero_grad()
        loss.backward()
        for p in ps:
            p.data -= lr * p.grad
        return loss.item()
    return step


def mlp_circuitgrad(x, y, params):
    import nn.functional as F
    return sgd_step(params, MLP["lr"],
                    lambda w1, b1, w2, b2: F.cross_entropy((x @ w1 + b1).relu() @ w2 + b2, y))


def mlp_numpy(x, y, params):
    w1, b1, w2, b2 = [p.copy() for p in params]
    rows, n = np.arange(len(y)), len(y)

    def step():
        h = x @ w1
        h += b1
        np.maximum(h, 0, out=h)
        z = h @ w2
        z += b2
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - z[rows, y]))
        dz = e / s
        dz[rows, y] -= 1
        dz /= n
        dh = dz @ w2.T
        dh *= h > 0
        grads = (x.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0))
        for p, g in zip((w1, b1, w2, b2), grads):
            p -= MLP["lr"] * g
        return loss
    return step


def mlp_torch(x, y, params):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(2)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    w1, b1, w2, b2 = ps

    def step():
        loss = F.cross_entropy(torch.relu(xt @ w1 + b1) @ w2 + b2, yt)
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= MLP["lr"] * p.grad
                p.grad = None
        return loss.item()
    return step


# ---------------------------------------------------------------- the convnet
def conv_data():
    rng = np.random.default_rng(0)
    n, c = CONV["n"], CONV["c"]
    x = rng.standard_normal((n, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, c, n)
    return x, y, [he(rng, 27, (32, 3, 3, 3)), np.zeros(32, np.float32),
                  he(rng, 288, (64, 32, 3, 3)), np.zeros(64, np.float32),
                  he(rng, 4096, (4096, 512)), np.zeros(512, np.float32),
                  he(rng, 512, (512, c)), np.zeros(c, np.float32)]


def conv_circuitgrad(x, y, params):
    import nn.functional as F

    def loss_of(w1, b1, w2, b2, w3, b3, w4, b4):
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding="same")), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding="same")), 2)
        h = F.dropout(F.relu(h.reshape(len(y), -1) @ w3 + b3), CONV["p_drop"], training=True)
        return F.cross_entropy(h @ w4 + b4, y)
    return sgd_step(params, CONV["lr"], loss_of)


def conv_numpy(x, y, params):
    """The straightforward hand-written version, channels last inside: im2col by
    sliding_window_view and one matmul per conv, col2im as 9 slice-adds."""
    from numpy.lib.stride_tricks import sliding_window_view
    w1, b1, w2, b2, w3, b3, w4, b4 = [p.copy() for p in params]
    as_matrix = lambda w: np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(-1, w.shape[0]))   # noqa: E731
    # fc1's rows follow the flattening order (C, H, W); inside, activations are (H, W, C)
    w3 = np.ascontiguousarray(w3.reshape(64, 8, 8, 512).transpose(1, 2, 0, 3).reshape(4096, 512))
    P = [as_matrix(w1), b1, as_matrix(w2), b2, w3, b3, w4, b4]
    rng, n, lr, p_drop = np.random.default_rng(1), len(y), CONV["lr"], CONV["p_drop"]
    rows = np.arange(n)

    def conv(h, wm, b):
        hp = np.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))
        cols = sliding_window_view(hp, (3, 3), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3).reshape(
            h.shape[0] * h.shape[1] * h.shape[2], -1)
        return (cols @ wm + b).reshape(h.shape[:3] + (-1,)), cols

    def conv_back(d, cols, wm, shape):
        d2 = d.reshape(-1, d.shape[-1])
        dcols = (d2 @ wm.T).reshape(shape[:3] + (3, 3, shape[3]))
        dxp = np.zeros((shape[0], shape[1] + 2, shape[2] + 2, shape[3]), np.float32)
        for i in range(3):
            for j in range(3):
                dxp[:, i:i + shape[1], j:j + shape[2]] += dcols[:, :, :, i, j]
        return cols.T @ d2, d2.sum(axis=0), dxp[:, 1:-1, 1:-1]

    def relu_pool(a):
        np.maximum(a, 0, out=a)
        n_, h, w, c = a.shape
        return a.reshape(n_, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))

    def relu_pool_back(d, a, p):
        n_, h, w, c = a.shape
        r = a.reshape(n_, h // 2, 2, w // 2, 2, c)
        switches = (r == p[:, :, None, :, None]) & (r > 0)
        return (switches * d[:, :, None, :, None]).reshape(a.shape)

    def step():
        wm1, b1, wm2, b2, w3, b3, w4, b4 = P
        a1, cols1 = conv(np.ascontiguousarray(x.transpose(0, 2, 3, 1)), wm1, b1)
        p1 = relu_pool(a1)
        a2, cols2 = conv(p1, wm2, b2)
        p2 = relu_pool(a2)
        f = p2.reshape(n, -1)
        h = np.maximum(f @ w3 + b3, 0)
        mask = (rng.random(h.shape, dtype=np.float32) >= p_drop) * np.float32(1 / (1 - p_drop))
        hd = h * mask
        z = hd @ w4 + b4
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - z[rows, y]))
        dz = e / s
        dz[rows, y] -= 1
        dz /= n
        dh = (dz @ w4.T) * mask * (h > 0)
        df = dh @ w3.T
        da2 = relu_pool_back(df.reshape(p2.shape), a2, p2)
        dw2, db2, dp1 = conv_back(da2, cols2, wm2, p1.shape)
        da1 = relu_pool_back(dp1, a1, p1)
        dw1, db1, _ = conv_back(da1, cols1, wm1, (n, 32, 32, 3))
        grads = [dw1, db1, dw2, db2, f.T @ dh, dh.sum(axis=0), hd.T @ dz, dz.sum(axis=0)]
        for p, g in zip(P, grads):
            p -= lr * g
        return loss
    return step


def conv_torch(x, y, params):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(2)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    w1, b1, w2, b2, w3, b3, w4, b4 = ps

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(xt, w1, b1, padding="same")), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding="same")), 2)
        h = F.dropout(F.relu(h.flatten(1) @ w3 + b3), CONV["p_drop"], training=True)
        loss = F.cross_entropy(h @ w4 + b4, yt)
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= CONV["lr"] * p.grad
                p.grad = None
        return loss.item()
    return step


CASES = {"mlp": (mlp_data, {"circuitgrad": mlp_circuitgrad, "numpy": mlp_numpy, "torch": mlp_torch}, 40, 5),
         "conv": (conv_data, {"circuitgrad": conv_circuitgrad, "numpy": conv_numpy, "torch": conv_torch}, 7, 2)}


# ---------------------------------------------------------------- measuring
def measure(case, lib, reps, tree):
    """In this process: build the step, warm up, time reps steps; print one JSON line."""
    make_data, libs, _, warmup = CASES[case]
    if lib in ("circuitgrad", "before"):
        sys.path.insert(0, tree)                                 # this checkout's (or --against's) packages
    step = libs["circuitgrad" if lib == "before" else lib](*make_data())
    before = peak_mb()                                           # data, parameters, the library
    losses = [step() for _ in range(warmup)]
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - t0)
    print(json.dumps({"case": case, "lib": lib, "ms": 1e3 * statistics.median(times), "min_ms": 1e3 * min(times),
                      "peak_mb": peak_mb(), "added_mb": peak_mb() - before,
                      "trains": bool(losses[-1] < losses[0])}))


def available(lib):
    # found, not imported: a child inherits the parent's peak memory figure
    return lib != "torch" or importlib.util.find_spec("torch") is not None


def run(cases, rounds, reps, against=None):
    here = os.path.abspath(__file__)
    summary = {}
    for case in cases:
        libs = [lib for lib in CASES[case][1] if available(lib)] + (["before"] if against else [])
        runs = {lib: [] for lib in libs}
        for r in range(rounds):
            for lib in libs:                                     # alternate: A B C A B C ...
                tree = against if lib == "before" else os.path.dirname(os.path.dirname(here))
                cmd = [sys.executable, here, "--child", "--case", case, "--lib", lib,
                       "--reps", str(reps or CASES[case][2]), "--tree", tree]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    print(f"{case:5} {lib:12} failed: {done.stderr.strip().splitlines()[-1]}", flush=True)
                    continue
                row = json.loads(done.stdout.strip().splitlines()[-1])
                runs[lib].append(row)
                print(f"{case:5} {lib:12} round {r + 1}: {row['ms']:8.2f} ms/step (min {row['min_ms']:.2f}), "
                      f"peak {row['peak_mb']:.0f} MB (+{row['added_mb']:.0f} MB), "
                      f"{'trains' if row['trains'] else 'LOSS DID NOT DECREASE'}", flush=True)
        summary[case] = {lib: {"ms": statistics.median(r["ms"] for r in rows),
                               "min_ms": min(r["min_ms"] for r in rows),
                               "peak_mb": max(r["peak_mb"] for r in rows),
                               "added_mb": statistics.median(r["added_mb"] for r in rows)}
                         for lib, rows in runs.items() if rows}
    return summary


def report(summary):
    print("\nmedian over rounds (ms/step), best single step, peak memory:")
    for case, libs in summary.items():
        for lib, s in libs.items():
            print(f"  {case:5} {lib:12} {s['ms']:8.2f} ms   best {s['min_ms']:8.2f} ms   "
                  f"peak {s['peak_mb']:6.0f} MB   steps added {s['added_mb']:5.0f} MB")
        cg = libs.get("circuitgrad")
        for peer in ("numpy", "torch", "before"):
            if cg and peer in libs:
                print(f"  {case:5} circuitgrad / {peer}: {cg['ms'] / libs[peer]['ms']:.2f}x "
                      f"(best steps: {cg['min_ms'] / libs[peer]['min_ms']:.2f}x)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--case", choices=list(CASES), action="append")
    p.add_argument("--lib")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--reps", type=int, default=0, help="timed steps per run (default: 40 mlp, 7 conv)")
    p.add_argument("--against", help="another circuitgrad tree to compare with (A/B)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--tree", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print the summary as JSON too")
    args = p.parse_args()
    if args.child:
        measure(args.case[0], args.lib, args.reps, args.tree)
        return
    summary = run(args.case or list(CASES), args.rounds, args.reps,
                  os.path.abspath(args.against) if args.against else None)
    report(summary)
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
