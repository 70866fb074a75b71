"""Files that cannot be lost or misread.

Every file circuitgrad writes (a model, a checkpoint, a summary, a plot, a
drawing) goes through `atomic_write`: the bytes go to a temporary file next
to the target, are flushed to disk, and only then replace the target in one
step. A write that fails half-way (a full disk, a killed process, Ctrl-C)
leaves the previous file as it was.

Saved states are `.npz` archives of plain arrays, read by `read_npz` with
`allow_pickle=False` (loading a file never runs code) after checking what the
archive claims to hold, so that anything else (a text file, a truncated
download, an `.npy`, a pickled object, a header claiming absurd sizes) is a
FileFormatError naming the file, before any memory is spent on it.

A model file is such an archive with the model's state dict under `model/`,
what rebuilds the model under `meta/` (its kind, its input shape, ...), and
the mark `meta/format`; a training checkpoint is a model file with more
(the optimizer's state, the random generators, the history).
"""
import contextlib
import os
import pathlib
import tempfile
import zipfile
import zlib

import numpy as np

MODEL_FORMAT = "circuitgrad model"


class FileFormatError(ValueError):
    """A file that is not what it should be: not an .npz archive, truncated,
    holding a pickled object or absurd sizes, or an archive of another kind."""


# ---------------------------------------------------------------- writing
@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """`with atomic_write(path) as f: ...` writes `path` all at once or not at all."""
    path = pathlib.Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: there is no directory {path.parent}")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a directory")
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        os.chmod(temporary, 0o666 & ~_umask())                # as a plain open() would have made it
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_npz(path, arrays):
    """Write a dict of name -> array as an .npz at exactly `path`, atomically.
    Only numbers, bools and strings: an object array (which numpy would pickle)
    is a TypeError naming its entry."""
    arrays = {name: np.asarray(value) for name, value in arrays.items()}
    for name, array in arrays.items():
        if array.dtype.hasobject:
            raise TypeError(f"save: entry {name!r} holds Python objects ({array.dtype}), which an .npz "
                            f"can only store pickled; save numbers, bools and strings")
    with atomic_write(path) as f:
        np.savez(f, **arrays)


# ---------------------------------------------------------------- reading
def read_npz(path, kind="an .npz archive"):
    """The arrays of an .npz file as a dict, checked before they are read; a
    file that is not `kind` raises FileFormatError naming it and what is wrong.
    A missing or unreadable file raises the OSError open() raises."""
    path = pathlib.Path(path)
    with open(path, "rb") as f:
        head = f.read(6)
    if not head:
        raise FileFormatError(f"{path}: the file is empty, not {kind}")
    if head == b"\x93NUMPY":
        raise FileFormatError(f"{path}: an .npy file (a single array), not {kind}")
    if head[:4] != b"PK\x03\x04":
        raise FileFormatError(f"{path}: not {kind} (an .npz is a zip archive; this file starts with {head!r})")
    try:
        with zipfile.ZipFile(path) as archive:
            for entry in archive.infolist():
                _check_entry(archive, entry, path)
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as e:
        raise FileFormatError(f"{path}: truncated or corrupt, not a readable {kind} ({e})") from None


def _check_entry(archive, entry, path):
    """An archive entry must be an .npy of plain data no bigger than the entry."""
    name = entry.filename
    if not name.endswith(".npy"):
        raise FileFormatError(f"{path}: the entry {name!r} is not an array (.npy)")
    with archive.open(entry) as member:
        try:
            version = np.lib.format.read_magic(member)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"format version {version} is not one numpy's savez writes")
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(member)
        except ValueError as e:
            raise FileFormatError(f"{path}: the entry {name!r} is not a valid .npy array ({e})") from None
    if dtype.hasobject:
        raise FileFormatError(f"{path}: the entry {name[:-4]!r} holds pickled Python objects; refused "
                              f"(loading them could run code)")
    claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if claimed > entry.file_size:
        raise FileFormatError(f"{path}: the entry {name[:-4]!r} claims {shape} {dtype} ({claimed:,} bytes) "
                              f"but holds {entry.file_size:,} bytes: truncated or corrupt")


# ---------------------------------------------------------------- model files
def save_model(path, state, meta=None, more=None):
    """Write a model file: `state` (name -> array) under model/, `meta` under
    meta/ (what rebuilds the model: numbers, strings, arrays) with the format
    mark, and `more` (a checkpoint's other entries) as given; atomically."""
    arrays = {f"model/{name}": value for name, value in state.items()}
    arrays.update({f"meta/{key}": value for key, value in (meta or {}).items()})
    arrays["meta/format"] = MODEL_FORMAT
    arrays.update(more or {})
    save_npz(path, arrays)


def load_model(path):
    """(state, meta, rest) of a model file (or of a checkpoint, which holds
    one): the model/ entries and the meta/ entries, each as a dict with the
    prefix taken off, and the other sections as {section: {name: array}}
    ("optimizer/lr" is rest["optimizer"]["lr"])."""
    arrays = read_npz(path, "a circuitgrad model file")
    parts = {"model": {}, "meta": {}}
    for key, value in arrays.items():
        section, _, name = key.partition("/")
        parts.setdefault(section, {})[name] = value
    if str(parts["meta"].get("format", "")) != MODEL_FORMAT:
        held = ", ".join(sorted(arrays)[:6]) + (", ..." if len(arrays) > 6 else "") or "nothing"
        raise FileFormatError(f"{path}: not a circuitgrad model file (no meta/format mark; it holds {held})")
    return parts.pop("model"), parts.pop("meta"), parts
