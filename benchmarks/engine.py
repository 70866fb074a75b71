"""Engine benchmarks: circuitgrad against its peers, measured in one run.

    python benchmarks/engine.py                # every case, every library installed
    python benchmarks/engine.py --case scalar_mlp --reps 9 --rounds 5

Cases (each library runs in a fresh subprocess, the median of --reps is kept):
  scalar_mlp   micrograd's demo: MLP(2, [16, 16, 1]) on 100 two-moons points as
               scalar Values, hinge loss + 1e-4 L2, forward + backward + SGD;
               ms per iteration, with Python's cycle collector on and off.
  op_overhead  1000 elementwise gates (+0.01, *0.999) on a 10-element float32
               array, then sum and backward; microseconds per gate. The floor is
               the same chain in numpy with a hand-written backward.
  deep_chain   a chain of 1,000,000 scalar additions, forward + backward; seconds
               and peak resident memory.
Peers (micrograd, torch) are used when importable, otherwise skipped. Ratios are
against figures measured in the same run, never against stored numbers: one
ratio per round of alternating runs, reported as the median and the range.

    python benchmarks/engine.py --against ../base     # A/B: this checkout against another

`--against DIR` adds "before": circuitgrad imported from DIR (e.g. a `git worktree`
of an earlier commit), run alternately with this checkout's, and reports
before/after per case. Each circuitgrad runs from its own tree, installed or not.
"""
import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import numpy as np  # noqa: E402
from memory import peak_mb  # noqa: E402  (benchmarks/memory.py)


