"""`circuitgrad train --data text:PATH | python-source`: a character-level language model.

train.py hands a run on text data here (its option checks, run directory,
--resume and --overwrite are shared). The corpus is split by file
(nn.data.load_text), the characters of the training text are the vocabulary,
and the model (nn.models.language: rnn, lstm, gru or transformer) learns to
predict the next character with truncated backpropagation through time:
`batch_size` contiguous streams read `seq_len` characters at a time, the
recurrent state carried from one window to the next and detached between
them, the gradient norm clipped (--clip). An epoch is a pass over the
training text, or --steps-per-epoch steps; --max-minutes stops training
after that much time. After every epoch: bits per character on validation
and test text (the first --eval-chars characters of each), next to the best
count-based n-gram model of the same training text (nn.models.ngram).

The run directory is the image runs' (runs.py): model.npz (the best
validation bits per character), checkpoint.npz (everything as of the last
epoch, for --resume), summary.json; their meta holds the vocabulary, so
`circuitgrad sample` and `circuitgrad evaluate` rebuild the model.
"""
import json
import math
import time

import numpy as np

import autograd
import nn
import nn.functional as F
import optim
from autograd import raw, storage
from autograd.random import generator
from autograd.storage import atomic_write
from circuitgrad import Failure, runs
from nn import data
from nn.models import language as models
from nn.models.ngram import baselines
from optim import flat
from optim.solver import progress_bar

SETTINGS = ("data", "model", "optim", "lr", "weight_decay", "lr_schedule", "lr_decay", "epochs", "batch_size",
            "seq_len", "hidden", "layers", "clip", "eval_chars", "steps_per_epoch", "max_minutes", "seed")
DEFAULTS = {"model": "lstm", "batch_size": 32, "seq_len": 64, "hidden": 256, "layers": 1, "clip": 5.0,
            "eval_chars": 100_000, "epochs": 10}
IMAGE_ONLY = ("batchnorm", "augment", "crop_padding", "limit")
EVAL_STREAMS = 32
EMBEDDING_DIM = 64


def settings(args):
    """The settings of a new language run from the command line's options,
    refusing options that only images have."""
    for name in IMAGE_ONLY:
        if getattr(args, name) not in (None, False, 0):
            raise Failure(f"--{name.replace('_', '-')} is for image data, not {args.data}")
    chosen = {name: getattr(args, name, None) for name in SETTINGS}
    for name, default in DEFAULTS.items():
        chosen[name] = default if chosen[name] is None else chosen[name]
    if chosen["model"] not in models.KINDS:
        raise Failure(f"--model {chosen['model']} is an image classifier; on text use one of "
                      f"{', '.join(models.KINDS)}")
    return chosen


def meta(s, vocab):
    """What a language run's model file holds besides the model: the settings,
    and what rebuilding the model and reading text needs (the vocabulary as
    code points)."""
    return {"run": json.dumps(s), "task": "language", "model": s["model"], "data": s["data"],
            "vocabulary": np.frombuffer(vocab.chars.encode("utf-32-le"), np.uint32).astype(np.int64),
            "hidden": s["hidden"], "layers": s["layers"], "context": s["seq_len"], "embedding_dim": EMBEDDING_DIM}


def is_language(saved):
    """True when a model file's meta is a language run's."""
    return str(saved.get("task", "")) == "language"


def load(path):
    """(model, vocabulary, meta) from a language run's model.npz or checkpoint.npz."""
    state, saved, _ = storage.load_model(path)
    if not is_language(saved):
        kind = f"{saved['model']} on {saved['data']}" if "model" in saved and "data" in saved else "not a language run"
        raise Failure(f"{path} is not a language model ({kind}): train one with "
                      f"`circuitgrad train --data text:PATH` or `--data python-source`")
    vocab = data.Vocabulary(saved["vocabulary"].astype(np.uint32).tobytes().decode("utf-32-le"))
    model = models.build(str(saved["model"]), len(vocab), int(saved["hidden"]), int(saved["layers"]),
                         int(saved["context"]), int(saved["embedding_dim"]))
    model.load_state_dict(state)
    return model, vocab, saved


