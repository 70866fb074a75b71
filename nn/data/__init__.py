"""Data for nets: dataset readers, loaders, preprocessing and augmentation.

Readers: IDX (MNIST, Fashion-MNIST; plain or .gz), CIFAR-10 binaries, the Debian
package dataset-fashion-mnist, the toy sets of the notes (spiral, moons), and text
for character-level language models (text.py).
Nothing is downloaded at run time.
"""
from .augment import Augment, color_jitter, random_crop, random_flip
from .datasets import (ArrayDataset, cifar10, fashion_mnist, load, mnist, moons, spiral,
                       FASHION_MNIST_CLASSES, FASHION_MNIST_DIR)
from .idx import DataError, read_idx, write_idx
from .loader import DataLoader, Subset, random_split
from .preprocess import PCA, Standardize
from .text import TextCorpus, Vocabulary, bits_per_char, bptt_windows, is_text, load_text

__all__ = ["ArrayDataset", "DataLoader", "Subset", "random_split", "read_idx", "write_idx",
           "DataError", "mnist", "fashion_mnist", "cifar10", "spiral", "moons", "load",
           "Standardize", "PCA", "Augment", "random_flip", "random_crop", "color_jitter",
           "FASHION_MNIST_CLASSES", "FASHION_MNIST_DIR",
           "TextCorpus", "Vocabulary", "load_text", "is_text", "bptt_windows", "bits_per_char"]
