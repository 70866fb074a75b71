"""A character-level language model on the Python standard library, against n-grams.

    python benchmarks/language.py                 # an LSTM, 10 minutes of training
    python benchmarks/language.py --model gru --minutes 5

Runs `circuitgrad train --data python-source --model lstm` (truncated BPTT,
clipping on) for at most `--minutes` of training (evaluations not counted),
and prints the bits per character on validation and test text after each
epoch next to the count-based n-gram models of the same run (orders 1-5,
add-k, k chosen on validation), then a sample. The number of steps per epoch
is set from the time of a few steps measured first, so that the epochs (and
the learning-rate decay at each third of them) fit the budget.

The goal: the LSTM beats the best n-gram on test text within 10 minutes of
training on 2 cores. The machine's load average is printed with the figures:
on a shared machine a run gets fewer steps. OpenBLAS spinning threads on an
oversubscribed machine cost several times over, so the run uses --threads
BLAS threads (1 by default).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def measure_step(args):
    """Seconds per training step of the model, from a few steps (same settings)."""
    code = f"""
import time, numpy as np, autograd, nn, optim, nn.functional as F
from nn.models import language
autograd.manual_seed(0)
m = language.build({args.model!r}, 100, {args.hidden}, {args.layers}, {args.seq_len})
opt = optim.Adam(m.parameters(), lr=1e-3)
ids = np.random.default_rng(0).integers(0, 100, ({args.batch_size}, {args.seq_len} + 1))
times, state = [], None
for i in range(8):
    t = time.perf_counter()
    logits, state = m(ids[:, :-1], language.detach(state))
    loss = F.cross_entropy(logits.reshape(-1, 100), ids[:, 1:].reshape(-1))
    opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(m.parameters(), 5.0); opt.step()
    times.append(time.perf_counter() - t)
print(float(np.median(times[2:])))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment(args),
                          check=True)
    return float(done.stdout.strip())


def environment(args):
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(args.threads)
    return env


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="python-source")
    parser.add_argument("--model", default="lstm")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--lr-decay", type=float, default=0.5, help="at each third of the epochs")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "circuitgrad-bench-language"))
    args = parser.parse_args()

    load_before = os.getloadavg()
    step = measure_step(args)
    steps_per_epoch = max(1, int(args.minutes * 60 / step / args.epochs))
    print(f"{args.model}: {step:.3f} s per step of {args.batch_size} x {args.seq_len} characters "
          f"(load average {load_before[0]:.1f}); {args.epochs} epochs of {steps_per_epoch} steps, "
          f"at most {args.minutes:g} minutes of training", flush=True)
    command = [sys.executable, "-m", "circuitgrad", "train", "--data", args.data, "--model", args.model,
               "--hidden", str(args.hidden), "--layers", str(args.layers), "--seq-len", str(args.seq_len),
               "--batch-size", str(args.batch_size), "--lr", str(args.lr), "--lr-decay", str(args.lr_decay),
               "--epochs", str(args.epochs),
               "--steps-per-epoch", str(steps_per_epoch), "--max-minutes", str(args.minutes),
               "--out", args.out, "--overwrite", "--no-progress"]
    started = time.perf_counter()
    subprocess.run(command, env=environment(args), check=True, cwd=ROOT)
    load_after = os.getloadavg()
    summary = json.loads((pathlib.Path(args.out) / "summary.json").read_text())
    sample = subprocess.run([sys.executable, "-m", "circuitgrad", "sample", str(pathlib.Path(args.out) / "model.npz"),
                             "--prompt", "def ", "--length", "400", "--temperature", "0.8", "--seed", "0"],
                            capture_output=True, text=True, env=environment(args), check=True, cwd=ROOT).stdout
    best = summary["best_ngram"]
    print()
    print("| model | test bits/char | validation bits/char | notes |")
    print("|---|---|---|---|")
    for g in summary["ngram"]:
        print(f"| {g['order']}-gram, add-k (k = {g['k']:g}) | {g['test_bpc']:.3f} | {g['validation_bpc']:.3f} | "
              f"{'best on validation' if g == best else ''} |")
    print(f"| `{args.model}` {args.layers}x{args.hidden}, {summary['parameters']:,} parameters | "
          f"{summary['test_bpc']:.3f} | {summary['best_val_bpc']:.3f} | {summary['steps']} steps "
          f"({summary['steps'] * args.batch_size * args.seq_len / 1e6:.1f}M characters) in "
          f"{sum(summary['epoch_seconds']) / 60:.1f} min of training, {summary['clipped_steps']} clipped |")
    print(f"\n{summary['val_characters']:,} validation and {summary['test_characters']:,} test characters; "
          f"whole run {(time.perf_counter() - started) / 60:.1f} min; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after (2 cores); {args.threads} BLAS thread(s)")
    print(f"per epoch, validation: {', '.join(f'{v:.3f}' for v in summary['val_bpc'])}")
    print(f"per epoch, test: {', '.join(f'{v:.3f}' for v in summary['test_bpc_per_epoch'])}")
    print(f"beats the best n-gram on test: {summary['test_bpc'] < best['test_bpc']}")
    print(f"\nsample (prompt 'def ', temperature 0.8, seed 0):\n{sample}")


if __name__ == "__main__":
    main()
