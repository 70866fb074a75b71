"""Memory: the peak of a benchmark process (shared by the benchmark scripts), and
whether memory stays flat over long runs.

    python benchmarks/memory.py            # every case, each in a fresh process

Cases: 1,200 training steps of the notes' MLP (784-300-10, batch 100), 150
iterations of micrograd's scalar demo, 150 steps of a convnet with BatchNorm
(conv-BN-ReLU-pool x2, Linear; batch 64 of 3x32x32, Adam). Resident memory is
read after a warm-up (a tenth of the steps) and at the end: a run that keeps
a little of every step (a graph not released, a history that grows with the
arrays in it) grows; the goal is flat, within 5%.
"""
import argparse
import json
import os
import resource
import subprocess
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")


def _status(field):
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_mb():
    """This process's peak resident memory in MB. Linux's VmHWM belongs to the
    running program; ru_maxrss may carry over a figure from before exec, so a
    child started after a bigger one would report the bigger one's peak."""
    peak = _status("VmHWM:")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_mb():
    """This process's resident memory now, in MB (Linux)."""
    return _status("VmRSS:")


# ---------------------------------------------------------------- the cases
def mlp_steps():
    import nets
    return nets.mlp_circuitgrad(*nets.mlp_data()), 1200


def scalar_demo_steps():
    import engine
    return engine.scalar_mlp("circuitgrad"), 150


def batchnorm_convnet_steps():
    import numpy as np

    import autograd
    import nn
    import nn.functional as F
    import optim
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 8 * 8, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step, 150


CASES = {"mlp": mlp_steps, "scalar_demo": scalar_demo_steps, "batchnorm_convnet": batchnorm_convnet_steps}


def measure(case):
    """In this process: run the case, print one JSON line with the memory after
    the warm-up and at the end."""
    step, steps = CASES[case]()
    warmup = max(steps // 10, 5)
    for _ in range(warmup):
        step()
    after_warmup = resident_mb()
    for _ in range(steps - warmup):
        step()
    end = resident_mb()
    print(json.dumps({"case": case, "steps": steps, "after_warmup_mb": after_warmup, "end_mb": end,
                      "growth": end / after_warmup - 1, "peak_mb": peak_mb()}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=list(CASES), action="append")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [here, os.path.dirname(here)]                  # the benchmarks, and this checkout's packages
    if args.child:
        measure(args.case[0])
        return
    for case in args.case or list(CASES):
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "--case", case],
                              capture_output=True, text=True)
        if done.returncode:
            print(f"{case:18} failed: {done.stderr.strip().splitlines()[-1]}")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        verdict = "flat" if abs(row["growth"]) <= 0.05 else "GROWS"
        print(f"{case:18} {row['steps']:5} steps: {row['after_warmup_mb']:7.1f} MB after the warm-up, "
              f"{row['end_mb']:7.1f} MB at the end ({100 * row['growth']:+.1f}%: {verdict}), "
              f"peak {row['peak_mb']:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
