"""`circuitgrad train` and `circuitgrad evaluate`: the notes' workflow on real data.

Load the data (never downloading), hold out a validation split, standardise
with statistics of the training split only, build the net, train it with
mini-batch SGD or an adaptive rule and a decaying learning rate, keep the
parameters with the best validation accuracy, then report the test accuracy
and the confusion matrix, and write the model (.npz), plots and a JSON summary.
"""
import json
import pathlib
import time

import numpy as np

import autograd
import nn.functional as F
import optim
from nn import data
from optim.lr_scheduler import StepLR

from . import models
from .train_options import OPTIMIZERS

def run_train(args, out=print):
    """Train as the arguments say; returns the summary dict (also written as summary.json)."""
    started = time.perf_counter()
    autograd.manual_seed(args.seed)
    splits = data.load(args.data, seed=args.seed)
    full, test = splits["train"], splits["test"]
    if args.limit:
        full = data.Subset(full, np.arange(min(args.limit, len(full))))
    n_val = max(1, int(len(full) * args.val_fraction))
    train_set, val_set = data.random_split(full, [len(full) - n_val, n_val], seed=args.seed)
    (x_train, y_train), (x_val, y_val) = train_set[:], val_set[:]
    images = x_train.ndim == 4
    standardize = data.Standardize(per="channel" if images else "feature").fit(x_train)
    x_train, x_val, x_test = (standardize.transform(x) for x in (x_train, x_val, test.x))

    input_shape, classes = x_train.shape[1:], full.classes
    model = models.build(args.model, input_shape, len(classes), args.batchnorm)
    rule, default_lr, settings = OPTIMIZERS[args.optim]
    lr = args.lr if args.lr is not None else default_lr
    optimizer = getattr(optim, rule)(model.parameters(), lr=lr, weight_decay=args.weight_decay, **settings)
    scheduler = StepLR(optimizer, step_size=max(1, args.epochs // 3), gamma=args.lr_decay)
    directory = pathlib.Path(args.out)
    directory.mkdir(parents=True, exist_ok=True)
    out(f"{args.data}: {len(y_train)} training, {len(y_val)} validation, {len(test)} test samples "
        f"of shape {tuple(input_shape)}, {len(classes)} classes")
    out(f"model {args.model}{' with BatchNorm' if args.batchnorm else ''}: "
        f"{sum(p.size for p in model.parameters()):,} parameters; {args.optim}, lr {lr:g}")

    solver = optim.Solver(model, F.cross_entropy, optimizer, (x_train, y_train), (x_val, y_val),
                          batch_size=args.batch_size, epochs=args.epochs, scheduler=scheduler,
                          transform=(data.Augment(flip=args.augment, crop_padding=args.crop_padding)
                                     if args.augment or args.crop_padding else None),
                          checkpoint=directory / "best.npz", progress=not args.no_progress,
                          seed=args.seed, log=out)
    history = solver.fit()
    predictions = solver.predict(x_test).argmax(axis=1)
    test_acc = float(np.mean(predictions == test.y))
    matrix = confusion_matrix(test.y, predictions, len(classes))
    out(f"test accuracy {test_acc:.4f}")
    out(format_confusion(matrix, classes))

    save_model(directory / "model.npz", model, args, input_shape, classes, standardize)
    try:
        solver.plot(directory)
        plots = ", loss.png, accuracy.png, ratios.png"
    except ImportError:                                 # matplotlib is in the `train` extra
        plots = " (no plots: pip install 'circuitgrad[train]' for matplotlib)"
    summary = {
        "data": args.data, "model": args.model, "batchnorm": args.batchnorm, "optim": args.optim,
        "lr": lr, "weight_decay": args.weight_decay, "epochs": len(history["train_acc"]),
        "augment": args.augment, "crop_padding": args.crop_padding,
        "batch_size": args.batch_size, "seed": args.seed,
        "train_samples": int(len(y_train)), "parameters": int(sum(p.size for p in model.parameters())),
        "test_accuracy": test_acc, "best_val_accuracy": solver.best_val_acc,
        "train_accuracy": history["train_acc"], "val_accuracy": history["val_acc"],
        "epoch_seconds": history["epoch_time"], "total_seconds": time.perf_counter() - started,
        "confusion_matrix": matrix.tolist(), "classes": list(classes),
    }
    (directory / "summary.json").write_text(json.dumps(summary, indent=2))
    out(f"wrote {directory}/model.npz, summary.json{plots}")
    return summary


def run_evaluate(args, out=print):
    """Reload a model written by `train` and report its accuracy on a dataset's test split."""
    model, meta, standardize = load_model(args.model)
    spec = args.data or str(meta["data"])
    test = data.load(spec)["test"]
    x = standardize.transform(test.x)
    if x.shape[1:] != tuple(meta["input_shape"]):
        raise data.DataError(f"{spec}: samples of shape {x.shape[1:]}, but the model was trained "
                             f"on {tuple(meta['input_shape'])}")
    model.eval()
    with autograd.no_grad():
        predictions = np.concatenate([np.asarray(model(x[i:i + 1000]).data).argmax(axis=1)
                                      for i in range(0, len(x), 1000)])
    acc = float(np.mean(predictions == test.y))
    classes = [str(c) for c in meta["classes"]]
    out(f"{args.model} on {spec} (test split, {len(x)} samples): accuracy {acc:.4f}")
    out(format_confusion(confusion_matrix(test.y, predictions, len(classes)), classes))
    return acc


# ---------------------------------------------------------------- saving
def save_model(path, model, args, input_shape, classes, standardize):
    """The parameters and buffers ("param/<name>") with what rebuilding them
    needs ("meta/..."): one .npz, readable with allow_pickle=False."""
    entries = {f"param/{k}": np.asarray(v) for k, v in model.state_dict().items()}
    entries.update({"meta/model": np.array(args.model), "meta/batchnorm": np.array(args.batchnorm),
                    "meta/data": np.array(args.data), "meta/input_shape": np.array(input_shape),
                    "meta/classes": np.array([str(c) for c in classes]),
                    "meta/mean": standardize.mean, "meta/std": standardize.std})
    np.savez(path, **entries)


def load_model(path):
    """(model, meta, standardize) from a file written by save_model."""
    with np.load(path, allow_pickle=False) as saved:
        params = {k[len("param/"):]: saved[k] for k in saved.files if k.startswith("param/")}
        meta = {k[len("meta/"):]: saved[k] for k in saved.files if k.startswith("meta/")}
    missing = {"model", "input_shape", "classes", "mean", "std"} - set(meta)
    if missing:
        raise ValueError(f"{path}: not a model written by `circuitgrad train` (missing {sorted(missing)})")
    model = models.build(str(meta["model"]), tuple(meta["input_shape"]), len(meta["classes"]),
                         bool(meta.get("batchnorm", False)))
    model.load_state_dict(params)
    standardize = data.Standardize()
    standardize.mean, standardize.std = meta["mean"], meta["std"]
    return model, meta, standardize


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
