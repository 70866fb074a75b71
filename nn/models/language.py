"""Character-level language models: the notes' char-RNN, and a small transformer.

A language model reads characters (integer ids, `nn.data.Vocabulary`) and
gives, at every position, scores for the next character. Both models are
called the same way, `logits, state = model(ids, state)` with ids (batch,
time) and logits (batch, time, vocabulary):

    CharRNN          Embedding -> RNN | LSTM | GRU (num_layers) -> Linear; the
                     state (h, or (h, c) for the LSTM) is carried from one
                     call to the next: truncated backpropagation through time
                     detaches it between windows, sampling feeds it back.
    CharTransformer  token + learned position embeddings -> pre-norm blocks
                     (x + attention(LayerNorm(x)) with a causal mask, then
                     x + MLP(LayerNorm(x))) -> LayerNorm -> Linear; no state,
                     a context of at most `context` characters.

`sample` generates text with a temperature and a seed; `evaluate` measures
bits per character (nn.data.bits_per_char) of a stream of ids.
"""
import math

import numpy as np

import nn
import nn.functional as F
from autograd import no_grad, raw

RECURRENT = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
KINDS = tuple(RECURRENT) + ("transformer",)


class CharRNN(nn.Module):
    """Embedding(vocab_size, embedding_dim) -> RNN/LSTM/GRU(hidden_size,
    num_layers, batch_first) -> Linear(hidden_size, vocab_size). `cell` is
    'rnn' (tanh), 'lstm' or 'gru'."""

    def __init__(self, vocab_size, cell="lstm", hidden_size=256, num_layers=1, embedding_dim=64):
        super().__init__()
        if cell not in RECURRENT:
            raise ValueError(f"CharRNN: cell must be one of {', '.join(RECURRENT)}, got {cell!r}")
        self.cell, self.context = cell, None
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = getattr(nn, RECURRENT[cell])(embedding_dim, hidden_size, num_layers, batch_first=True)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        """(logits (batch, time, vocab_size), the state after the last step) for ids (batch, time)."""
        out, state = self.rnn(self.embedding(ids), state)
        return self.decoder(out), state


class Block(nn.Module):
    """A pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x)),
    the MLP d -> 4d -> ReLU -> d."""

    def __init__(self, d_model, num_heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.ReLU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x, mask):
        """The block on x (batch, time, d_model), attention limited by the additive mask."""
        h = self.ln1(x)
        attended, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
        x = x + attended
        return x + self.mlp(self.ln2(x))


class CharTransformer(nn.Module):
    """A small causal self-attention language model: token and learned position
    embeddings (d_model), `num_layers` pre-norm Blocks of `num_heads` heads,
    a final LayerNorm and Linear(d_model, vocab_size); at most `context`
    characters at a time. Position t attends to positions <= t only (the mask
    adds -inf above the diagonal)."""

    def __init__(self, vocab_size, d_model=128, num_heads=4, num_layers=2, context=128):
        super().__init__()
        self.context = context
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(context, d_model)
        self.blocks = nn.ModuleList([Block(d_model, num_heads) for _ in range(num_layers)])
        self.norm = nn.LayerNorm(d_model)
        self.decoder = nn.Linear(d_model, vocab_size)

    def forward(self, ids, state=None):
        """(logits (batch, time, vocab_size), None) for ids (batch, time <= context); state is ignored."""
        length = np.shape(ids)[1]
        if length > self.context:
            raise ValueError(f"CharTransformer: {length} characters at once, but the context is {self.context}")
        x = self.token(ids) + self.position(np.arange(length))
        mask = causal_mask(length)
        for block in self.blocks:
            x = block(x, mask)
        return self.decoder(self.norm(x)), None


def causal_mask(length, dtype=np.float32):
    """The additive causal mask (length, length): 0 on and below the diagonal,
    -inf above it (position t sees positions <= t)."""
    return np.triu(np.full((length, length), -np.inf, dtype), k=1)


