"""The IDX file format of MNIST and Fashion-MNIST (plain or gzipped), validated.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the data in C order.
"""
import gzip
import pathlib

import numpy as np

TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
         0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


MAX_RANK = 8     # a data file's arrays: images (N, rows, cols), labels (N,), ...


class DataError(ValueError):
    """A data file is missing, truncated or not in the format expected."""


def read_idx(path):
    """The array stored in an IDX file (`.gz` is decompressed). Raises DataError
    naming the file when the magic number, the dimensions or the size is wrong."""
    path = pathlib.Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot be read as gzip ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in TYPES:
        raise DataError(f"{path}: not an IDX file (magic number {raw[:4].hex() or 'missing'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if not 1 <= ndim <= MAX_RANK:
        raise DataError(f"{path}: the IDX header declares {ndim} dimensions (an array of rank 1 to "
                        f"{MAX_RANK} expected)")
    if len(raw) < header:
        raise DataError(f"{path}: IDX header declares {ndim} dimensions but is cut short")
    shape = tuple(int(n) for n in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(TYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(f"{path}: shape {shape} of {dtype} needs {expected} bytes, the file has "
                        f"{len(raw)} ({'truncated' if len(raw) < expected else 'trailing bytes'})")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write an array as an IDX file (gzipped if the name ends in .gz); for tests and tools."""
    path = pathlib.Path(path)
    array = np.ascontiguousarray(array)
    code = {np.dtype(v).newbyteorder("="): k for k, v in TYPES.items()}[array.dtype.newbyteorder("=")]
    big = array.astype(np.dtype(TYPES[code]), copy=False)
    raw = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes() + big.tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
