"""PyTorch's state_dict names and array layouts, against fixtures of known arrays.

tests/fixtures/make_torch_weights.py (run once with torch; never by the tests)
saved small torch models' state_dicts, an input and torch's output. Here the
same architecture built with nn loads each state dict (strictly: every key
and shape PyTorch's) and gives torch's output; and the reverse, nn's own
state_dict has exactly torch's keys, shapes and integer count.
"""
import pathlib

import numpy as np
import pytest

import autograd
import nn

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def mlp():
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))


def convnet():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1, groups=2), nn.PReLU(4),
        nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(3 * 4 * 4, 5), nn.BatchNorm1d(5))


class Sequence(nn.Module):
    """Embedding, LayerNorm, LSTM (2 layers), GRU, RNN (relu), MultiheadAttention (2 heads), Linear."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(7, 6, padding_idx=0)
        self.norm = nn.LayerNorm(6)
        self.lstm = nn.LSTM(6, 6, num_layers=2, batch_first=True)
        self.gru = nn.GRU(6, 6, batch_first=True)
        self.rnn = nn.RNN(6, 6, nonlinearity="relu", batch_first=True)
        self.attention = nn.MultiheadAttention(6, 2, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, tokens):
        h, _ = self.lstm(self.norm(self.embed(tokens)))
        h, _ = self.gru(h)
        h, _ = self.rnn(h)
        a, _ = self.attention(h, h, h, need_weights=False)
        return self.head(a)


MODELS = {"mlp": mlp, "convnet": convnet, "sequence": Sequence}


def fixture(name):
    with np.load(FIXTURES / f"torch_{name}.npz", allow_pickle=False) as f:
        arrays = dict(f)
    state = {k[len("state/"):]: v for k, v in arrays.items() if k.startswith("state/")}
    return state, arrays["input"], arrays["output"]


@pytest.mark.parametrize("name", MODELS)
def test_a_torch_state_dict_loads_and_gives_torchs_output(name):
    state, x, want = fixture(name)
    model = MODELS[name]()
    model.load_state_dict(state)                               # strict: every key and shape as torch's
    with autograd.no_grad():
        got = model.eval()(x).data
    assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max(), (got, want)


@pytest.mark.parametrize("name", MODELS)
def test_the_state_dict_has_torchs_keys_shapes_and_dtypes(name):
    state, _, _ = fixture(name)
    own = MODELS[name]().state_dict()
    assert list(own) == list(state)                            # the same names, in the same order
    assert {k: (v.shape, v.dtype) for k, v in own.items()} == {k: (v.shape, v.dtype) for k, v in state.items()}


def test_num_batches_tracked_counts_training_batches_and_old_files_load():
    state, x, _ = fixture("convnet")
    assert state["1.num_batches_tracked"] == 2                 # the fixture's two training batches
    model = convnet()
    model.load_state_dict(state)
    with autograd.no_grad():
        model.train()(x)
        model.eval()(x)
    assert model[1].num_batches_tracked == 3 and model[10].num_batches_tracked == 3
    old = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert model.load_state_dict(old) == ([], [])              # a file from before the count: loads, keeps it
    assert model[1].num_batches_tracked == 3
    assert nn.BatchNorm1d(3, track_running_stats=False).state_dict().keys() == {"weight", "bias"}
