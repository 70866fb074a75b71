"""The notes' image classifiers, each built from nn's layers in a few lines.

    mlp        the notes' two-layer net (any input shape)
    convnet    the notes' convnet: two conv-ReLU-pool stages and two linear layers
    lenet5     LeNet-5 (LeCun et al., 1998): two 5x5 conv-pool stages, three linear layers
    vgg        VGG (Simonyan & Zisserman, 2014): stacks of 3x3 convolutions, then pooling
    inception  a small GoogLeNet (Szegedy et al., 2014): inception modules, whose 1x1
               reductions make the 3x3 and 5x5 branches cheap
    resnet     a small ResNet (He et al., 2015): basic blocks, out = relu(F(x) + x),
               global average pooling

Each takes `(input_shape, classes)`, the shape of one sample (channels, height,
width) and the number of classes; the defaults fit 28x28 grayscale images
(MNIST, Fashion-MNIST). `BasicBlock` (the residual block) and `Inception` are
ordinary Modules written with `forward`: `h + x` is the skip connection,
`autograd.concatenate([...], axis=1)` stacks the branches' channels.
"""
import numpy as np

import autograd
import nn


def _image_shape(input_shape, model):
    if len(input_shape) != 3:
        raise ValueError(f"{model} needs images (channels, height, width), the data has samples "
                         f"of shape {tuple(input_shape)}: use --model mlp")
    return tuple(int(n) for n in input_shape)


