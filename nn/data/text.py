"""Text for character-level language models.

`load_text(spec)` reads a corpus and splits it BY FILE into train, validation
and test text: 'text:PATH' (a text file, or a directory of them read
recursively) or 'python-source' (the .py files of the running interpreter's
standard library, without its test suites and site-packages: there on every
machine). A `Vocabulary` of the training text's characters (and one unknown
character for the others) turns text into integer arrays and back, and
`bptt_windows` cuts a stream of ids into the (batch, seq_len + 1) windows of
truncated backpropagation through time.

A language model is measured in bits per character: the mean cross-entropy in
nats over ln 2 (`bits_per_char`); a model that knows nothing (uniform over V
characters) scores log2(V).
"""
import math
import os
import pathlib
import sysconfig

import numpy as np

from .idx import DataError

SKIPPED_DIRECTORIES = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}


def bits_per_char(nats):
    """Bits per character from a mean cross-entropy in nats: nats / ln 2."""
    return nats / math.log(2)


# ---------------------------------------------------------------- the vocabulary
class Vocabulary:
    """The characters a model knows, each an integer id; id 0 is the unknown
    character (U+FFFD), which stands for every character the model never saw.

    `Vocabulary.from_text(training_text)`; `encode(text)` -> int64 ids and
    `decode(ids)` -> text, both whole-array (text as an array of code points)."""

    UNKNOWN = "\ufffd"

    def __init__(self, chars):
        codes = np.unique(_code_points("".join(chars)))
        self._codes = codes[codes != ord(self.UNKNOWN)]          # sorted, for searchsorted
        self._table = np.concatenate([[ord(self.UNKNOWN)], self._codes]).astype(np.uint32)

    @classmethod
    def from_text(cls, text):
        """The vocabulary of the characters of `text`."""
        return cls(text)

    @property
    def chars(self):
        """The characters in id order (the unknown character first)."""
        return self._table.tobytes().decode("utf-32-le")

    def __len__(self):
        return len(self._table)

    def __repr__(self):
        return f"Vocabulary({len(self)} characters: {self.chars[1:40]!r}{'...' if len(self) > 40 else ''})"

    def encode(self, text):
        """The ids of the characters of `text` (int64), 0 for characters not in the vocabulary."""
        codes = _code_points(text)
        where = np.minimum(np.searchsorted(self._codes, codes), max(len(self._codes) - 1, 0))
        known = self._codes[where] == codes if len(self._codes) else np.zeros(len(codes), bool)
        return np.where(known, where + 1, 0).astype(np.int64)

    def decode(self, ids):
        """The text of a sequence of ids."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"Vocabulary.decode: ids must lie in 0..{len(self) - 1}, "
                             f"found {int(ids.min())}..{int(ids.max())}")
        return self._table[ids].tobytes().decode("utf-32-le")


def _code_points(text):
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


# ---------------------------------------------------------------- the corpus
class TextCorpus:
    """A corpus split by file: `train`, `validation`, `test` (each one string,
    its files concatenated) and `files` (split -> the names of its files)."""

    def __init__(self, name, train, validation, test, files):
        self.name, self.train, self.validation, self.test, self.files = name, train, validation, test, files

    def __getitem__(self, split):
        return {"train": self.train, "validation": self.validation, "test": self.test}[split]

    def __repr__(self):
        sizes = ", ".join(f"{s} {len(self[s]):,} chars in {len(self.files[s])} files"
                          for s in ("train", "validation", "test"))
        return f"TextCorpus({self.name}: {sizes})"


def python_source_files():
    """The standard library's .py files of the running interpreter, sorted,
    without site-packages and the test suites (test, tests, idle_test)."""
    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    files = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if d not in SKIPPED_DIRECTORIES]
        files += [pathlib.Path(directory, name) for name in names if name.endswith(".py")]
    return root, sorted(files)


def text_files(path):
    """(root, sorted files) of 'text:PATH': the file itself, or every file under
    the directory (recursively; hidden files and directories skipped)."""
    path = pathlib.Path(path)
    if path.is_file():
        return path.parent, [path]
    if not path.is_dir():
        raise DataError(f"text:{path}: no such file or directory")
    files = sorted(p for p in path.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    return path, files


def read_texts(root, files):
    """[(name relative to root, text)] of the files that hold UTF-8 text
    (a binary file, with NUL bytes or not UTF-8, is skipped); line ends \\n."""
    texts = []
    for path in files:
        raw = path.read_bytes()
        if b"\0" in raw:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        texts.append((str(path.relative_to(root)), text.replace("\r\n", "\n")))
    return texts


def load_text(spec, seed=0, validation=0.05, test=0.05):
    """The TextCorpus of 'text:PATH' or 'python-source', split by file.

    The files are shuffled with `seed`; test takes files until it holds a
    `test` share of the characters, validation then takes its share, and
    training keeps the rest (each at least one file). With fewer than three
    files, the text is split by position instead (train first, then
    validation, then test). A missing path, or one with no text, is a DataError."""
    name, _, path = spec.partition(":")
    if name == "python-source" and not path:
        root, files = python_source_files()
    elif name == "text" and path:
        root, files = text_files(path)
    else:
        raise DataError(f"unknown text data {spec!r}: use text:PATH (a file or a directory) or python-source")
    texts = [(n, t) for n, t in read_texts(root, files) if t]
    if not texts:
        raise DataError(f"{spec}: no text in it ({len(files)} files, none non-empty UTF-8 text)")
    total = sum(len(t) for _, t in texts)
    if len(texts) < 3:
        whole = "".join(t for _, t in texts)
        a, b = int(total * (1 - validation - test)), int(total * (1 - test))
        if min(a, b - a, total - b) < 2:
            raise DataError(f"{spec}: {total} characters are too few to split into train, validation and test")
        names = [n for n, _ in texts]
        return TextCorpus(spec, whole[:a], whole[a:b], whole[b:],
                          {"train": names, "validation": names, "test": names})
    order = np.random.default_rng(seed).permutation(len(texts))
    sizes = np.array([len(texts[i][1]) for i in order])
    ends = np.cumsum(sizes)
    n_test = int(np.clip(np.searchsorted(ends, test * total) + 1, 1, len(texts) - 2))
    n_val = int(np.clip(np.searchsorted(ends[n_test:] - ends[n_test - 1], validation * total) + 1,
                        1, len(texts) - n_test - 1))
    parts = {"test": order[:n_test], "validation": order[n_test:n_test + n_val],
             "train": order[n_test + n_val:]}
    chosen = {split: sorted(index) for split, index in parts.items()}       # each split in file order
    return TextCorpus(spec, *("".join(texts[i][1] for i in chosen[s]) for s in ("train", "validation", "test")),
                      {s: [texts[i][0] for i in chosen[s]] for s in chosen})


def is_text(spec):
    """True when `spec` names text data ('text:PATH' or 'python-source')."""
    return spec == "python-source" or spec.startswith("text:")


# ---------------------------------------------------------------- batches
def bptt_windows(ids, batch_size, seq_len, offset=0):
    """The windows of truncated backpropagation through time, as an array
    (windows, batch_size, seq_len + 1).

    The stream `ids[offset:]` is cut into `batch_size` contiguous streams of
    equal length (row b continues where it left off from one window to the
    next: window w of row b is stream b's characters w·seq_len ... (w+1)·seq_len,
    inclusive, so inputs are window[:, :-1] and targets window[:, 1:], and the
    state carried from window w is the right start for window w + 1)."""
    ids = np.asarray(ids)[offset:]
    length = len(ids) // batch_size
    windows = (length - 1) // seq_len
    if windows < 1:
        raise DataError(f"bptt_windows: {len(ids)} characters make no window of {seq_len} + 1 in each "
                        f"of {batch_size} streams: lower --batch-size or --seq-len, or use more text")
    streams = ids[:batch_size * length].reshape(batch_size, length)
    starts = np.arange(windows) * seq_len
    return streams[:, starts[:, None] + np.arange(seq_len + 1)].transpose(1, 0, 2)
