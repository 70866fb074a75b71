"""Text data for language models (nn.data.text) and the n-gram baseline
(nn.models.ngram), on tiny hand-written files and texts worked out by hand."""
import math

import numpy as np
import pytest

from nn.data import DataError, Vocabulary, bits_per_char, bptt_windows, load_text
from nn.data.text import python_source_files
from nn.models.ngram import NGram, baselines

FILES = {"a.txt": "alpha\n" * 10, "b.txt": "bravo\n" * 20, "sub/c.txt": "charlie\n" * 5,
         "sub/deeper/d.txt": "delta\n" * 15, "e.txt": "echo\n" * 30}


@pytest.fixture
def corpus_dir(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / ".hidden").write_text("never read\n")
    (tmp_path / "image.bin").write_bytes(b"\x89PNG\0\0\1")
    return tmp_path


# ---------------------------------------------------------------- splitting
def test_a_directory_is_split_by_file_recursively_and_deterministically(corpus_dir):
    corpus = load_text(f"text:{corpus_dir}", seed=0)
    names = [n for split in ("train", "validation", "test") for n in corpus.files[split]]
    assert sorted(names) == sorted(FILES)                       # every file once; hidden and binary skipped
    for split in ("train", "validation", "test"):
        assert corpus.files[split], split
        assert corpus[split] == "".join(FILES[n] for n in sorted(corpus.files[split]))
    again = load_text(f"text:{corpus_dir}", seed=0)
    assert again.files == corpus.files and again.test == corpus.test
    others = [load_text(f"text:{corpus_dir}", seed=s).files for s in range(1, 6)]
    assert any(o != corpus.files for o in others)               # the seed chooses the files


def test_a_single_file_is_split_by_position(tmp_path):
    text = "".join(f"line {i}\n" for i in range(100))
    (tmp_path / "one.txt").write_text(text)
    corpus = load_text(f"text:{tmp_path / 'one.txt'}", validation=0.1, test=0.2)
    assert corpus.train + corpus.validation + corpus.test == text
    assert len(corpus.train) == int(len(text) * 0.7) and len(corpus.test) == len(text) - int(len(text) * 0.8)


@pytest.mark.parametrize("what, make, fragment", [
    ("a missing path", lambda d: d / "absent", "absent"),
    ("an empty directory", lambda d: ((d / "empty").mkdir(), d / "empty")[1], "no text"),
    ("an empty file", lambda d: ((d / "e.txt").write_text(""), d / "e.txt")[1], "no text"),
    ("only binary files", lambda d: ((d / "b.bin").write_bytes(b"\0\1\2"), d)[1], "no text"),
    ("too little text", lambda d: ((d / "t.txt").write_text("ab"), d / "t.txt")[1], "too few"),
])
def test_bad_text_data_is_a_clear_data_error(tmp_path, what, make, fragment):
    with pytest.raises(DataError, match=fragment):
        load_text(f"text:{make(tmp_path)}")


def test_an_unknown_text_spec_says_what_to_use():
    with pytest.raises(DataError, match="text:PATH"):
        load_text("text:")
    with pytest.raises(DataError, match="python-source"):
        load_text("python-sources")


def test_python_source_is_the_standard_library_without_tests_or_site_packages():
    root, files = python_source_files()
    assert files == sorted(files) and len(files) > 100
    assert all(f.suffix == ".py" for f in files)
    parts = {p for f in files for p in f.relative_to(root).parts[:-1]}
    assert not parts & {"site-packages", "dist-packages", "test", "tests", "idle_test"}
    assert root / "os.py" in files


# ---------------------------------------------------------------- vocabulary
def test_the_vocabulary_encodes_and_decodes_with_an_unknown_character():
    vocab = Vocabulary.from_text("hello")
    assert vocab.chars == "\ufffdehlo" and len(vocab) == 5       # unknown first, then sorted
    np.testing.assert_array_equal(vocab.encode("hello"), [2, 1, 3, 3, 4])
    np.testing.assert_array_equal(vocab.encode("hex!"), [2, 1, 0, 0])
    assert vocab.decode(vocab.encode("hole")) == "hole"
    assert vocab.decode([2, 0, 4]) == "h\ufffdo"
    assert vocab.encode("").shape == (0,)
    with pytest.raises(ValueError, match="0..4"):
        vocab.decode([5])


