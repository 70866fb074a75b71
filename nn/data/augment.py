"""Data augmentation on whole NCHW batches, vectorised: one random draw per
image, no Python loop over images."""
import numpy as np


def random_flip(x, rng, p=0.5):
    """Mirror each image left-right with probability p."""
    flip = rng.random(len(x)) < p
    return np.where(flip[:, None, None, None], x[..., ::-1], x)


def random_crop(x, rng, padding=4):
    """Pad each image by `padding` zeros on every side, then cut out a crop of the
    original size at a random offset (per image)."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dy, dx = rng.integers(0, 2 * padding + 1, size=(2, n))
    rows = (dy[:, None] + np.arange(h))[:, None, :, None]
    cols = (dx[:, None] + np.arange(w))[:, None, None, :]
    return padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols]


def color_jitter(x, rng, brightness=0.2, contrast=0.2):
    """Scale each image's contrast around its mean by a factor in [1-c, 1+c] and
    shift its brightness by an amount in [-b, b]."""
    n = len(x)
    shape = (n,) + (1,) * (x.ndim - 1)
    factor = rng.uniform(1 - contrast, 1 + contrast, shape).astype(x.dtype)
    shift = rng.uniform(-brightness, brightness, shape).astype(x.dtype)
    mean = x.mean(axis=tuple(range(1, x.ndim)), keepdims=True)
    return (x - mean) * factor + mean + shift


class Augment:
    """A batch transform for DataLoader(transform=...): random flips, random crops
    with padding and colour jitter, each optional."""

    def __init__(self, flip=True, crop_padding=0, brightness=0.0, contrast=0.0):
        self.flip, self.crop_padding = flip, crop_padding
        self.brightness, self.contrast = brightness, contrast

    def __call__(self, x, rng):
        if self.flip:
            x = random_flip(x, rng)
        if self.crop_padding:
            x = random_crop(x, rng, self.crop_padding)
        if self.brightness or self.contrast:
            x = color_jitter(x, rng, self.brightness, self.contrast)
        return x
