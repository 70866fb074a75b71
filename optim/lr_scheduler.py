"""Learning-rate schedules (CS231n, "Neural Networks 3": annealing the learning rate).

A schedule changes the lr of every parameter group of an optimizer; call
`scheduler.step()` once per epoch (or per iteration), after
`optimizer.step()`, as in PyTorch. t counts the scheduler's steps (0 at
creation) and lr0 is a group's lr when the first schedule was attached
(kept in the group as "initial_lr").
"""
import math

from autograd import checks

from . import flat
from .optimizer import fraction, non_negative, one_of, positive, positive_int


class LRScheduler:
    """Base of the schedules: each step sets every group's lr to
    `lr_at(lr0, t)`, a closed form of t. The schedule owns the lr: a value set
    by hand is replaced at the next step."""

    steps_on_metric = False     # True: step(metric) takes this epoch's validation loss

    def __init__(self, optimizer):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(self).__name__}: optimizer must be an optim.Optimizer, "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, lr0, t):
        """The lr at step t of a group that started at lr0 (override)."""
        raise NotImplementedError

    def step(self):
        """Advance t by one and set the groups' lrs."""
        self.last_epoch += 1
        self._apply()

    def _apply(self):
        for group, lr0 in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(lr0, self.last_epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The lr of each group as last set by this schedule."""
        return list(self._last_lr)

    def state_dict(self):
        """The schedule's settings and counters as a flat dict of numpy arrays
        (for `np.savez`; the optimizer is saved on its own)."""
        return {key: flat.encode(value, key) for key, value in vars(self).items()
                if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore what `state_dict()` saved (a dict or the result of `np.load`)."""
        known = set(vars(self)) - {"optimizer"}
        for key in state_dict:
            if key not in known:
                raise ValueError(f"{type(self).__name__}.load_state_dict: unexpected key {key!r} "
                                 f"(expected {', '.join(sorted(known))})")
        for key in state_dict:
            value = flat.decode(state_dict[key])
            setattr(self, key, list(value) if isinstance(value, tuple) else value)

    def __repr__(self):
        return f"{type(self).__name__}(t={self.last_epoch}, lr={self.get_last_lr()})"


class StepLR(LRScheduler):
    """Step decay: `StepLR(optimizer, step_size, gamma=0.1)`.

        lr = lr0 * gamma ** (t // step_size)

    (the notes: "reduce the learning rate by some factor every few epochs").
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        positive_int(type(self).__name__, "step_size", step_size)
        positive(type(self).__name__, "gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, lr0, t):
        return lr0 * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """Exponential decay: `ExponentialLR(optimizer, gamma)`.

        lr = lr0 * gamma ** t

    the notes' lr0 * e^(-k t) in PyTorch's per-step form, gamma = e^(-k).
    """

    def __init__(self, optimizer, gamma):
        positive(type(self).__name__, "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, lr0, t):
        return lr0 * self.gamma ** t


class InverseTimeLR(LRScheduler):
    """1/t decay: `InverseTimeLR(optimizer, k)`.

        lr = lr0 / (1 + k * t)
    """

    def __init__(self, optimizer, k):
        non_negative(type(self).__name__, "k", k)
        self.k = k
        super().__init__(optimizer)

    def lr_at(self, lr0, t):
        return lr0 / (1 + self.k * t)


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing: `CosineAnnealingLR(optimizer, T_max, eta_min=0)`.

        lr = eta_min + (lr0 - eta_min) · (1 + cos(π·t / T_max)) / 2

    from lr0 at t = 0 down to eta_min at t = T_max, slowly at both ends (SGDR,
    Loshchilov & Hutter, without restarts; PyTorch's closed form). Over a run of
    T_max epochs it spends longer near the high rate than a step decay does, and
    ends at a rate small enough to settle.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        positive_int(type(self).__name__, "T_max", T_max)
        non_negative(type(self).__name__, "eta_min", eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, lr0, t):
        return self.eta_min + (lr0 - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class ReduceLROnPlateau(LRScheduler):
    """Reduce the lr when a metric stops improving (the notes: "reduce the
    learning rate whenever the validation error stops improving"):
    `ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10,
    threshold=1e-4, threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8)`,
    PyTorch's semantics; `step(metric)` once per epoch.

    A metric is an improvement when, for mode 'min', it is below
    best * (1 - threshold) (threshold_mode 'rel') or best - threshold ('abs');
    for mode 'max', above best * (1 + threshold) or best + threshold. After
    more than `patience` epochs in a row without improvement,

        lr = max(lr * factor, min_lr)          (unless that changes lr by <= eps)

    and the next `cooldown` epochs do not count as bad ones.
    """

    steps_on_metric = True

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"ReduceLROnPlateau: optimizer must be an optim.Optimizer, "
                            f"got {type(optimizer).__name__}")
        one_of("min", "max")(type(self).__name__, "mode", mode)
        positive(type(self).__name__, "factor", factor)
        fraction(type(self).__name__, "factor", factor)
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            checks.integer("ReduceLROnPlateau", name, value, minimum=0)
        non_negative(type(self).__name__, "threshold", threshold)
        one_of("rel", "abs")(type(self).__name__, "threshold_mode", threshold_mode)
        non_negative(type(self).__name__, "eps", eps)
        groups = optimizer.param_groups
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        if len(min_lrs) != len(groups):
            raise ValueError(f"ReduceLROnPlateau: min_lr has {len(min_lrs)} entries, the optimizer "
                             f"{len(groups)} parameter groups")
        for i, value in enumerate(min_lrs):
            non_negative(type(self).__name__, f"min_lr[{i}]", value)
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in groups]

    def is_better(self, metric):
        """Whether `metric` improves on the best so far by more than the threshold."""
        relative = self.threshold_mode == "rel"
        if self.mode == "min":
            bar = self.best * (1 - self.threshold) if relative else self.best - self.threshold
            return metric < bar
        bar = self.best * (1 + self.threshold) if relative else self.best + self.threshold
        return metric > bar

    def step(self, metrics):
        """Record this epoch's metric (a number or a single-element Value;
        PyTorch's argument name) and reduce the lr after more than `patience`
        epochs without improvement."""
        metric = float(metrics)
        self.last_epoch += 1
        if self.is_better(metric):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:                    # just reduced: let the new lr work
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
