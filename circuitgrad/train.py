"""`circuitgrad train`: the notes' workflow on real data.

Load the data (never downloading), hold out a validation split, standardise
with statistics of the training split only, build the net, train it with
mini-batch SGD or an adaptive rule and a decaying learning rate, keep the
parameters with the best validation accuracy, then report the test accuracy
and the confusion matrix, and write the run into its directory (runs.py):
model.npz, checkpoint.npz, plots and summary.json, each written atomically.

An existing run is never overwritten by accident: `--overwrite` replaces it,
`--resume` continues it from its checkpoint (after Ctrl-C, say), exactly as
an uninterrupted run would have gone on.

Text data (`--data text:PATH` or `python-source`) trains a character-level
language model instead: language.py, with the same run directory and checks.
"""
import argparse
import contextlib
import json
import pathlib
import time

import numpy as np

import autograd
import nn.functional as F
import optim
from autograd.storage import atomic_write
from circuitgrad import Failure, language, runs
from nn import data
from nn.models import classifiers

HELP = "train a net on real data (the notes' workflow)"

# The options that define a run: saved with it, and taken back by --resume.
SETTINGS = ("data", "model", "batchnorm", "optim", "lr", "weight_decay", "lr_schedule", "lr_decay", "epochs",
            "batch_size", "val_fraction", "augment", "crop_padding", "limit", "seed")


def _number(parse, low=None, high=None, low_open=False, high_open=False):
    """An argparse type: text -> number within the bounds, or a one-line error."""
    def check(text):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n integer' if parse is int else ' number'}")
        if low is not None and (value <= low if low_open else value < low) or \
                high is not None and (value >= high if high_open else value > high) or value != value:
            bounds = " and ".join(b for b in (
                None if low is None else f"{'>' if low_open else '>='} {low}",
                None if high is None else f"{'<' if high_open else '<='} {high}") if b)
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value
    return check


def add_arguments(parser):
    """The options of a run, and how to treat an existing one."""
    parser.add_argument("--data", default="fashion-mnist",
                        help="fashion-mnist | mnist:DIR | cifar10:DIR | spiral | moons; text (a language "
                        "model): text:PATH (a file or a directory) | python-source")
    parser.add_argument("--model", choices=list(classifiers.MODELS) + list(language.models.KINDS),
                        help="default: mlp; on text lstm (or rnn, gru, transformer)")
    parser.add_argument("--batchnorm", action="store_true", help="convnet: BatchNorm after each conv")
    parser.add_argument("--optim", default="adam", choices=list(runs.OPTIMIZERS))
    parser.add_argument("--lr", type=_number(float, 0, low_open=True),
                        help="learning rate (default: per optimizer)")
    parser.add_argument("--weight-decay", type=_number(float, 0), default=0.0, help="L2 regularisation strength")
    parser.add_argument("--lr-schedule", choices=["step", "cosine"], default="step",
                        help="step: multiply the learning rate by --lr-decay every third of the epochs; "
                        "cosine: anneal it to 0 over the epochs along half a cosine")
    parser.add_argument("--lr-decay", type=_number(float, 0, 1, low_open=True), default=0.3,
                        help="--lr-schedule step: multiply the learning rate by this every third of the "
                        "epochs (1: no decay)")
    parser.add_argument("--epochs", type=_number(int, 1), help="epochs in all (default 10; with --resume: "
                        "the run's own, or more to go on longer, the schedule refitted to them)")
    parser.add_argument("--batch-size", type=_number(int, 1), help="default 100; on text 32 streams")
    parser.add_argument("--val-fraction", type=_number(float, 0, 1, True, True), default=0.1,
                        help="the share of the training data held out for validation, in (0, 1)")
    parser.add_argument("--augment", action="store_true", help="random horizontal flips of training images")
    parser.add_argument("--crop-padding", type=_number(int, 0), default=0,
                        help="random crops of training images padded by this many pixels (0: none)")
    parser.add_argument("--limit", type=_number(int, 2), help="use only this many training samples (a quick run)")
    parser.add_argument("--seed", type=_number(int, 0), default=0)
    text = parser.add_argument_group("language models (text data)")
    text.add_argument("--seq-len", type=_number(int, 1), help="characters per window of truncated "
                      "backpropagation through time; the transformer's context (default 64)")
    text.add_argument("--hidden", type=_number(int, 1), help="hidden units (transformer: d_model; default 256)")
    text.add_argument("--layers", type=_number(int, 1), help="recurrent layers or transformer blocks (default 1)")
    text.add_argument("--clip", type=_number(float, 0), help="clip the gradient's norm to this (default 5; 0: off)")
    text.add_argument("--eval-chars", type=_number(int, 2), help="measure bits per character on the first this "
                      "many characters of the validation and test text (default 100000)")
    text.add_argument("--steps-per-epoch", type=_number(int, 1), help="steps between evaluations "
                      "(default: a whole pass over the training text)")
    text.add_argument("--max-minutes", type=_number(float, 0, low_open=True),
                      help="stop training after this many minutes (the epoch in progress ends early)")
    parser.add_argument("--out", default="runs/latest", help="the run's directory: model.npz, checkpoint.npz, "
                        "plots, summary.json")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    what.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--detect-anomaly", action="store_true",
                        help="check every gate for NaN and inf, forward and backward (slower)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args, out=print):
    """Train as the arguments say; returns the summary dict (also written as summary.json)."""
    directory = pathlib.Path(args.out)
    if directory.exists() and not directory.is_dir():
        raise Failure(f"--out {directory} is a file, not a directory")
    if args.resume:
        checkpoint = directory / "checkpoint.npz"
        if not checkpoint.exists():
            raise Failure(f"--resume: {directory} holds no checkpoint.npz to continue from")
        settings = runs.settings_of(checkpoint)
        settings["epochs"] = args.epochs or settings["epochs"]
    else:
        if runs.holds_run(directory) and not args.overwrite:
            raise Failure(f"{directory} already holds a run: pass --overwrite to replace it, or --resume "
                          f"to continue it from its checkpoint (or choose another --out)")
        settings = language.settings(args) if data.is_text(args.data) else image_settings(args)
    directory.mkdir(parents=True, exist_ok=True)
    if args.overwrite:
        for name in runs.RUN_FILES:
            (directory / name).unlink(missing_ok=True)
    anomalies = autograd.detect_anomaly() if args.detect_anomaly else contextlib.nullcontext()
    # numpy's overflow warnings say less than the Solver's message about a diverging loss
    trainer = language.train if data.is_text(settings["data"]) else train
    with anomalies, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return trainer(settings, directory, args.resume, not args.no_progress, out)


