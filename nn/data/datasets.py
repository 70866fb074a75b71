"""Datasets held as numpy arrays: MNIST-style IDX directories, Fashion-MNIST from
its Debian package, CIFAR-10 binaries, and the notes' toy sets (spiral, moons).

Nothing is ever downloaded: a missing dataset raises DataError saying how to get it.
Images are float32 in [0, 1], NCHW; labels are int64.
"""
import os
import pathlib

import numpy as np

from .cifar import CLASSES as CIFAR10_CLASSES
from .cifar import read_cifar10
from .idx import DataError, read_idx

FASHION_MNIST_DIR = pathlib.Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


class ArrayDataset:
    """Samples `x[i]` with labels `y[i]`; indexing with an array of indices
    returns a whole batch at once."""

    def __init__(self, x, y, classes=None):
        x, y = np.asarray(x), np.asarray(y)
        if len(x) != len(y):
            raise ValueError(f"ArrayDataset: {len(x)} samples but {len(y)} labels "
                             f"(x {x.shape}, y {y.shape})")
        self.x, self.y = x, y
        self.classes = tuple(classes) if classes is not None else tuple(str(c) for c in np.unique(y))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return self.x[index], self.y[index]

    def __repr__(self):
        return f"ArrayDataset(x {self.x.dtype} {self.x.shape}, y {self.y.shape}, {len(self.classes)} classes)"


def _find(directory, stem):
    for name in (stem, stem + ".gz"):
        if (directory / name).exists():
            return directory / name
    raise DataError(f"{directory}: missing {stem} (or {stem}.gz)")


def mnist(directory, classes=None):
    """{'train', 'test'} datasets from the four IDX files of MNIST or Fashion-MNIST
    in `directory` (plain or .gz), images as (N, 1, 28, 28) float32 in [0, 1]."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory (expected the four MNIST IDX files in it)")
    classes = classes or [str(c) for c in range(10)]
    splits = {}
    for split, (images, labels) in IDX_FILES.items():
        x = read_idx(_find(directory, images))
        labels_path = _find(directory, labels)
        y = read_idx(labels_path)
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DataError(f"{directory}: {images} has shape {x.shape} and {labels} shape "
                            f"{y.shape}; expected (N, rows, cols) images and N labels")
        if y.size and (y.min() < 0 or y.max() >= len(classes)):
            raise DataError(f"{labels_path}: labels must lie in 0..{len(classes) - 1} ({len(classes)} "
                            f"classes), found {int(y.min())}..{int(y.max())}")
        splits[split] = ArrayDataset((x[:, None] / np.float32(255)).astype(np.float32),
                                     y.astype(np.int64), classes)
    return splits


def fashion_mnist(directory=None):
    """Fashion-MNIST from the Debian package `dataset-fashion-mnist`
    (/usr/share/datasets/fashion-mnist, or $FASHION_MNIST_DIR)."""
    directory = pathlib.Path(directory or FASHION_MNIST_DIR)
    if not directory.is_dir():
        raise DataError(
            f"Fashion-MNIST is not installed in {directory}. Install the Debian package: "
            f"`sudo apt-get install dataset-fashion-mnist`; or put the four IDX files "
            f"(train-images-idx3-ubyte.gz, ...) in a directory and use `mnist:DIR`.")
    return mnist(directory, FASHION_MNIST_CLASSES)


def cifar10(directory):
    """{'train', 'test'} datasets from CIFAR-10's binary batches, (N, 3, 32, 32) float32 in [0, 1]."""
    parts = read_cifar10(directory)
    return {split: ArrayDataset((x / np.float32(255)).astype(np.float32), y, CIFAR10_CLASSES)
            for split, (x, y) in parts.items()}


def spiral(n_per_class=100, classes=3, noise=0.2, seed=0):
    """The notes' spiral: `classes` arms of points in 2-D, not linearly separable.
    Arm j: radius r in [0, 1], angle t = 4j + 4r + noise·N(0, 1); x = (r sin t, r cos t)."""
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), classes)
    arm = np.repeat(np.arange(classes), n_per_class)
    t = arm * 4.0 + r * 4.0 + rng.standard_normal(r.shape) * noise
    x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1).astype(np.float32)
    return ArrayDataset(x, arm.astype(np.int64), [f"arm {j}" for j in range(classes)])


def moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles in 2-D, labels 0 and 1."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t1, t2 = rng.uniform(0, np.pi, half), rng.uniform(0, np.pi, n - half)
    x = np.concatenate([np.stack([np.cos(t1), np.sin(t1)], 1),
                        np.stack([1 - np.cos(t2), 0.5 - np.sin(t2)], 1)])
    x += rng.normal(scale=noise, size=x.shape)
    y = np.concatenate([np.zeros(half), np.ones(n - half)]).astype(np.int64)
    return ArrayDataset(x.astype(np.float32), y, ["upper", "lower"])


def load(spec, seed=0):
    """{'train', 'test'} datasets named the way the command line names them:
    'fashion-mnist', 'mnist:DIR', 'cifar10:DIR', 'spiral' or 'moons'."""
    name, _, directory = spec.partition(":")
    if name == "fashion-mnist":
        return fashion_mnist(directory or None)
    if name in ("mnist", "cifar10"):
        if not directory:
            raise DataError(f"--data {name} needs a directory: {name}:DIR")
        return mnist(directory) if name == "mnist" else cifar10(directory)
    if name == "spiral":
        return {"train": spiral(300, seed=seed), "test": spiral(100, seed=seed + 1)}
    if name == "moons":
        return {"train": moons(600, seed=seed), "test": moons(200, seed=seed + 1)}
    raise DataError(f"unknown dataset {spec!r}: use fashion-mnist, mnist:DIR, cifar10:DIR, spiral or moons")
