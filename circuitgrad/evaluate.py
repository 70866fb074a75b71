"""`circuitgrad evaluate`: the accuracy of a run's model on a dataset's test split.

It takes either model file of a run (model.npz, or checkpoint.npz), and refuses
data the model was not made for: samples of another shape, or other classes.
A language run's model is measured in bits per character on test text instead
(language.py).
"""
import numpy as np

import autograd
from autograd import storage
from circuitgrad import Failure, language, runs
from nn import data

HELP = "accuracy (a language model: bits per character) of a model saved by train"


def add_arguments(parser):
    """The model file, and the data to evaluate it on."""
    parser.add_argument("model", help="a model.npz or checkpoint.npz written by circuitgrad train")
    parser.add_argument("--data", help="dataset to evaluate on (default: the one it was trained on)")


def run(args, out=print):
    """Reload the model and report its accuracy and confusion matrix; returns the
    accuracy (a language model: its bits per character)."""
    if language.is_language(storage.load_model(args.model)[1]):
        return language.evaluate(args, out)
    model, meta, standardize = runs.load(args.model)
    spec = args.data or str(meta["data"])
    test = data.load(spec)["test"]
    classes = [str(c) for c in meta["classes"]]
    if [str(c) for c in test.classes] != classes:
        raise Failure(f"{spec} has the classes {', '.join(map(str, test.classes))}, but the model was "
                      f"trained on {', '.join(classes)}")
    x = standardize.transform(test.x)
    if x.shape[1:] != tuple(int(n) for n in meta["input_shape"]):
        raise Failure(f"{spec} has samples of shape {x.shape[1:]}, but the model was trained on "
                      f"{tuple(int(n) for n in meta['input_shape'])}")
    model.eval()
    with autograd.no_grad():
        predictions = np.concatenate([np.asarray(model(x[i:i + 1000]).data).argmax(axis=1)
                                      for i in range(0, len(x), 1000)])
    acc = float(np.mean(predictions == test.y))
    out(f"{args.model} on {spec} (test split, {len(x)} samples): accuracy {acc:.4f}")
    out(runs.format_confusion(runs.confusion_matrix(test.y, predictions, len(classes)), classes))
    return acc