def image_settings(args):
    """The settings of a new image run from the command line's options,
    refusing options that only language models have."""
    for name in language.SETTINGS:
        if name not in SETTINGS and getattr(args, name) is not None:
            raise Failure(f"--{name.replace('_', '-')} is for text data (text:PATH or python-source), "
                          f"not {args.data}")
    if args.model in language.models.KINDS:
        raise Failure(f"--model {args.model} is a language model: use --data text:PATH or python-source")
    settings = {name: getattr(args, name) for name in SETTINGS}
    settings.update(model=args.model or "mlp", epochs=args.epochs or 10, batch_size=args.batch_size or 100)
    return settings


def train(settings, directory, resume=False, progress=True, out=print):
    """One run with the given settings into `directory` (from its checkpoint if `resume`)."""
    started = time.perf_counter()
    s = settings
    autograd.manual_seed(s["seed"])
    splits = data.load(s["data"], seed=s["seed"])
    full, test = splits["train"], splits["test"]
    if s["limit"]:
        full = data.Subset(full, np.arange(min(s["limit"], len(full))))
    n_val = max(1, int(len(full) * s["val_fraction"]))
    if len(full) - n_val < s["batch_size"]:
        raise Failure(f"{len(full)} training samples less a validation split of {n_val} leave fewer than "
                      f"one batch of {s['batch_size']}: raise --limit, or lower --batch-size or --val-fraction")
    train_set, val_set = data.random_split(full, [len(full) - n_val, n_val], seed=s["seed"])
    (x_train, y_train), (x_val, y_val) = train_set[:], val_set[:]
    standardize = data.Standardize(per="channel" if x_train.ndim == 4 else "feature").fit(x_train)
    x_train, x_val, x_test = (standardize.transform(x) for x in (x_train, x_val, test.x))

    input_shape, classes = x_train.shape[1:], full.classes
    model = runs.build_model(s["model"], input_shape, len(classes), s["batchnorm"])
    optimizer, scheduler, lr = runs.optimizer_and_schedule(model, s)
    meta = runs.meta(s, input_shape, classes, standardize)
    out(f"{s['data']}: {len(y_train)} training, {len(y_val)} validation, {len(test)} test samples "
        f"of shape {tuple(input_shape)}, {len(classes)} classes")
    out(f"model {s['model']}{' with BatchNorm' if s['batchnorm'] else ''}: "
        f"{sum(p.size for p in model.parameters()):,} parameters; {s['optim']}, lr {lr:g}")

    solver = optim.Solver(model, F.cross_entropy, optimizer, (x_train, y_train), (x_val, y_val),
                          batch_size=s["batch_size"], epochs=s["epochs"], scheduler=scheduler,
                          transform=(data.Augment(flip=s["augment"], crop_padding=s["crop_padding"])
                                     if s["augment"] or s["crop_padding"] else None),
                          best=directory / "model.npz", checkpoint=directory / "checkpoint.npz",
                          meta=meta, progress=progress, seed=s["seed"], log=out)
    if resume:
        runs.resume(solver, scheduler, directory, s["epochs"], out)
    with runs.stops_reported(directory, solver, s["epochs"]):
        history = solver.fit()
    predictions = solver.predict(x_test).argmax(axis=1)
    test_acc = float(np.mean(predictions == test.y))
    matrix = runs.confusion_matrix(test.y, predictions, len(classes))
    out(f"test accuracy {test_acc:.4f}")
    out(runs.format_confusion(matrix, classes))

    model.save(directory / "model.npz", meta)
    try:
        solver.plot(directory)
        plots = ", loss.png, accuracy.png, ratios.png"
    except ImportError:                                 # matplotlib is in the `train` extra
        plots = " (no plots: pip install 'circuitgrad[train]' for matplotlib)"
    summary = {**s, "lr": lr, "epochs": len(history["train_acc"]),
               "train_samples": int(len(y_train)), "parameters": int(sum(p.size for p in model.parameters())),
               "test_accuracy": test_acc, "best_val_accuracy": solver.best_val_acc,
               "train_accuracy": history["train_acc"], "val_accuracy": history["val_acc"],
               "epoch_seconds": history["epoch_time"], "total_seconds": time.perf_counter() - started,
               "confusion_matrix": matrix.tolist(), "classes": list(classes)}
    with atomic_write(directory / "summary.json", "w") as f:
        f.write(json.dumps(summary, indent=2))
    out(f"wrote {directory}/model.npz, checkpoint.npz, summary.json{plots}")
    return summary