def build(kind, vocab_size, hidden=256, layers=1, context=128, embedding_dim=64):
    """The language model `kind` (rnn, lstm, gru, transformer): for the
    transformer, hidden is d_model, layers the number of blocks (heads: 4, or
    fewer when they do not divide hidden) and context its longest input."""
    if kind in RECURRENT:
        return CharRNN(vocab_size, kind, hidden, layers, embedding_dim)
    if kind == "transformer":
        heads = next(h for h in (4, 2, 1) if hidden % h == 0)
        return CharTransformer(vocab_size, hidden, heads, layers, context)
    raise ValueError(f"unknown language model {kind!r}: use {', '.join(KINDS)}")


def detach(state):
    """The carried state cut off from the graph of the window it came from
    (truncated backpropagation through time): h, (h, c), or None."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def evaluate(model, ids, batch_size=32, seq_len=128):
    """Bits per character of `model` predicting ids[1:] from what comes before.

    The ids are cut into `batch_size` streams that overlap by one character
    (stream b is ids[b·L : (b + 1)·L + 1], L = (len - 1) // batch_size), so the
    targets ids[1 : 1 + batch_size·L] are each predicted once; the streams are
    read `seq_len` characters at a time, a recurrent model's state carried
    from one piece to the next (a transformer sees each piece on its own).
    Returns (bits per character, the number of characters predicted)."""
    ids = np.asarray(ids, dtype=np.int64)
    batch_size = max(1, min(batch_size, len(ids) - 1))
    length = (len(ids) - 1) // batch_size
    if length < 1:
        raise ValueError(f"evaluate: {len(ids)} characters are too few to predict any")
    if model.context is not None:
        seq_len = min(seq_len, model.context)
    streams = ids[np.arange(batch_size)[:, None] * length + np.arange(length + 1)]
    model.eval()
    total, state = 0.0, None
    with no_grad():
        for start in range(0, length, seq_len):
            piece = streams[:, start:start + seq_len + 1]
            logits, state = model(piece[:, :-1], state)
            total += float(raw(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), piece[:, 1:].reshape(-1),
                                               reduction="sum")))
    count = batch_size * length
    return total / count / math.log(2), count


def sample(model, vocab, prompt="", length=400, temperature=1.0, seed=None):
    """`length` characters generated after `prompt` (returned without it).

    Each next character is drawn from softmax(logits / temperature): a
    temperature below 1 sharpens the distribution (towards the most likely
    character, greedy as it tends to 0), above 1 flattens it. A recurrent
    model reads the prompt once and then carries its state; a transformer
    reads the last `context` characters each time. An empty prompt starts
    after a newline; the unknown character (id 0) is never drawn. `seed` makes the draw reproducible."""
    if not isinstance(temperature, (int, float)) or not temperature > 0 or not math.isfinite(temperature):
        raise ValueError(f"sample: temperature must be a number > 0, got {temperature!r}")
    if not isinstance(length, int) or length < 0:
        raise ValueError(f"sample: length must be an integer >= 0, got {length!r}")
    rng = np.random.default_rng(seed)
    ids = list(vocab.encode(prompt)) or list(vocab.encode("\n"))
    model.eval()
    generated, state, feed = [], None, ids
    with no_grad():
        for _ in range(length):
            if model.context is not None:                       # no state: the whole recent context again
                feed, state = (ids + generated)[-model.context:], None
            logits, state = model(np.array([feed], dtype=np.int64), state)
            scores = np.asarray(raw(logits), dtype=np.float64)[0, -1] / temperature
            scores[0] = -np.inf if len(scores) > 1 else scores[0]      # never the unknown character
            p = np.exp(scores - scores.max())
            choice = int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"))
            generated.append(min(choice, len(p) - 1))
            feed = generated[-1:]
    return vocab.decode(np.array(generated, dtype=np.int64))