def test_non_ascii_characters_are_characters():
    vocab = Vocabulary.from_text("naïve 😀")
    assert len(vocab) == 8 and vocab.decode(vocab.encode("😀ï")) == "😀ï"


# ---------------------------------------------------------------- batches
def test_bptt_windows_are_contiguous_streams():
    windows = bptt_windows(np.arange(23), batch_size=2, seq_len=4)
    # 2 streams of 11 (0..10, 11..21); (11 - 1) // 4 = 2 windows of 4 + 1
    np.testing.assert_array_equal(windows, [[[0, 1, 2, 3, 4], [11, 12, 13, 14, 15]],
                                            [[4, 5, 6, 7, 8], [15, 16, 17, 18, 19]]])
    shifted = bptt_windows(np.arange(23), batch_size=2, seq_len=4, offset=1)
    np.testing.assert_array_equal(shifted[0, 0], [1, 2, 3, 4, 5])
    with pytest.raises(DataError, match="no window"):
        bptt_windows(np.arange(9), batch_size=2, seq_len=4)


def test_bits_per_char_is_nats_over_ln_2():
    assert bits_per_char(math.log(27)) == pytest.approx(math.log2(27))


# ---------------------------------------------------------------- n-grams
def test_ngram_probabilities_of_abab_by_hand():
    a, b = 0, 1
    bigram = NGram(2, vocab_size=2, k=0.5).fit([a, b, a, b])
    # bigrams with the start symbol S: (S,a) (a,b) (b,a) (a,b); context counts S:1 a:2 b:1
    # P(a|S) = 1.5/2, P(b|a) = 2.5/3, P(b|b) = 0.5/2, P(a|b) = 1.5/2
    expected = np.log([1.5 / 2, 2.5 / 3, 0.5 / 2, 1.5 / 2])
    np.testing.assert_allclose(bigram.log_probs([a, b, b, a]), expected)
    assert bigram.bits_per_char([a, b, b, a]) == pytest.approx(-expected.mean() / math.log(2))
    unigram = NGram(1, vocab_size=3, k=1.0).fit([a, b, a, b])        # a third character never seen
    np.testing.assert_allclose(np.exp(unigram.log_probs([a, b, 2])), [3 / 7, 3 / 7, 1 / 7])
    trigram = NGram(3, vocab_size=2, k=1.0).fit([a, b, a, b])
    # (a,b) was followed by a once, (b,a) by b once; a context never seen is uniform
    np.testing.assert_allclose(np.exp(trigram.log_probs([a, b, a, a, a])),
                               [2 / 3, 2 / 3, 2 / 3, 1 / 3, 1 / 2])


def test_ngram_probabilities_sum_to_one_over_the_vocabulary():
    model = NGram(3, vocab_size=4, k=0.1).fit(np.random.default_rng(0).integers(0, 4, 200))
    context = [1, 2]
    total = sum(math.exp(model.log_probs(context + [c])[-1]) for c in range(4))
    assert total == pytest.approx(1.0)


def test_baselines_choose_k_on_validation():
    train = np.tile([0, 1], 50)
    results = baselines(train, np.tile([0, 1], 10), np.tile([1, 0], 10), vocab_size=3, orders=(1, 2),
                        ks=(0.01, 1.0))
    unigram, bigram = results
    assert unigram["k"] == 0.01 and bigram["k"] == 0.01      # a certain pattern: the least smoothing wins
    assert bigram["validation_bpc"] < unigram["validation_bpc"]
    assert bigram["test_bpc"] == pytest.approx(NGram(2, 3).fit(train).bits_per_char(np.tile([1, 0], 10), 0.01))
    assert unigram["validation_bpc"] == pytest.approx(-math.log2(50.01 / 100.03))


def test_ngram_refuses_ids_outside_the_vocabulary():
    with pytest.raises(ValueError, match="0..1"):
        NGram(2, vocab_size=2).fit([0, 2])
    with pytest.raises(RuntimeError, match="fit"):
        NGram(2, vocab_size=2).log_probs([0])
