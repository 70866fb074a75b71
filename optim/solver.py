"""The training loop: Solver, as the CS231n notes run and babysit training.

Mini-batch SGD over shuffled epochs with any update rule and schedule; the
loss of every step, train/val accuracy every epoch, the learning rate, and the
ratio of update size to weight size per parameter (the notes' health check,
about 1e-3); the best-validation parameters kept and optionally checkpointed;
early stopping; a diverging loss stops training with a message. Also the
notes' sanity check (overfit a tiny subset with regularisation off). Its
curves are drawn by plots.py; random search of hyperparameters is search.py.

The model is anything callable on a numpy batch with `parameters()` (and,
if it has them, `named_parameters()`, `train()`, `eval()`, `state_dict()`,
`load_state_dict()`, as an `nn.Module` does): optim does not import nn.
Data is an `(x, y)` pair of arrays or a dataset whose `ds[indices]` returns
a batch `(x, y)`.
"""
import json
import math
import time

import numpy as np

from autograd import checks, no_grad, raw, storage
from autograd.random import generator

from . import flat


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


class Solver:
    """Train `model` on `train_data`, checking it on `val_data`.

    `Solver(model, loss_fn, optimizer, train_data, val_data=None,
    batch_size=100, epochs=10, scheduler=None, ...)`; `fit()` runs it.
    loss_fn(model(x), y) gives the loss. `scheduler` is stepped once per
    epoch; one with `steps_on_metric` (ReduceLROnPlateau) with the
    validation loss (the training loss without validation data).

    Options: `transform(x, rng)` augments each training batch;
    `train_samples` (1000) is how many training samples the per-epoch train
    accuracy uses; `best`, a path where the model with the best validation
    accuracy so far is saved (a model file, see autograd.storage) whenever it
    improves; `checkpoint`, a path where the whole state is saved at the end of
    every epoch, for `load_checkpoint` to resume; `meta`, what is saved with
    the model in both (for whatever rebuilds it); `patience` stops after that
    many epochs without a better validation accuracy; `ratio_every` how often
    (in steps) update/weight ratios are measured; `progress` shows a tqdm bar.
    Every file is written atomically: an interrupted save keeps the last one.
    """

    def __init__(self, model, loss_fn, optimizer, train_data, val_data=None, batch_size=100,
                 epochs=10, scheduler=None, transform=None, train_samples=1000, best=None,
                 checkpoint=None, meta=None, patience=None, ratio_every=50, progress=True, seed=None,
                 log=print):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train_data, self.val_data = train_data, val_data
        self.batch_size = checks.integer("Solver", "batch_size", batch_size, minimum=1)
        self.epochs = checks.integer("Solver", "epochs", epochs, minimum=0)
        self.scheduler, self.transform, self.train_samples = scheduler, transform, train_samples
        self.best, self.checkpoint, self.meta = best, checkpoint, dict(meta or {})
        self.patience, self.ratio_every, self.progress, self.log = patience, ratio_every, progress, log
        self.rng = np.random.default_rng(seed) if seed is not None else generator()
        self.epoch = 0
        self.step_count = 0
        self.history = {"loss": [], "lr": [], "train_acc": [], "val_acc": [], "val_loss": [],
                        "epoch_time": [], "ratio": {}}
        self.best_val_acc = -1.0
        self.best_state = None                      # the model's state dict at its best validation accuracy
        self._last_finite = None

    # ------------------------------------------------------------ training
    def fit(self, restore_best=True):
        """Train for the remaining epochs; returns `history`. At the end the
        model holds the parameters with the best validation accuracy (unless
        restore_best=False: then the last ones, to save and resume)."""
        n = _length(self.train_data)
        steps = max(n // self.batch_size, 1)
        stale = 0
        while self.epoch < self.epochs:
            start = time.perf_counter()
            order = self.rng.permutation(n)
            bar = progress_bar(range(steps), self.progress, f"epoch {self.epoch + 1}/{self.epochs}")
            for i in bar:
                x, y = _batch(self.train_data, order[i * self.batch_size:(i + 1) * self.batch_size])
                if self.transform is not None:
                    x = self.transform(x, self.rng)
                loss = self.train_step(x, y)
                if hasattr(bar, "set_postfix") and (i % 10 == 0 or i == steps - 1):
                    rate = (i + 1) * self.batch_size / (time.perf_counter() - start)
                    bar.set_postfix(loss=f"{loss:.4f}", lr=f"{self.lr:.3g}", samples_s=f"{rate:.0f}")
            self.epoch += 1
            self.history["epoch_time"].append(time.perf_counter() - start)
            improved = self._end_of_epoch()
            stale = 0 if improved else stale + 1
            if self.patience is not None and stale >= self.patience:
                self.log(f"early stop: no better validation accuracy for {stale} epochs")
                break
        if restore_best and self.best_state is not None:
            self._set_model_state(self.best_state)
        return self.history

    def train_step(self, x, y):
        """One step of forward, backward and update on the batch (x, y); returns the loss."""
        _call(self.model, "train")
        loss = self.loss_fn(self.model(x), y)
        value = float(raw(loss))
        self.step_count += 1
        if not math.isfinite(value):
            last = ("none yet" if self._last_finite is None
                    else f"{self._last_finite[1]:.6g} at step {self._last_finite[0]}")
            raise TrainingDiverged(
                f"training stopped at step {self.step_count} (epoch {self.epoch + 1}): the loss is "
                f"{value}; the last finite loss was {last}. Lower the learning rate, or check the "
                f"data and the initialisation.")
        self._last_finite = (self.step_count, value)
        self.optimizer.zero_grad()
        loss.backward()
        measure = self.ratio_every and (self.step_count - 1) % self.ratio_every == 0
        before = {name: np.array(p.data, copy=True) for name, p in self._named()} if measure else None
        self.optimizer.step()
        if measure:
            for name, p in self._named():
                scale = np.linalg.norm(before[name])
                if scale > 0:
                    ratio = np.linalg.norm(np.asarray(p.data) - before[name]) / scale
                    self.history["ratio"].setdefault(name, []).append((self.step_count, float(ratio)))
        self.history["loss"].append(value)
        return value

    def _end_of_epoch(self):
        self.history["lr"].append(self.lr)
        train_acc = self.accuracy(self.train_data, self.train_samples)
        self.history["train_acc"].append(train_acc)
        improved = False
        message = f"epoch {self.epoch}/{self.epochs}: loss {self.history['loss'][-1]:.4f}, train acc {train_acc:.4f}"
        if self.val_data is not None:
            val_acc, val_loss = self.evaluate(self.val_data)
            self.history["val_acc"].append(val_acc)
            self.history["val_loss"].append(val_loss)
            message += f", val acc {val_acc:.4f}, val loss {val_loss:.4f}"
            if val_acc > self.best_val_acc:
                improved = True
                self.best_val_acc = val_acc
                self.best_state = self._model_state()
                if self.best is not None:
                    storage.save_model(self.best, self.best_state, self.meta)
        if self.scheduler is not None:
            if getattr(self.scheduler, "steps_on_metric", False):     # ReduceLROnPlateau
                metric = self.history["val_loss"][-1] if self.val_data is not None else self.history["loss"][-1]
                self.scheduler.step(metric)
            else:
                self.scheduler.step()
        if self.checkpoint is not None:
            self.save_checkpoint(self.checkpoint)
        self.log(message + f", lr {self.history['lr'][-1]:.3g}")
        return improved

    # ------------------------------------------------------------ evaluation
    def predict(self, x, batch_size=1000):
        """Class scores of the model for x, in eval mode and without a graph."""
        _call(self.model, "eval")
        with no_grad():
            scores = [np.asarray(raw(self.model(x[i:i + batch_size])))
                      for i in range(0, len(x), batch_size)]
        return np.concatenate(scores)

    def evaluate(self, data, batch_size=1000):
        """(accuracy, mean loss) on data."""
        x, y = _batch(data, np.arange(_length(data)))
        scores = self.predict(x, batch_size)
        with no_grad():
            loss = float(raw(self.loss_fn(scores, y)))
        return float(np.mean(scores.argmax(axis=1) == y)), loss

    def accuracy(self, data, samples=None):
        """The fraction of data (or of a random subset of `samples`) classified right."""
        n = _length(data)
        index = self.rng.choice(n, samples, replace=False) if samples and samples < n else np.arange(n)
        x, y = _batch(data, index)
        return float(np.mean(self.predict(x).argmax(axis=1) == y))

    def sanity_check(self, samples=20, steps=200):
        """The notes' sanity check: with regularisation (weight decay) off, the
        model must be able to overfit a tiny subset: the loss goes to about 0
        and the training accuracy to 100%. The model and optimizer are put back
        as they were; returns {"loss_first", "loss_last", "train_acc"}."""
        x, y = _batch(self.train_data, np.arange(min(samples, _length(self.train_data))))
        state = self._model_state()
        optimizer_state = self.optimizer.state_dict()
        decays = [g.get("weight_decay", 0) for g in self.optimizer.param_groups]
        for g in self.optimizer.param_groups:
            if "weight_decay" in g:
                g["weight_decay"] = 0.0
        try:
            losses = [self._overfit_step(x, y) for _ in range(steps)]
            acc = float(np.mean(self.predict(x).argmax(axis=1) == y))
        finally:
            self._set_model_state(state)
            self.optimizer.load_state_dict(optimizer_state)
            for g, decay in zip(self.optimizer.param_groups, decays):
                if "weight_decay" in g:
                    g["weight_decay"] = decay
        return {"loss_first": losses[0], "loss_last": losses[-1], "train_acc": acc}

    def _overfit_step(self, x, y):
        _call(self.model, "train")
        loss = self.loss_fn(self.model(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(raw(loss))

    # ------------------------------------------------------------ saving
    def save_checkpoint(self, path):
        """The model (with `meta`), its best state, the optimizer, the scheduler,
        the random generators and the history in one model file at exactly
        `path`, written atomically: `load_checkpoint` then `fit()` continues
        exactly as an uninterrupted run would."""
        more = {f"optimizer/{k}": v for k, v in self.optimizer.state_dict().items()}
        if self.best_state is not None:
            more.update({f"best/{name}": a for name, a in self.best_state.items()})
        if self.scheduler is not None and hasattr(self.scheduler, "state_dict"):
            more.update({f"scheduler/{k}": flat.encode(v, k) for k, v in self.scheduler.state_dict().items()})
        more["solver/rng"] = np.array(json.dumps(self.rng.bit_generator.state))
        more["solver/library_rng"] = np.array(json.dumps(generator().bit_generator.state))
        more["solver/epoch"] = np.array(self.epoch)
        more["solver/step"] = np.array(self.step_count)
        more["solver/best_val_acc"] = np.array(self.best_val_acc)
        for key in ("loss", "lr", "train_acc", "val_acc", "val_loss", "epoch_time"):
            more[f"solver/history/{key}"] = np.array(self.history[key], dtype=np.float64)
        storage.save_model(path, self._model_state(), self.meta, more)

    def load_checkpoint(self, path):
        """Restore a checkpoint written by `save_checkpoint` (read with
        allow_pickle=False). Everything is checked before anything changes: a
        file that is not a checkpoint raises FileFormatError naming it."""
        state, _, parts = storage.load_model(path)
        solver = parts.get("solver", {})
        if "epoch" not in solver:
            raise storage.FileFormatError(f"{path}: a model file, not a training checkpoint "
                                          f"(it holds no solver state)")
        self.optimizer.check_state_dict(parts.get("optimizer", {}))
        self._set_model_state(state)
        self.optimizer.load_state_dict(parts.get("optimizer", {}))
        if self.scheduler is not None and "scheduler" in parts:
            self.scheduler.load_state_dict({k: flat.decode(v) for k, v in parts["scheduler"].items()})
        self.epoch, self.step_count = int(solver["epoch"]), int(solver["step"])
        self.best_val_acc = float(solver["best_val_acc"])
        for key in ("loss", "lr", "train_acc", "val_acc", "val_loss", "epoch_time"):
            self.history[key] = solver[f"history/{key}"].tolist()
        self.best_state = parts.get("best")
        self.rng.bit_generator.state = json.loads(str(solver["rng"]))
        generator().bit_generator.state = json.loads(str(solver["library_rng"]))

    def plot(self, directory=None):
        """The training curves of `history` (optim.plots.plot_history); with
        `directory`, also written there as loss.png, accuracy.png, ratios.png."""
        from .plots import plot_history
        return plot_history(self.history, directory)

    # ------------------------------------------------------------ helpers
    @property
    def lr(self):
        """The learning rate of the first parameter group."""
        return float(self.optimizer.param_groups[0]["lr"])

    def _named(self):
        if hasattr(self.model, "named_parameters"):
            return list(self.model.named_parameters())
        return [(str(i), p) for i, p in enumerate(self.model.parameters())]

    def _model_state(self):
        """A copy of the model's state: its state dict (parameters and buffers)."""
        if hasattr(self.model, "state_dict"):
            return self.model.state_dict()
        return {name: np.array(p.data) for name, p in self._named()}

    def _set_model_state(self, state):
        if hasattr(self.model, "load_state_dict"):
            self.model.load_state_dict(state)
        else:
            for name, p in self._named():
                p.copy_(state[name])


def _length(data):
    return len(data[0]) if isinstance(data, tuple) else len(data)


def _batch(data, index):
    if isinstance(data, tuple):
        return data[0][index], data[1][index]
    return data[index]


def _call(model, method):
    if hasattr(model, method):
        getattr(model, method)()


def progress_bar(iterable, show, description):
    """`iterable` under a tqdm progress bar when `show` (and tqdm is installed), else as it is."""
    if not show:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:                          # tqdm is in the `train` extra
        return iterable
    return tqdm(iterable, desc=description, leave=False, unit="step")
