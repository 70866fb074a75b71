"""Character-level language models (nn.models.language): bits per character,
sampling, the carried state and the causal mask, on tiny models and texts."""
import math

import numpy as np
import pytest

import autograd
import nn.functional as F
from autograd import Value, no_grad, raw
from nn.data import Vocabulary
from nn.models import language

TEXT = "hello world, hello circuit. " * 4


@pytest.fixture(params=["rnn", "lstm", "gru", "transformer"])
def model(request):
    autograd.manual_seed(0)
    return language.build(request.param, len(Vocabulary.from_text(TEXT)), hidden=8, layers=2, context=32,
                          embedding_dim=5)


def logits_of(model, ids, state=None):
    with no_grad():
        logits, state = model(np.array([ids]), state)
    return np.asarray(raw(logits))[0], state


def test_a_model_that_knows_nothing_scores_log2_of_the_vocabulary(model):
    vocab = Vocabulary.from_text(TEXT)
    model.decoder.weight.data[...] = 0                   # every character equally likely
    model.decoder.bias.data[...] = 0
    bpc, count = language.evaluate(model, vocab.encode(TEXT), batch_size=4, seq_len=5)
    assert bpc == pytest.approx(math.log2(len(vocab)), rel=1e-6)
    assert count == 4 * ((len(TEXT) - 1) // 4)


def test_evaluate_is_the_mean_cross_entropy_of_every_next_character(model):
    ids = Vocabulary.from_text(TEXT).encode(TEXT[:30])
    logits, _ = logits_of(model, ids[:-1])
    nats = float(raw(F.cross_entropy(logits, ids[1:])))
    bpc, count = language.evaluate(model, ids, batch_size=1, seq_len=7)     # in pieces, the state carried
    assert count == 29
    assert bpc == pytest.approx(nats / math.log(2), rel=1e-5) if model.context is None else bpc > 0


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_carried_state_continues_the_sequence(kind):
    autograd.manual_seed(1)
    rnn = language.build(kind, 6, hidden=7, layers=2, embedding_dim=3)
    ids = np.random.default_rng(0).integers(0, 6, 12)
    whole, _ = logits_of(rnn, ids)
    first, state = logits_of(rnn, ids[:5])
    rest, _ = logits_of(rnn, ids[5:], state)
    np.testing.assert_allclose(np.concatenate([first, rest]), whole, rtol=1e-5, atol=1e-6)


def test_detached_state_stops_the_gradient():
    autograd.manual_seed(2)
    lstm = language.build("lstm", 5, hidden=4, embedding_dim=3)
    _, state = lstm(np.array([[1, 2, 3]]))
    h, c = language.detach(state)
    assert not h.requires_grad and not c.requires_grad and not h.inputs
    np.testing.assert_array_equal(raw(h), raw(state[0]))
    assert language.detach(None) is None


def test_the_transformer_does_not_look_ahead():
    autograd.manual_seed(3)
    model = language.build("transformer", 7, hidden=8, layers=2, context=10)
    ids = np.array([1, 2, 3, 4, 5, 6])
    changed = ids.copy()
    changed[4] = 0
    a, _ = logits_of(model, ids)
    b, _ = logits_of(model, changed)
    np.testing.assert_allclose(a[:4], b[:4], rtol=1e-6)     # positions before the change see the same past
    assert not np.allclose(a[4:], b[4:])
    with pytest.raises(ValueError, match="context is 10"):
        logits_of(model, np.zeros(11, np.int64))


def test_the_causal_mask():
    np.testing.assert_array_equal(language.causal_mask(3), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])


def test_sampling_is_reproducible_with_a_seed(model):
    vocab = Vocabulary.from_text(TEXT)
    a = language.sample(model, vocab, "hel", 40, temperature=1.0, seed=5)
    assert len(a) == 40 and set(a) <= set(TEXT)             # never the unknown character
    assert language.sample(model, vocab, "hel", 40, temperature=1.0, seed=5) == a
    assert any(language.sample(model, vocab, "hel", 40, temperature=1.0, seed=s) != a for s in range(6, 9))
    assert language.sample(model, vocab, "", 0) == ""


def test_a_temperature_towards_0_is_greedy(model):
    vocab = Vocabulary.from_text(TEXT)
    ids = list(vocab.encode("wor"))
    for _ in range(15):                                     # the likeliest next character, from scratch each time
        logits, _ = logits_of(model, ids[-(model.context or 100):])
        ids.append(int(np.argmax(logits[-1, 1:])) + 1)
    expected = vocab.decode(ids[3:])
    for seed in (0, 1):
        assert language.sample(model, vocab, "wor", 15, temperature=1e-6, seed=seed) == expected


def test_a_high_temperature_flattens_the_distribution():
    autograd.manual_seed(4)
    vocab = Vocabulary.from_text(TEXT)
    model = language.build("gru", len(vocab), hidden=8, embedding_dim=4)
    model.decoder.weight.data[...] = 0
    model.decoder.bias.data[...] = np.arange(len(vocab), dtype=np.float32)   # the last character likeliest
    cold = language.sample(model, vocab, "h", 200, temperature=0.1, seed=0)
    hot = language.sample(model, vocab, "h", 200, temperature=100.0, seed=0)
    assert set(cold) == {vocab.chars[-1]} and len(set(hot)) > len(vocab) // 2


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), float("inf"), "hot"])
def test_sample_refuses_a_temperature_that_is_not_positive(temperature):
    vocab = Vocabulary.from_text(TEXT)
    with pytest.raises(ValueError, match="temperature"):
        language.sample(language.build("rnn", len(vocab), hidden=4), vocab, "h", 5, temperature)


def test_build_names_the_kinds():
    with pytest.raises(ValueError, match="rnn, lstm, gru, transformer"):
        language.build("mlp", 5)


@pytest.fixture(scope="module")
def trained():
    """An LSTM trained by truncated BPTT on TEXT repeated: (model, vocab, first loss)."""
    import optim
    from nn.data import bptt_windows
    autograd.manual_seed(0)
    vocab = Vocabulary.from_text(TEXT)
    model = language.build("lstm", len(vocab), hidden=32, embedding_dim=8)
    opt = optim.Adam(model.parameters(), lr=0.02)
    windows = bptt_windows(vocab.encode(TEXT * 10), batch_size=4, seq_len=12)
    first = None
    for epoch in range(4):
        state = None
        for window in windows:
            logits, state = model(window[:, :-1], language.detach(state))
            loss = F.cross_entropy(logits.reshape(-1, len(vocab)), window[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            first = first or float(raw(loss))
    assert isinstance(state[0], Value)
    return model, vocab, first


def test_truncated_bptt_learns_a_repeated_text(trained):
    model, vocab, first = trained
    bpc, _ = language.evaluate(model, vocab.encode(TEXT * 2), batch_size=2, seq_len=12)
    assert first > 0.9 * math.log(len(vocab)) and bpc < 0.5, (first, bpc)      # from a guess to nearly sure


def test_greedy_sampling_of_a_trained_model_continues_the_text(trained):
    model, vocab, _ = trained
    assert language.sample(model, vocab, "hello w", 28, temperature=1e-4, seed=0) == "orld, hello circuit. hello w"
