"""The networks of the notes, built from nn's layers in a few lines each, and
the models `circuitgrad train --model ...` builds.

    classifiers.py   image and feature classifiers: mlp, convnet, lenet5, vgg,
                     inception, resnet (sized for 28x28 grayscale by default)
    language.py      character-level language models: rnn, lstm, gru, transformer
    ngram.py         count-based character n-grams, the language models' baseline
"""
from . import classifiers  # noqa: E402,F401
from .classifiers import BasicBlock, Inception, convnet, inception, lenet5, mlp, resnet, vgg  # noqa: E402,F401
