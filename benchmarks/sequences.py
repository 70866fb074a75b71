"""Sequence benchmark: one training step of a character-level LSTM language model,
circuitgrad's fused LSTM gate against its composed cell, a hand-written numpy
forward/backward (the floor of an engine built on numpy) and PyTorch CPU.

    python benchmarks/sequences.py                  # 5 rounds, every library installed
    python benchmarks/sequences.py --rounds 9 --hidden 128
    python benchmarks/sequences.py --model gru      # the same step with nn.GRU (or rnn): no numpy version

The step is ../shared/bench/lstm_step.py's: Embedding(96, 64) -> LSTM(64, 256),
batch_first, zero initial state -> Linear(256, 96); a batch of 32 x 64 int64
tokens, float32; softmax cross-entropy over all 32·64 positions; forward,
backward through all 64 steps, SGD. Libraries:
  fused      circuitgrad, nn.LSTM (the whole sequence one gate, backward through time in closed form)
  composed   circuitgrad, nn.LSTM(fused=False) (every step a circuit of the engine's gates)
  numpy      the same step written by hand in numpy (LSTM only)
  torch      PyTorch CPU eager (when importable)
All run in this process with 2 BLAS threads (OMP_NUM_THREADS=1 ... for 1); each round times `--steps` steps of
every library in turn (A B C D A B C D ...), so a busy moment of the machine hits
all of them; the median per round is reported with the ratios to numpy. The
test suite never times anything.
"""
import argparse
import os
import statistics
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import numpy as np  # noqa: E402

V, E, LR = 96, 64, 0.5


BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}


def make_data(batch, steps, hidden, blocks=4):
    rng = np.random.default_rng(0)
    nxt = rng.integers(0, V, V)                    # a learnable stream: a token mostly follows from the last
    seq = np.empty(batch * (steps + 1), np.int64)
    seq[0] = 0
    for i in range(1, len(seq)):
        seq[i] = nxt[seq[i - 1]] if rng.random() < 0.8 else rng.integers(0, V)
    seq = seq.reshape(batch, steps + 1)
    k = 1 / np.sqrt(hidden)
    u = lambda *s: rng.uniform(-k, k, s).astype(np.float32)  # noqa: E731
    params = {"emb": rng.standard_normal((V, E)).astype(np.float32), "w_ih": u(blocks * hidden, E),
              "w_hh": u(blocks * hidden, hidden), "b_ih": u(blocks * hidden), "b_hh": u(blocks * hidden),
              "w_out": u(V, hidden), "b_out": u(V)}
    return seq[:, :-1].copy(), seq[:, 1:].copy(), params


# ---------------------------------------------------------------- numpy by hand
def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def numpy_step(tokens, targets, params):
    p = {k: v.copy() for k, v in params.items()}
    B, T = tokens.shape
    H = p["w_hh"].shape[1]

    def step():
        x = p["emb"][tokens]
        xg = x @ p["w_ih"].T + (p["b_ih"] + p["b_hh"])
        h, c = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32)
        hs = np.empty((B, T, H), np.float32)
        cache = []
        for t in range(T):
            a = xg[:, t] + h @ p["w_hh"].T
            i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
            g = np.tanh(a[:, 2 * H:3 * H])
            c_prev, h_prev = c, h
            c = f * c + i * g
            tc = np.tanh(c)
            h = o * tc
            hs[:, t] = h
            cache.append((i, f, g, o, c_prev, tc, h_prev))
        z = hs.reshape(-1, H) @ p["w_out"].T + p["b_out"]
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        y, rows = targets.reshape(-1), np.arange(B * T)
        loss = float(np.mean(np.log(s[:, 0]) - z[rows, y]))
        dz = e / s
        dz[rows, y] -= 1
        dz /= B * T
        grads = {"w_out": dz.T @ hs.reshape(-1, H), "b_out": dz.sum(axis=0)}
        dhs = (dz @ p["w_out"]).reshape(B, T, H)
        da_all = np.empty((B, T, 4 * H), np.float32)
        dw_hh = np.zeros_like(p["w_hh"])
        dh_next, dc_next = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32)
        for t in range(T - 1, -1, -1):
            i, f, g, o, c_prev, tc, h_prev = cache[t]
            dh = dhs[:, t] + dh_next
            dc = dc_next + dh * o * (1 - tc * tc)
            da = da_all[:, t]
            da[:, :H] = dc * g * i * (1 - i)
            da[:, H:2 * H] = dc * c_prev * f * (1 - f)
            da[:, 2 * H:3 * H] = dc * i * (1 - g * g)
            da[:, 3 * H:] = dh * tc * o * (1 - o)
            dw_hh += da.T @ h_prev
            dh_next = da @ p["w_hh"]
            dc_next = dc * f
        da2 = da_all.reshape(-1, 4 * H)
        grads["w_hh"] = dw_hh
        grads["w_ih"] = da2.T @ x.reshape(-1, E)
        grads["b_ih"] = grads["b_hh"] = da2.sum(axis=0)
        demb = np.zeros_like(p["emb"])
        np.add.at(demb, tokens.reshape(-1), da2 @ p["w_ih"])
        grads["emb"] = demb
        for k in p:
            p[k] -= LR * grads[k]
        return loss
    return step


