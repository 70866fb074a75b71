"""The nets of the notes that `circuitgrad train` builds."""
import numpy as np

import nn


def mlp(input_shape, classes, hidden=300):
    """The notes' two-layer net: flatten, Linear(D, 300), ReLU, Linear(300, classes)."""
    inputs = int(np.prod(input_shape))
    return nn.Sequential(nn.Flatten(), nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def convnet(input_shape, classes, batchnorm=False, dropout=0.4):
    """The notes' convnet: [conv3x3(32) (BN) ReLU pool2] [conv3x3(64) (BN) ReLU pool2]
    Linear(512) ReLU Dropout Linear(classes); 'same' padding keeps the sizes even."""
    if len(input_shape) != 3:
        raise ValueError(f"convnet needs images (channels, height, width), the data has samples "
                         f"of shape {tuple(input_shape)}: use --model mlp")
    channels, height, width = input_shape
    layers = []
    for c_in, c_out in ((channels, 32), (32, 64)):
        layers.append(nn.Conv2d(c_in, c_out, 3, padding="same", bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm2d(c_out))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
    flat = 64 * (height // 4) * (width // 4)
    layers += [nn.Flatten(), nn.Linear(flat, 512), nn.ReLU(), nn.Dropout(dropout), nn.Linear(512, classes)]
    return nn.Sequential(*layers)


def build(kind, input_shape, classes, batchnorm=False):
    """`mlp` or `convnet` for samples of `input_shape` and `classes` classes."""
    if kind == "mlp":
        return mlp(input_shape, classes)
    if kind == "convnet":
        return convnet(input_shape, classes, batchnorm)
    raise ValueError(f"unknown model {kind!r}: use mlp or convnet")