def eval_ids(vocab, text, limit):
    """The ids of the first `limit` characters of text, cut so that the
    evaluation streams predict every character after the first exactly once."""
    ids = vocab.encode(text[:limit])
    streams = max(1, min(EVAL_STREAMS, len(ids) - 1))
    return ids[:1 + streams * ((len(ids) - 1) // streams)]


def train(settings, directory, resume=False, progress=True, out=print):
    """One language run with the given settings into `directory` (from its
    checkpoint if `resume`); returns the summary (also summary.json)."""
    started = time.perf_counter()
    s = settings
    autograd.manual_seed(s["seed"])
    corpus = data.load_text(s["data"], seed=s["seed"])
    vocab = data.Vocabulary.from_text(corpus.train)
    train_ids = vocab.encode(corpus.train)
    val_ids, test_ids = (eval_ids(vocab, corpus[split], s["eval_chars"]) for split in ("validation", "test"))
    if len(val_ids) < 2 or len(test_ids) < 2:
        raise Failure(f"{s['data']}: the validation or test text is too short to measure anything")
    data.bptt_windows(train_ids, s["batch_size"], s["seq_len"])               # enough text for one window?
    out(f"{s['data']}: {len(corpus.train):,} training characters in {len(corpus.files['train'])} files, "
        f"{len(corpus.validation):,} validation, {len(corpus.test):,} test (bits per character measured "
        f"on {len(val_ids) - 1:,} and {len(test_ids) - 1:,}); {len(vocab)} characters in the vocabulary")

    grams = baselines(train_ids, val_ids, test_ids, len(vocab), start=1)
    best_gram = min(grams, key=lambda g: g["validation_bpc"])
    out("n-gram baselines (add-k, k chosen on validation): " + ", ".join(
        f"order {g['order']} {g['test_bpc']:.3f}" for g in grams) +
        f" bits/char on test; best on validation: order {best_gram['order']}, test {best_gram['test_bpc']:.3f}")

    model = models.build(s["model"], len(vocab), s["hidden"], s["layers"], s["seq_len"], EMBEDDING_DIM)
    optimizer, scheduler, lr = runs.optimizer_and_schedule(model, s)
    run = Run(model, optimizer, scheduler, s, meta(s, vocab))
    out(f"model {s['model']}: {sum(p.size for p in model.parameters()):,} parameters; {s['optim']}, lr {lr:g}, "
        f"clip {s['clip'] or 'off'}")
    if resume:
        runs.resume(run, scheduler, directory, s["epochs"], out)
    with runs.stops_reported(directory, run, s["epochs"]):
        run.fit(train_ids, val_ids, test_ids, directory, progress, out)

    h = run.history
    best = int(np.argmin(h["val_bpc"]))
    model.load_state_dict(run.best_state)
    text = models.sample(model, vocab, "", 200, 0.8, seed=s["seed"])
    out(f"best epoch {best + 1}: validation {h['val_bpc'][best]:.3f}, test {h['test_bpc'][best]:.3f} bits/char "
        f"(best n-gram: order {best_gram['order']}, test {best_gram['test_bpc']:.3f})")
    out(f"a sample (temperature 0.8):\n{text}")
    summary = {**s, "lr": lr, "epochs": len(h["val_bpc"]), "task": "language", "vocabulary_size": len(vocab),
               "parameters": int(sum(p.size for p in model.parameters())),
               "train_characters": len(corpus.train), "files": {k: len(v) for k, v in corpus.files.items()},
               "val_characters": len(val_ids) - 1, "test_characters": len(test_ids) - 1,
               "test_bpc": h["test_bpc"][best], "best_val_bpc": h["val_bpc"][best], "best_epoch": best + 1,
               "val_bpc": h["val_bpc"], "test_bpc_per_epoch": h["test_bpc"], "train_loss": h["loss_epoch"],
               "steps": run.step_count, "clipped_steps": run.clipped, "epoch_seconds": h["epoch_time"],
               "total_seconds": time.perf_counter() - started, "ngram": grams, "best_ngram": best_gram,
               "sample": text}
    with atomic_write(directory / "summary.json", "w") as f:
        f.write(json.dumps(summary, indent=2))
    out(f"wrote {directory}/model.npz, checkpoint.npz, summary.json")
    return summary


class Run:
    """The training loop of a language run: truncated BPTT over contiguous
    streams, clipping, evaluation every epoch, the best model and a checkpoint
    saved; `load_checkpoint` continues exactly where an earlier run stopped."""

    HISTORY = ("loss", "loss_epoch", "val_bpc", "test_bpc", "epoch_time", "lr")

    def __init__(self, model, optimizer, scheduler, settings, meta):
        self.model, self.optimizer, self.scheduler, self.s, self.meta = model, optimizer, scheduler, settings, meta
        self.rng = np.random.default_rng(settings["seed"])
        self.epoch = self.step_count = self.clipped = 0
        self.offset, self.cursor = 0, 0                  # where in the training text the next window starts
        self.history = {key: [] for key in self.HISTORY}
        self.best_state = None

    def fit(self, train_ids, val_ids, test_ids, directory, progress=True, out=print):
        """Train for the remaining epochs (or until --max-minutes)."""
        s = self.s
        windows = data.bptt_windows(train_ids, s["batch_size"], s["seq_len"], self.offset)
        budget = s["max_minutes"] * 60 if s["max_minutes"] else math.inf
        while self.epoch < s["epochs"] and sum(self.history["epoch_time"]) < budget:
            start, state, losses = time.perf_counter(), None, []
            steps = s["steps_per_epoch"] or len(windows)
            bar = progress_bar(range(steps), progress, f"epoch {self.epoch + 1}/{s['epochs']}")
            for _ in bar:
                if self.cursor >= len(windows):            # a new pass over the text, from a new offset
                    self.offset, self.cursor, state = int(self.rng.integers(s["seq_len"])), 0, None
                    windows = data.bptt_windows(train_ids, s["batch_size"], s["seq_len"], self.offset)
                loss, state = self.train_step(windows[self.cursor], state)
                self.cursor += 1
                losses.append(loss)
                if hasattr(bar, "set_postfix") and len(losses) % 10 == 0:
                    bar.set_postfix(bits_per_char=f"{data.bits_per_char(np.mean(losses[-10:])):.3f}")
                if sum(self.history["epoch_time"]) + time.perf_counter() - start > budget:
                    break
            self.epoch += 1
            self.history["epoch_time"].append(time.perf_counter() - start)
            self.history["loss_epoch"].append(data.bits_per_char(float(np.mean(losses))))
            self.end_of_epoch(val_ids, test_ids, directory, out)
        if self.best_state is None:
            raise Failure("no epoch was trained: raise --epochs or --max-minutes")

    def train_step(self, window, state):
        """Forward over one window from the carried state (detached), backward,
        clip, update; returns (loss, the state to carry on)."""
        self.model.train()
        logits, state = self.model(window[:, :-1], models.detach(state))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), window[:, 1:].reshape(-1))
        value = float(raw(loss))
        self.step_count += 1
        if not math.isfinite(value):
            raise optim.TrainingDiverged(f"training stopped at step {self.step_count} (epoch {self.epoch + 1}): "
                                         f"the loss is {value}. Lower the learning rate or --clip.")
        self.optimizer.zero_grad()
        loss.backward()
        if self.s["clip"]:
            norm = nn.utils.clip_grad_norm_(self.model.parameters(), self.s["clip"])
            self.clipped += int(float(raw(norm)) > self.s["clip"])
        self.optimizer.step()
        self.history["loss"].append(value)
        return value, state

    def end_of_epoch(self, val_ids, test_ids, directory, out):
        """Measure, keep the best model, step the schedule, save the checkpoint."""
        h = self.history
        val, _ = models.evaluate(self.model, val_ids, EVAL_STREAMS, self.s["seq_len"])
        test, _ = models.evaluate(self.model, test_ids, EVAL_STREAMS, self.s["seq_len"])
        h["lr"].append(float(self.optimizer.param_groups[0]["lr"]))
        if not h["val_bpc"] or val < min(h["val_bpc"]):
            self.best_state = self.model.state_dict()
            storage.save_model(directory / "model.npz", self.best_state, self.meta)
        h["val_bpc"].append(val)
        h["test_bpc"].append(test)
        self.scheduler.step()
        self.save_checkpoint(directory / "checkpoint.npz")
        out(f"epoch {self.epoch}/{self.s['epochs']}: train {h['loss_epoch'][-1]:.3f}, validation {val:.3f}, "
            f"test {test:.3f} bits/char ({self.step_count} steps, {h['epoch_time'][-1]:.0f} s, "
            f"lr {h['lr'][-1]:.3g})")

    def save_checkpoint(self, path):
        """Everything as of the end of this epoch, in one model file, atomically."""
        more = {f"optimizer/{k}": v for k, v in self.optimizer.state_dict().items()}
        more.update({f"best/{name}": a for name, a in self.best_state.items()})
        more.update({f"scheduler/{k}": flat.encode(v, k) for k, v in self.scheduler.state_dict().items()})
        more["language/rng"] = np.array(json.dumps(self.rng.bit_generator.state))
        more["language/library_rng"] = np.array(json.dumps(generator().bit_generator.state))
        for key in ("epoch", "step_count", "clipped", "offset", "cursor"):
            more[f"language/{key}"] = np.array(getattr(self, key))
        more.update({f"language/history/{key}": np.array(self.history[key], np.float64) for key in self.HISTORY})
        storage.save_model(path, self.model.state_dict(), self.meta, more)

    def load_checkpoint(self, path):
        """Restore a checkpoint written by save_checkpoint, checked first."""
        state, _, parts = storage.load_model(path)
        saved = parts.get("language", {})
        if "epoch" not in saved:
            raise storage.FileFormatError(f"{path}: not a checkpoint of a language run")
        self.optimizer.check_state_dict(parts.get("optimizer", {}))
        self.model.load_state_dict(state)
        self.optimizer.load_state_dict(parts.get("optimizer", {}))
        self.scheduler.load_state_dict({k: flat.decode(v) for k, v in parts.get("scheduler", {}).items()})
        for key in ("epoch", "step_count", "clipped", "offset", "cursor"):
            setattr(self, key, int(saved[key]))
        self.history = {key: saved[f"history/{key}"].tolist() for key in self.HISTORY}
        self.best_state = parts.get("best")
        self.rng.bit_generator.state = json.loads(str(saved["rng"]))
        generator().bit_generator.state = json.loads(str(saved["library_rng"]))


def evaluate(args, out=print):
    """`circuitgrad evaluate` of a language run: bits per character on the
    test split (of the run's data, or of --data text:PATH split with the run's
    seed), next to a uniform guess (log2 of the vocabulary size)."""
    model, vocab, saved = load(args.model)
    s = json.loads(str(saved["run"]))
    spec = args.data or s["data"]
    if not data.is_text(spec):
        raise Failure(f"{args.model} is a language model: evaluate it on text (--data text:PATH or "
                      f"python-source), not {spec}")
    ids = eval_ids(vocab, data.load_text(spec, seed=s["seed"]).test, s["eval_chars"])
    if len(ids) < 2:
        raise Failure(f"{spec}: the test text is too short to measure anything")
    bpc, count = models.evaluate(model, ids, EVAL_STREAMS, s["seq_len"])
    out(f"{args.model} on {spec} (test split, {count:,} characters predicted): {bpc:.4f} bits per character "
        f"(a uniform guess over its {len(vocab)} characters: {math.log2(len(vocab)):.4f})")
    return bpc