# ---------------------------------------------------------------- circuitgrad
def circuitgrad_step(tokens, targets, params, fused, model="lstm"):
    import nn
    import nn.functional as F
    H = params["w_hh"].shape[1]
    layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[model]
    emb, lstm, out = nn.Embedding(V, E), layer(E, H, batch_first=True, fused=fused), nn.Linear(H, V)
    emb.load_state_dict({"weight": params["emb"]})
    lstm.load_state_dict({"weight_ih_l0": params["w_ih"], "weight_hh_l0": params["w_hh"],
                          "bias_ih_l0": params["b_ih"], "bias_hh_l0": params["b_hh"]})
    out.load_state_dict({"weight": params["w_out"], "bias": params["b_out"]})
    ps = [*emb.parameters(), *lstm.parameters(), *out.parameters()]
    y = targets.reshape(-1)

    def step():
        hs, _ = lstm(emb(tokens))
        loss = F.cross_entropy(out(hs).reshape(-1, V), y)
        for p in ps:
            p.zero_grad()
        loss.backward()
        for p in ps:
            p.data -= LR * p.grad
        return loss.item()
    return step


def torch_step(tokens, targets, params, model="lstm"):
    import torch
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))          # as many threads as numpy
    H = params["w_hh"].shape[1]
    layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[model]
    emb, lstm, out = torch.nn.Embedding(V, E), layer(E, H, batch_first=True), torch.nn.Linear(H, V)
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(params["emb"]))
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            getattr(lstm, name.replace("w_", "weight_").replace("b_", "bias_") + "_l0").copy_(
                torch.from_numpy(params[name]))
        out.weight.copy_(torch.from_numpy(params["w_out"]))
        out.bias.copy_(torch.from_numpy(params["b_out"]))
    ps = [*emb.parameters(), *lstm.parameters(), *out.parameters()]
    tt, yt = torch.from_numpy(tokens), torch.from_numpy(targets.reshape(-1))

    def step():
        hs, _ = lstm(emb(tt))
        loss = torch.nn.functional.cross_entropy(out(hs).reshape(-1, V), yt)
        loss.backward()
        with torch.no_grad():
            for q in ps:
                q -= LR * q.grad
                q.grad = None
        return loss.item()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per library per round")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--model", choices=sorted(BLOCKS), default="lstm")
    parser.add_argument("--libs", default="fused,composed,numpy,torch", help="numpy: lstm only")
    args = parser.parse_args()
    tokens, targets, params = make_data(args.batch, args.seq_len, args.hidden, BLOCKS[args.model])
    makers = {"fused": lambda: circuitgrad_step(tokens, targets, params, True, args.model),
              "composed": lambda: circuitgrad_step(tokens, targets, params, False, args.model),
              "numpy": lambda: numpy_step(tokens, targets, params),
              "torch": lambda: torch_step(tokens, targets, params, args.model)}
    if args.model != "lstm":
        makers.pop("numpy")
    steps, losses = {}, {}
    for lib in args.libs.split(","):
        if lib not in makers:
            continue
        try:
            steps[lib] = makers[lib]()
        except ImportError as e:
            print(f"{lib}: skipped ({e})")
            continue
        losses[lib] = [steps[lib]()]                  # a warm-up step
    times = {lib: [] for lib in steps}
    for _ in range(args.rounds):
        for lib, step in steps.items():
            for _ in range(args.steps):
                start = time.perf_counter()
                losses[lib].append(step())
                times[lib].append(time.perf_counter() - start)
    reference = "numpy" if "numpy" in times else next(iter(times))
    base = statistics.median(times[reference])
    print(f"{args.model.upper()} LM step: batch {args.batch} x {args.seq_len} tokens, hidden {args.hidden}; "
          f"{args.rounds} rounds x {args.steps} steps, alternated; median ms/step")
    for lib, ts in times.items():
        ms = 1e3 * statistics.median(ts)
        ratio = f"  {statistics.median(ts) / base:5.2f}x {reference}"
        print(f"  {lib:9s} {ms:8.1f} ms  (min {1e3 * min(ts):.1f}){ratio}  "
              f"loss {losses[lib][0]:.3f} -> {losses[lib][-1]:.3f}")


if __name__ == "__main__":
    main()
