"""The nets `circuitgrad train --model ...` builds: the notes' networks of nn.models."""
from nn.models import classifiers


def build(kind, input_shape, classes, batchnorm=False):
    """The classifier `kind` (mlp, convnet, lenet5, vgg, inception, resnet) for samples of
    `input_shape` and `classes` classes; batchnorm puts BatchNorm into the convnet (the
    deeper nets always have it)."""
    if kind == "convnet":
        return classifiers.convnet(input_shape, classes, batchnorm)
    if kind in classifiers.MODELS:
        return classifiers.MODELS[kind](input_shape, classes)
    raise ValueError(f"unknown model {kind!r}: use {', '.join(classifiers.MODELS)}")
