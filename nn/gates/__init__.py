"""nn's fused gates: the layers and losses of a network, each ONE gate with its
forward computation and local gradients side by side (autograd.Gate), as the
engine's own table in autograd/gates.py.

    linear.py       linear                                  x @ Wᵀ + b
    conv.py         conv2d, conv_transpose2d                im2col + one matmul (or shifted matmuls) / col2im
    pool.py         max_pool2d, avg_pool2d                  a loop over kernel offsets
    norm.py         batch_norm, layer_norm                  the closed-form backward
    resample.py     adaptive_avg_pool2d,                    out = R·x·Cᵀ: one matrix per axis
                    upsample_nearest2d, upsample_bilinear2d
    activation.py   softmax, log_softmax, prelu, dropout, guided_relu
    loss.py         cross_entropy, multi_margin, bce_with_logits, bce, mse, l1
    embedding.py    embedding                               W[idx]; backward a sorted scatter-add
    recurrent.py    lstm, gru, rnn                          a whole sequence, backward through time

Gates take plain, already validated arguments (tuples for strides and
paddings); nn.functional is the public face that checks and normalises them.
linear, the activations, the elementwise losses, the resampling gates and
embedding write their local gradients with operators (or gates), so they can
be differentiated again (create_graph=True); the convolution, pooling,
batch-norm, layer-norm, recurrent, cross-entropy and multi-margin gates compute
theirs with numpy directly, for speed: first order.
"""
from autograd import Gate

from .activation import dropout, guided_relu, log_softmax, prelu, softmax
from .conv import conv2d, conv_transpose2d
from .linear import linear
from .loss import bce, bce_with_logits, cross_entropy, l1, mse, multi_margin
from .norm import batch_norm, layer_norm
from .embedding import embedding
from .recurrent import gru, lstm, rnn
from .pool import avg_pool2d, max_pool2d
from .resample import adaptive_avg_pool2d, upsample_bilinear2d, upsample_nearest2d

TABLE = {g.name: g for g in list(globals().values()) if isinstance(g, Gate)}
"""Every fused gate of nn by name; tests/test_nn_gates.py walks it."""
