"""A run of `circuitgrad train`: its directory and its model files.

A run directory holds model.npz (the parameters with the best validation
accuracy), checkpoint.npz (everything, as of the last finished epoch: what
`--resume` continues from), summary.json and the plots. Both .npz files are
model files (autograd.storage): the model under model/, and under meta/ what
rebuilds it (the net, its input shape, the classes, the standardisation) and
the run's settings. `circuitgrad evaluate` takes either.
"""
import contextlib
import json

import numpy as np

import optim
from autograd import storage
from circuitgrad import Failure
from nn import data
from nn.models import classifiers
from optim.lr_scheduler import CosineAnnealingLR, StepLR

RUN_FILES = ("model.npz", "checkpoint.npz", "summary.json")

OPTIMIZERS = {   # --optim name -> (optim class, default learning rate, settings)
    "sgd": ("SGD", 0.05, {}),
    "momentum": ("SGD", 0.01, {"momentum": 0.9}),
    "nesterov": ("SGD", 0.01, {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", 0.01, {}),
    "rmsprop": ("RMSprop", 1e-3, {}),
    "adam": ("Adam", 1e-3, {}),
}


def holds_run(directory):
    """True when `directory` holds (part of) a run."""
    return directory.is_dir() and any((directory / name).exists() for name in RUN_FILES)


def optimizer_and_schedule(model, settings):
    """(optimizer, schedule, learning rate) of a run's settings: the --optim
    rule at --lr (or its default); --lr-schedule step cuts the rate by
    --lr-decay at each third of the epochs, cosine anneals it to 0 over them.
    (Runs saved before --lr-schedule existed were step runs.)"""
    rule, default_lr, options = OPTIMIZERS[settings["optim"]]
    lr = settings["lr"] if settings["lr"] is not None else default_lr
    optimizer = getattr(optim, rule)(model.parameters(), lr=lr, weight_decay=settings["weight_decay"], **options)
    if settings.get("lr_schedule", "step") == "cosine":
        return optimizer, CosineAnnealingLR(optimizer, T_max=schedule_length(True, settings["epochs"])), lr
    return optimizer, StepLR(optimizer, step_size=schedule_length(False, settings["epochs"]),
                             gamma=settings["lr_decay"]), lr


def schedule_length(cosine, epochs):
    """The length of a run's schedule over `epochs` epochs: a cosine anneals over all of them
    (T_max), a step decay cuts the rate at each third (step_size)."""
    return epochs if cosine else max(1, epochs // 3)


def refit_schedule(scheduler, epochs):
    """After --resume with another --epochs: the schedule of a run of that length, as a new
    run would have it (cosine anneals to 0 over all the epochs, step decays at each third),
    from the epoch reached. Kept as saved, a cosine would climb back up over the added
    epochs. Returns the line that says so, or None when the length is the run's own."""
    cosine = isinstance(scheduler, CosineAnnealingLR)
    field, length = "T_max" if cosine else "step_size", schedule_length(cosine, epochs)
    saved, lr = getattr(scheduler, field), scheduler.get_last_lr()[0]
    if saved == length:
        return None
    setattr(scheduler, field, length)
    scheduler.last_epoch -= 1
    scheduler.step()                                   # the rate at the epoch reached, by the new length
    what = f"anneals over {epochs} epochs" if cosine else f"decays every {length} epochs"
    return (f"the {'cosine' if cosine else 'step'} schedule now {what} (was {saved}), as in a new run: "
            f"the rate goes from {lr:.3g} to {scheduler.get_last_lr()[0]:.3g}")


def resume(trainer, scheduler, directory, epochs, out):
    """--resume: `trainer` (a Solver, a language Run) back to the checkpoint in `directory`,
    its schedule refitted to `epochs` (refit_schedule), saying both. Fewer epochs than the
    run has trained are refused: there is nothing to go on with."""
    trainer.load_checkpoint(directory / "checkpoint.npz")
    if epochs < trainer.epoch:
        raise Failure(f"--epochs {epochs}: the run in {directory} has trained {trainer.epoch} epochs already; "
                      f"give more to go on longer, or leave --epochs out to keep its own")
    out(f"resumed after epoch {trainer.epoch} of {epochs}")
    note = refit_schedule(scheduler, epochs)
    if note:
        out(note)


@contextlib.contextmanager
def stops_reported(directory, trainer, epochs):
    """Around a run's training: Ctrl-C becomes a Failure (exit 130) saying how
    to continue from the last checkpoint, a diverged run one (exit 1)
    suggesting --detect-anomaly. `trainer.epoch` counts the finished epochs."""
    try:
        yield
    except KeyboardInterrupt:
        if trainer.epoch == 0:
            raise Failure("interrupted in the first epoch, before any checkpoint: nothing to resume", 130)
        raise Failure(f"interrupted in epoch {trainer.epoch + 1} of {epochs}; {directory}/checkpoint.npz "
                      f"keeps the run as of epoch {trainer.epoch}: continue it with "
                      f"`circuitgrad train --resume --out {directory}`", 130) from None
    except optim.TrainingDiverged as e:
        raise Failure(f"{e} To find the gate where the first NaN or inf appears, run again with "
                      f"--detect-anomaly.", 1) from None


def build_model(kind, input_shape, classes, batchnorm=False):
    """The classifier `kind` (mlp, convnet, lenet5, vgg, inception, resnet) for samples of
    `input_shape` and `classes` classes; batchnorm puts BatchNorm into the convnet (the
    deeper nets always have it)."""
    if kind == "convnet":
        return classifiers.convnet(input_shape, classes, batchnorm)
    if kind in classifiers.MODELS:
        return classifiers.MODELS[kind](input_shape, classes)
    raise ValueError(f"unknown model {kind!r}: use {', '.join(classifiers.MODELS)}")


def meta(settings, input_shape, classes, standardize):
    """What a model file of this run holds besides the model: the settings
    (a dict, saved as JSON), and what rebuilding and feeding the model needs."""
    return {"run": json.dumps(settings), "model": settings["model"], "batchnorm": settings["batchnorm"],
            "data": settings["data"], "input_shape": np.array(input_shape),
            "classes": np.array([str(c) for c in classes]),
            "mean": standardize.mean, "std": standardize.std}


def settings_of(path):
    """The settings a run was started with, from one of its model files."""
    _, saved, _ = storage.load_model(path)
    if "run" not in saved:
        raise storage.FileFormatError(f"{path}: a model file, but not one of `circuitgrad train`'s "
                                      f"(it holds no run settings)")
    return json.loads(str(saved["run"]))


def load(path):
    """(model, meta, standardize) from a model file of a run: model.npz or
    checkpoint.npz."""
    state, saved, _ = storage.load_model(path)
    missing = {"model", "input_shape", "classes", "mean", "std"} - set(saved)
    if missing:
        raise storage.FileFormatError(f"{path}: a model file, but not one of `circuitgrad train`'s "
                                      f"(it lacks {', '.join(sorted(missing))})")
    model = build_model(str(saved["model"]), tuple(int(n) for n in saved["input_shape"]),
                        len(saved["classes"]), bool(saved.get("batchnorm", False)))
    model.load_state_dict(state)
    standardize = data.Standardize()
    standardize.mean, standardize.std = saved["mean"], saved["std"]
    return model, saved, standardize


# ---------------------------------------------------------------- reporting
def confusion_matrix(truth, predicted, classes):
    """counts[i, j]: samples of class i predicted as class j."""
    return np.bincount(truth * classes + predicted, minlength=classes * classes).reshape(classes, classes)


def format_confusion(matrix, names):
    """The confusion matrix as text, rows the true classes."""
    short = [str(n)[:9] for n in names]
    width = max(6, max(len(s) for s in short) + 1, len(str(matrix.max())) + 1)
    lines = ["confusion matrix (rows: true class, columns: predicted)",
             " " * 12 + "".join(f"{s:>{width}}" for s in short)]
    for name, row in zip(short, matrix):
        lines.append(f"{name:>11} " + "".join(f"{n:>{width}}" for n in row))
    return "\n".join(lines)