def conv_bn_relu(c_in, c_out, kernel_size=3, stride=1):
    """Conv2d (no bias: the BatchNorm's shift replaces it), BatchNorm2d, ReLU; 'same' size at stride 1."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel_size, stride, padding=kernel_size // 2, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU())


# ---------------------------------------------------------------- the notes' nets
def mlp(input_shape, classes, hidden=300):
    """The notes' two-layer net: flatten, Linear(D, 300), ReLU, Linear(300, classes)."""
    inputs = int(np.prod(input_shape))
    return nn.Sequential(nn.Flatten(), nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def convnet(input_shape, classes, batchnorm=False, dropout=0.4):
    """The notes' convnet: [conv3x3(32) (BN) ReLU pool2] [conv3x3(64) (BN) ReLU pool2]
    Linear(512) ReLU Dropout Linear(classes); 'same' padding keeps the sizes even."""
    channels, height, width = _image_shape(input_shape, "convnet")
    layers = []
    for c_in, c_out in ((channels, 32), (32, 64)):
        layers.append(nn.Conv2d(c_in, c_out, 3, padding="same", bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm2d(c_out))
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
    flat = 64 * (height // 4) * (width // 4)
    layers += [nn.Flatten(), nn.Linear(flat, 512), nn.ReLU(), nn.Dropout(dropout), nn.Linear(512, classes)]
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- LeNet-5
def lenet5(input_shape=(1, 28, 28), classes=10):
    """LeNet-5: conv5x5(6) pool2, conv5x5(16) pool2, Linear 120, 84, classes.

    A 28x28 image is padded by 2 to the paper's 32x32, so the second conv sees
    14x14 and leaves 16 maps of 5x5 (61,706 parameters for 10 classes, as in the
    paper). ReLU and max pooling stand in for the paper's scaled tanh and
    trainable subsampling."""
    channels, height, width = _image_shape(input_shape, "lenet5")
    side = lambda n: ((n // 2) - 4) // 2                           # noqa: E731  (28 -> 14 -> 10 -> 5)
    features = nn.Sequential(nn.Conv2d(channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * side(height) * side(width), 120), nn.ReLU(),
                               nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, classes))
    return nn.Sequential({"features": features, "classifier": classifier})


# ---------------------------------------------------------------- VGG
def vgg(input_shape=(1, 28, 28), classes=10, stages=((32,), (64, 64), (128, 128)), hidden=256, dropout=0.5):
    """VGG: stages of 3x3 convolutions (each conv-BN-ReLU), each stage ending in a
    2x2 max pool, then Linear(hidden) ReLU Dropout Linear(classes).

    Two stacked 3x3 convolutions see a 5x5 window, three see 7x7, with fewer
    parameters and more non-linearities than one large filter. The default
    stages are VGG-11's first ones (one conv, then pairs), with 32 to 128
    channels instead of 64 to 512 for a 28x28 image, and BatchNorm as in
    vgg11_bn: they leave 128 maps of 3x3."""
    channels, height, width = _image_shape(input_shape, "vgg")
    layers, c_in = [], channels
    for stage in stages:
        for c_out in stage:
            layers.append(conv_bn_relu(c_in, c_out))
            c_in = c_out
        layers.append(nn.MaxPool2d(2))
        height, width = height // 2, width // 2
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(c_in * height * width, hidden), nn.ReLU(),
                               nn.Dropout(dropout), nn.Linear(hidden, classes))
    return nn.Sequential({"features": nn.Sequential(*layers), "classifier": classifier})


# ---------------------------------------------------------------- GoogLeNet's inception module
class Inception(nn.Module):
    """GoogLeNet's inception module: four branches side by side, their outputs
    stacked along the channels.

        1x1                        c1 channels
        1x1 (reduce to r3) -> 3x3  c3 channels
        1x1 (reduce to r5) -> 5x5  c5 channels
        3x3 max pool -> 1x1        cp channels

    The 1x1 "reductions" are what make the module affordable: a 5x5 conv on
    r5 channels instead of all c_in. Output: c1 + c3 + c5 + cp channels, same
    height and width. `Inception(c_in, c1, r3, c3, r5, c5, cp)`, torchvision's order."""

    def __init__(self, c_in, c1, r3, c3, r5, c5, cp):
        super().__init__()
        self.branch1 = conv_bn_relu(c_in, c1, 1)
        self.branch3 = nn.Sequential(conv_bn_relu(c_in, r3, 1), conv_bn_relu(r3, c3, 3))
        self.branch5 = nn.Sequential(conv_bn_relu(c_in, r5, 1), conv_bn_relu(r5, c5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv_bn_relu(c_in, cp, 1))
        self.out_channels = c1 + c3 + c5 + cp

    def forward(self, x):
        branches = [self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)]
        return autograd.concatenate(branches, axis=1)


def inception(input_shape=(1, 28, 28), classes=10, dropout=0.2):
    """A small GoogLeNet for 28x28: a conv stem, two inception modules at 14x14,
    two at 7x7 (max pools between), global average pooling, Dropout, Linear(classes).
    As GoogLeNet, no large fully connected layer: the average of each map is a feature."""
    channels, _, _ = _image_shape(input_shape, "inception")
    blocks = [Inception(32, 16, 16, 24, 4, 8, 8),            # -> 56 channels
              Inception(56, 24, 24, 48, 8, 16, 16),          # -> 104
              Inception(104, 48, 32, 64, 8, 16, 16),         # -> 144
              Inception(144, 48, 48, 96, 12, 24, 24)]        # -> 192
    return nn.Sequential({
        "stem": conv_bn_relu(channels, 32, 3), "pool1": nn.MaxPool2d(2),
        "inception3a": blocks[0], "inception3b": blocks[1], "pool2": nn.MaxPool2d(2),
        "inception4a": blocks[2], "inception4b": blocks[3],
        "avgpool": nn.AdaptiveAvgPool2d(1), "flatten": nn.Flatten(), "dropout": nn.Dropout(dropout),
        "fc": nn.Linear(blocks[-1].out_channels, classes)})


# ---------------------------------------------------------------- ResNet's residual block
class BasicBlock(nn.Module):
    """ResNet's basic block: out = relu(F(x) + shortcut(x)) with
    F = conv3x3-BN-ReLU-conv3x3-BN. The skip wire carries x past F unchanged
    (identity), or through a 1x1 convolution and BN when the block changes the
    number of channels or, with stride 2, the size. On the way back the add
    gate hands the same gradient to both wires: the skip delivers it to x
    undiminished, however deep the stack. `BasicBlock(c_in, c_out, stride=1)`."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        h = self.bn1(self.conv1(x)).relu()
        h = self.bn2(self.conv2(h))
        return (h + self.shortcut(x)).relu()


def resnet(input_shape=(1, 28, 28), classes=10, widths=(32, 64, 128), blocks=1, pool=True):
    """A small ResNet: a conv3x3-BN-ReLU stem (and a 2x2 max pool, as the
    ImageNet ResNets' stem: 28x28 -> 14x14), then stages of `blocks` basic blocks
    with `widths` channels, each stage after the first halving the size (stride 2
    in its first block), global average pooling and Linear(classes).
    blocks=1 has 2·3 + 2 = 8 layers with weights (ResNet-8); pool=False,
    widths=(16, 32, 64) and blocks=3 is the CIFAR ResNet-20 of He et al."""
    channels, _, _ = _image_shape(input_shape, "resnet")
    stages, c_in = {}, widths[0]
    for i, width in enumerate(widths):
        first = BasicBlock(c_in, width, stride=1 if i == 0 else 2)
        stages[f"layer{i + 1}"] = nn.Sequential(first, *[BasicBlock(width, width) for _ in range(blocks - 1)])
        c_in = width
    stem = {"stem": conv_bn_relu(channels, widths[0], 3), **({"pool": nn.MaxPool2d(2)} if pool else {})}
    return nn.Sequential({**stem, **stages,
                          "avgpool": nn.AdaptiveAvgPool2d(1), "flatten": nn.Flatten(),
                          "fc": nn.Linear(widths[-1], classes)})


MODELS = {"mlp": mlp, "convnet": convnet, "lenet5": lenet5, "vgg": vgg, "inception": inception, "resnet": resnet}
"""Every classifier by name."""
