"""The layers of nn as Modules: each holds its Parameters (and buffers) and
calls one function of nn.functional in forward."""
from .activation import ELU, LeakyReLU, LogSoftmax, Maxout, PReLU, ReLU, Sigmoid, Softmax, Tanh
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, MultiMarginLoss
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .upsample import Upsample
from .embedding import Embedding
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .attention import MultiheadAttention

__all__ = ["Linear", "Flatten", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d",
           "BatchNorm2d", "Dropout", "ReLU", "LeakyReLU", "PReLU", "ELU", "Sigmoid", "Tanh", "Maxout",
           "Softmax", "LogSoftmax", "CrossEntropyLoss", "MultiMarginLoss", "BCEWithLogitsLoss", "MSELoss",
           "L1Loss", "AdaptiveAvgPool2d", "Upsample", "Identity", "Embedding", "LayerNorm", "RNN", "LSTM", "GRU",
           "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention"]