# ---------------------------------------------------------------- the cases
def moons(n=100, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    t1, t2 = np.linspace(0, np.pi, n // 2), np.linspace(0, np.pi, n - n // 2)
    X = np.concatenate([np.stack([np.cos(t1), np.sin(t1)], 1),
                        np.stack([1 - np.cos(t2), 1 - np.sin(t2) - 0.5], 1)])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([-np.ones(n // 2), np.ones(n - n // 2)])
    perm = rng.permutation(n)
    return X[perm].tolist(), y[perm].tolist()


def scalar_mlp(lib):
    """One step of micrograd's demo; the same graph on either library."""
    if lib == "circuitgrad":
        from autograd import Value
    else:
        from micrograd.engine import Value
    random.seed(1337)
    sizes = [2, 16, 16, 1]
    layers = [[([Value(random.uniform(-1, 1)) for _ in range(sizes[i])], Value(0.0))
               for _ in range(sizes[i + 1])] for i in range(3)]
    params = [p for layer in layers for w, b in layer for p in w + [b]]
    X, y = moons()

    def mlp(x):
        for i, layer in enumerate(layers):
            out = []
            for w, b in layer:
                act = b
                for wi, xi in zip(w, x):
                    act = act + wi * xi
                out.append(act.relu() if i < 2 else act)
            x = out
        return x[0]

    def step():
        scores = [mlp([Value(a), Value(b)]) for a, b in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
        for p in params:
            p.grad = None if lib == "circuitgrad" else 0.0
        total.backward()
        for p in params:
            p.data -= 0.1 * p.grad
        return total.data
    return step


def op_overhead(lib):
    x0 = np.linspace(0.5, 1.5, 10, dtype=np.float32)

    def chain(h):
        for i in range(1000):
            h = h + 0.01 if i % 2 == 0 else h * 0.999
        return h
    if lib == "circuitgrad":
        from autograd import Value

        def run():
            x = Value(x0)
            chain(x).sum().backward()
            return x.grad
    elif lib == "numpy":
        def run():
            chain(x0)
            g = np.ones_like(x0)
            for i in reversed(range(1000)):
                if i % 2:
                    g = g * np.float32(0.999)
            return g
    else:
        import torch
        torch.set_num_threads(2)
        x = torch.tensor(x0, requires_grad=True)

        def run():
            x.grad = None
            chain(x).sum().backward()
            return x.grad
    return run


def deep_chain(lib, depth=1_000_000):
    if lib == "circuitgrad":
        from autograd import Value
        make = Value
    else:
        import torch
        make = lambda v: torch.tensor(v, requires_grad=True)  # noqa: E731

    def run():
        x = make(1.0)
        h = x
        for _ in range(depth):
            h = h + 1.0
        h.backward()
        assert float(x.grad) == 1.0
    return run


CASES = {
    "scalar_mlp": (scalar_mlp, ["circuitgrad", "micrograd"], 5, "ms", 1e3),
    "op_overhead": (op_overhead, ["circuitgrad", "numpy", "torch"], 15, "us_per_gate", 1e3),
    "deep_chain": (deep_chain, ["circuitgrad", "torch"], 1, "s", 1.0),
}


# ---------------------------------------------------------------- measuring
def measure(case, lib, reps, collector, tree):
    """Run in this process; print one JSON line."""
    make, _, _, unit, scale = CASES[case]
    if lib in ("circuitgrad", "before"):
        sys.path.insert(0, tree)                          # this checkout's (or --against's) packages
    fn = make("circuitgrad" if lib == "before" else lib)
    fn()                                                    # warm-up
    times = []
    for _ in range(reps):
        if collector == "off":
            gc.collect()
            gc.disable()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        gc.enable()
    value = statistics.median(times) * scale
    peak = peak_mb()
    print(json.dumps({"case": case, "lib": lib, "gc": collector, unit: value, "peak_mb": peak}))


def available(lib):
    if lib in ("circuitgrad", "before", "numpy"):
        return True
    try:
        __import__(lib)
        return True
    except ImportError:
        return False


def run_all(cases, reps, rounds, against=None):
    """Every case and library in a fresh subprocess, `rounds` times over,
    alternating the libraries (A B A B ...): on a shared machine the same
    command varies between runs, and alternating spreads that over all of them."""
    here = os.path.abspath(__file__)
    results = []
    for round_ in range(rounds):
        for case in cases:
            _, libs, default_reps, unit, _ = CASES[case]
            libs = ["circuitgrad", "before"] + libs[1:] if against else libs
            for lib in filter(available, libs):
                for collector in (["on", "off"] if case == "scalar_mlp" else ["on"]):
                    tree = against if lib == "before" else os.path.dirname(os.path.dirname(here))
                    cmd = [sys.executable, here, "--case", case, "--lib", lib, "--gc", collector,
                           "--reps", str(reps or default_reps), "--child", "--tree", tree]
                    done = subprocess.run(cmd, capture_output=True, text=True)
                    if done.returncode != 0:
                        row = {"case": case, "lib": lib, "gc": collector,
                               "error": done.stderr.strip().splitlines()[-1]}
                    else:
                        row = json.loads(done.stdout.strip().splitlines()[-1])
                    row["round"] = round_
                    results.append(row)
                    shown = row.get("error") or f"{row[unit]:.3f} {unit}, peak {row['peak_mb']:.0f} MB"
                    print(f"{case:12} {lib:12} gc {collector:3}  {shown}", flush=True)
    return results


def ratios(results):
    """The peers' figures over circuitgrad's (or circuitgrad's over the
    peers'), one ratio per round, summarised as the median and the range."""
    def get(case, lib, round_, collector="on"):
        for r in results:
            if (r["case"], r["lib"], r["gc"], r["round"]) == (case, lib, collector, round_) \
                    and "error" not in r:
                return r[CASES[case][3]]

    def summary(name, pairs):
        per_round = [a / b for a, b in pairs if a and b]
        if not per_round:
            return []
        spread = f" (rounds: {min(per_round):.2f}-{max(per_round):.2f})" if len(per_round) > 1 else ""
        return [f"{name}: {statistics.median(per_round):.2f}x{spread}"]

    rounds = sorted({r["round"] for r in results})
    lines = []
    for case in CASES:
        for collector in ("on", "off"):
            lines += summary(f"{case} (gc {collector}), this checkout's time over before's",
                             [(get(case, "circuitgrad", k, collector), get(case, "before", k, collector))
                              for k in rounds])
    lines += summary("scalar_mlp, faster than micrograd as shipped",
                     [(get("scalar_mlp", "micrograd", k), get("scalar_mlp", "circuitgrad", k)) for k in rounds])
    lines += summary("scalar_mlp, faster than micrograd with the cycle collector off",
                     [(get("scalar_mlp", "micrograd", k, "off"), get("scalar_mlp", "circuitgrad", k))
                      for k in rounds])
    lines += summary("scalar_mlp, both with the cycle collector off",
                     [(get("scalar_mlp", "micrograd", k, "off"), get("scalar_mlp", "circuitgrad", k, "off"))
                      for k in rounds])
    for peer in ("numpy", "torch"):
        lines += summary(f"op_overhead, the per-gate time of {peer}",
                         [(get("op_overhead", "circuitgrad", k), get("op_overhead", peer, k)) for k in rounds])
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--case", choices=list(CASES), action="append")
    p.add_argument("--lib")
    p.add_argument("--gc", choices=["on", "off"], default="on")
    p.add_argument("--reps", type=int, default=0)
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (the median ratio is kept)")
    p.add_argument("--against", help="another circuitgrad tree to compare with (A/B)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--tree", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        measure(args.case[0], args.lib, args.reps, args.gc, args.tree)
        return
    results = run_all(args.case or list(CASES), args.reps, args.rounds,
                      os.path.abspath(args.against) if args.against else None)
    for line in ratios(results):
        print(line)


if __name__ == "__main__":
    main()
