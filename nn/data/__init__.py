"""Data for nets: dataset readers, loaders, preprocessing and augmentation.

Readers: IDX (MNIST, Fashion-MNIST; plain or .gz), CIFAR-10 binaries, the Debian
package dataset-fashion-mnist, and the toy sets of the notes (spiral, moons).
Nothing is downloaded at run time.
"""
from .augment import Augment, color_jitter, random_crop, random_flip
from .datasets import (ArrayDataset, cifar10, fashion_mnist, load, mnist, moons, spiral,
                       FASHION_MNIST_CLASSES, FASHION_MNIST_DIR)
from .idx import DataError, read_idx, write_idx
from .loader import DataLoader, Subset, random_split
from .preprocess import PCA, Standardize

__all__ = ["ArrayDataset", "DataLoader", "Subset", "random_split", "read_idx", "write_idx",
           "DataError", "mnist", "fashion_mnist", "cifar10", "spiral", "moons", "load",
           "Standardize", "PCA", "Augment", "random_flip", "random_crop", "color_jitter",
           "FASHION_MNIST_CLASSES", "FASHION_MNIST_DIR"]
