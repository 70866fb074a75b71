"""MultiheadAttention, with PyTorch's parameters and layouts."""
import numpy as np

from autograd import gates as engine
from autograd import raw

from .. import checks, init
from .. import functional as F
from ..module import Module, Parameter
from .linear import Linear


class MultiheadAttention(Module):
    """Multi-head attention: `MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False)`.

    q = query·W_qᵀ + b_q, k = key·W_kᵀ + b_k, v = value·W_vᵀ + b_v, with
    [W_q; W_k; W_v] = in_proj_weight (3E, E) and in_proj_bias (3E,); each of
    num_heads heads attends with its own E/num_heads columns,
    softmax(q_h k_hᵀ/√(E/heads) + mask) v_h; the heads are joined and
    projected by out_proj (a Linear(E, E)). Initialised as PyTorch:
    in_proj_weight Xavier-uniform, the biases zero.

    forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False) returns
    (output, weights): output (L, N, E) ((N, L, E) with batch_first; (L, E)
    unbatched) and the attention weights (N, L, S) averaged over the heads
    (or (N, heads, L, S)), None when need_weights=False. As in PyTorch, a
    bool attn_mask (L, S) or (N·heads, L, S) is True where attending is NOT
    allowed (the opposite of scaled_dot_product_attention's), and a float
    mask is added to the scores; key_padding_mask (N, S) is True at keys to
    ignore. is_causal=True without attn_mask applies the causal mask (PyTorch
    asks for the mask as well)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False, *, dtype=np.float32):
        super().__init__()
        self.embed_dim = checks.integer("MultiheadAttention", "embed_dim", embed_dim, minimum=1)
        self.num_heads = checks.integer("MultiheadAttention", "num_heads", num_heads, minimum=1)
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        self.head_dim = embed_dim // num_heads
        self.dropout = checks.probability("MultiheadAttention", "dropout", dropout)
        self.batch_first = checks.boolean("MultiheadAttention", "batch_first", batch_first)
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's initialisation: in_proj_weight Xavier-uniform, out_proj.weight as a
        Linear's, both biases zero."""
        init.xavier_uniform_(self.in_proj_weight)
        self.out_proj.reset_parameters()
        for b in (self.in_proj_bias, self.out_proj.bias):
            if b is not None:
                init.zeros_(b)

    def _mask(self, attn_mask, key_padding_mask, is_causal, n, lq, ls, dtype, batched):
        """One mask for the scores (N, heads, L, S): bool True = attend, or float added; None for none."""
        heads, name = self.num_heads, "MultiheadAttention"
        masks = []
        if attn_mask is None and is_causal:
            attn_mask = ~np.tril(np.ones((lq, ls), bool))
        if attn_mask is not None:
            m = np.asarray(raw(attn_mask))
            if m.shape == (lq, ls):
                pass
            elif m.shape == (n * heads, lq, ls):
                m = m.reshape(n, heads, lq, ls)
            else:
                wanted = f"({lq}, {ls}) or ({n * heads}, {lq}, {ls})"
                raise ValueError(f"{name}: attn_mask must have shape {wanted} (num_heads={heads}), got {m.shape}")
            masks.append(m)
        if key_padding_mask is not None:
            m = np.asarray(raw(key_padding_mask))
            wanted = (n, ls) if batched else (ls,)
            if m.shape != wanted:
                raise ValueError(f"{name}: key_padding_mask must have shape {wanted} (batch, source length), "
                                 f"got {m.shape}")
            masks.append(m.reshape(n, 1, 1, ls))
        if not masks:
            return None
        if all(m.dtype == bool for m in masks):
            return ~np.logical_or.reduce(np.broadcast_arrays(*masks)) if len(masks) > 1 else ~masks[0]
        additive = [np.where(m, -np.inf, 0.0) if m.dtype == bool else m for m in masks]
        return sum(additive[1:], additive[0]).astype(dtype)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        name, e, heads, d = "MultiheadAttention", self.embed_dim, self.num_heads, self.head_dim
        shapes = [checks.shape_of(t) for t in (query, key, value)]
        if (len({len(s) for s in shapes}) != 1 or shapes[0][-1:] != (e,) or shapes[1] != shapes[2][:-1] + (e,)
                or shapes[2][-1] != e or len(shapes[0]) not in (2, 3)):
            raise ValueError(f"{name}: query {shapes[0]}, key {shapes[1]} and value {shapes[2]} must be "
                             f"(L, N, {e}), (S, N, {e}), (S, N, {e}) (batch_first: (N, L, {e}) ...; or unbatched "
                             f"(L, {e}), (S, {e})) with embed_dim={e}")
        batched, batch_axis = len(shapes[0]) == 3, 0 if self.batch_first else 1
        if batched and shapes[0][batch_axis] != shapes[1][batch_axis]:
            raise ValueError(f"{name}: query {shapes[0]} and key {shapes[1]} have different batch sizes")
        if not batched:
            query, key, value = (engine.reshape(t, (s[0], 1, e)) for t, s in zip((query, key, value), shapes))
        elif self.batch_first:
            query, key, value = (engine.transpose(t, (1, 0, 2)) for t in (query, key, value))
        lq, n = checks.shape_of(query)[:2]
        ls = checks.shape_of(key)[0]
        w, b = self.in_proj_weight, self.in_proj_bias
        q, k, v = (F.linear(t, engine.getitem(w, slice(i * e, (i + 1) * e)),
                            None if b is None else engine.getitem(b, slice(i * e, (i + 1) * e)))
                   for i, t in enumerate((query, key, value)))
        # (length, N, E) -> (N, heads, length, d): each head its own d columns
        q, k, v = (engine.transpose(engine.reshape(t, (length, n, heads, d)), (1, 2, 0, 3))
                   for t, length in ((q, lq), (k, ls), (v, ls)))
        mask = self._mask(attn_mask, key_padding_mask, is_causal, n, lq, ls, np.result_type(raw(q)), batched)
        out, weights = F._attention(q, k, v, mask, self.dropout, None, self.training)
        out = engine.reshape(engine.transpose(out, (2, 0, 1, 3)), (lq, n, e))     # heads joined
        out = self.out_proj(out)
        if not batched:
            out = engine.reshape(out, (lq, e))
        elif self.batch_first:
            out = engine.transpose(out, (1, 0, 2))
        if not need_weights:
            return out, None
        weights = weights.mean(axis=1) if average_attn_weights else weights
        if not batched:
            weights = engine.getitem(weights, 0)
        return out, weights

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"
