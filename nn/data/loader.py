"""Mini-batches: DataLoader and random_split."""
import numpy as np

from autograd.random import generator


class Subset:
    """The samples of `dataset` at `indices`."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, np.asarray(indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    @property
    def classes(self):
        """The class names of the dataset it is part of."""
        return self.dataset.classes


def random_split(dataset, lengths, seed=None):
    """Split into non-overlapping random Subsets of the given lengths (counts, or
    fractions summing to 1, as in PyTorch); `seed` makes it reproducible."""
    n = len(dataset)
    lengths = list(lengths)
    if all(0 <= f <= 1 for f in lengths) and abs(sum(lengths) - 1) < 1e-9 and sum(lengths) != n:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):               # hand out the remainder round-robin
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n or any(k < 0 for k in lengths):
        raise ValueError(f"random_split: lengths {lengths} do not add up to the dataset's {n} samples")
    rng = np.random.default_rng(seed) if seed is not None else generator()
    order = rng.permutation(n)
    bounds = np.cumsum([0] + lengths)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


class DataLoader:
    """Iterate over (x, y) mini-batches of numpy arrays.

    `shuffle` draws a new order every epoch (from `seed`, or the library's
    generator); `drop_last` drops a final short batch; `transform(x, rng)`
    (e.g. an augmentation) is applied to each batch of inputs."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None, transform=None):
        if int(batch_size) < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last, self.transform = shuffle, drop_last, transform
        self.rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        rng = self.rng if self.rng is not None else generator()
        n = len(self.dataset)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            x, y = self.dataset[order[start:start + self.batch_size]]
            yield (self.transform(x, rng) if self.transform else x), y
