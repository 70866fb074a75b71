"""CIFAR-10's binary format: records of one label byte and 3072 image bytes (3x32x32)."""
import pathlib

import numpy as np

from .idx import DataError

RECORD = 1 + 3 * 32 * 32
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def read_cifar_batch(path):
    """(images uint8 (N, 3, 32, 32), labels int64 (N,)) of one `*.bin` batch file."""
    path = pathlib.Path(path)
    try:
        raw = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    if raw.size == 0 or raw.size % RECORD:
        raise DataError(f"{path}: {raw.size} bytes is not a whole number of CIFAR-10 records "
                        f"of {RECORD} bytes (truncated or not a CIFAR-10 binary batch)")
    records = raw.reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise DataError(f"{path}: label {labels.max()} out of range 0..9: not a CIFAR-10 batch")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def read_cifar10(directory):
    """{'train': (x, y), 'test': (x, y)} from data_batch_1..5.bin and test_batch.bin in
    `directory` (or its cifar-10-batches-bin subdirectory)."""
    directory = pathlib.Path(directory)
    if (directory / "cifar-10-batches-bin").is_dir():
        directory = directory / "cifar-10-batches-bin"
    train_files = [directory / f"data_batch_{i}.bin" for i in range(1, 6)]
    test_file = directory / "test_batch.bin"
    missing = [f.name for f in train_files + [test_file] if not f.exists()]
    if missing:
        raise DataError(f"{directory}: missing {', '.join(missing)} (CIFAR-10's binary version has "
                        f"data_batch_1.bin ... data_batch_5.bin and test_batch.bin: "
                        f"cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, unpacked)")
    parts = [read_cifar_batch(f) for f in train_files]
    return {"train": (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])),
            "test": read_cifar_batch(test_file)}
