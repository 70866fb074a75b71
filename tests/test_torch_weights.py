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
from fixtures import architectures

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


MODELS = {name: make for name, (make, _) in architectures.models(nn).items()}
convnet = MODELS["convnet"]


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
