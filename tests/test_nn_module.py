"""Module, Parameter, Sequential: the tree of parameters and buffers, modes,
state dicts and files, printing, and the graph scopes a call opens."""
import copy

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import Value


class Block(nn.Module):
    """A small custom module: a conv, a batch norm, a shared head."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.norm = nn.BatchNorm2d(2)
        self.head = nn.Linear(2 * 4 * 4, 3)
        self.scale = nn.Parameter(np.ones(1, np.float32))
        self.not_a_parameter = Value(np.ones(2))          # a plain Value is not registered

    def forward(self, x):
        h = F.relu(self.norm(self.conv(x)))
        return self.head(h.reshape(x.shape[0], -1)) * self.scale


def test_named_parameters_and_buffers_use_dotted_names_module_by_module():
    """As PyTorch: a module's own parameters, then its sub-modules' in assignment order."""
    net = nn.Sequential(Block(), nn.ReLU(), nn.Linear(3, 2))
    assert [name for name, _ in net.named_parameters()] == [
        "0.scale", "0.conv.weight", "0.conv.bias", "0.norm.weight", "0.norm.bias", "0.head.weight",
        "0.head.bias", "2.weight", "2.bias"]
    assert [name for name, _ in net.named_buffers()] == ["0.norm.running_mean", "0.norm.running_var",
                                                         "0.norm.num_batches_tracked"]
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())
    assert list(net.state_dict()) == ["0.scale", "0.conv.weight", "0.conv.bias", "0.norm.weight", "0.norm.bias",
                                      "0.norm.running_mean", "0.norm.running_var", "0.norm.num_batches_tracked",
                                      "0.head.weight",
                                      "0.head.bias", "2.weight", "2.bias"]


def test_children_and_modules():
    block = Block()
    net = nn.Sequential(block, nn.ReLU())
    assert list(net.children()) == [block, net[1]]
    assert [type(m).__name__ for m in net.modules()] == ["Sequential", "Block", "Conv2d", "BatchNorm2d", "Linear", "ReLU"]
    assert [name for name, _ in net.named_modules()] == ["", "0", "0.conv", "0.norm", "0.head", "1"]


def test_a_shared_layer_is_listed_once_but_applied_twice():
    layer = nn.Linear(4, 4)
    net = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(net.parameters())) == 2
    assert len(net) == 3
    x = np.ones((1, 4), np.float32)
    expected = F.linear(F.relu(F.linear(x, layer.weight, layer.bias)), layer.weight, layer.bias)
    np.testing.assert_array_equal(net(x).data, expected.data)


def test_sequential_indexing_slicing_iteration_and_named_layers():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    net = nn.Sequential(a, b, c)
    assert net[0] is a and net[-1] is c and list(net) == [a, b, c]
    assert isinstance(net[1:], nn.Sequential) and list(net[1:]) == [b, c]
    named = nn.Sequential({"hidden": a, "act": b, "out": c})
    assert [n for n, _ in named.named_parameters()] == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert named.hidden is a
    with pytest.raises(TypeError, match="Sequential.*not a Module"):
        nn.Sequential(a, "relu")


def test_train_and_eval_propagate_to_every_module():
    net = nn.Sequential(Block(), nn.Dropout(0.5))
    assert all(m.training for m in net.modules())            # modules start in training mode
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_forgets_every_gradient():
    net = nn.Sequential(nn.Linear(3, 2))
    F.cross_entropy(net(np.ones((4, 3), np.float32)), np.array([0, 1, 1, 0])).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    F.cross_entropy(net(np.ones((4, 3), np.float32)), np.array([0, 1, 1, 0])).backward()
    net.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad, np.zeros_like(p.data)) for p in net.parameters())


def _trained_block():
    autograd.manual_seed(3)
    net = Block()
    x = np.random.default_rng(1).standard_normal((5, 1, 4, 4)).astype(np.float32)
    for _ in range(3):                                      # move the running statistics off their start
        F.cross_entropy(net(x), np.array([0, 1, 2, 0, 1])).backward()
        for p in net.parameters():
            p.data -= 0.1 * p.grad
        net.zero_grad()
    return net, x


def test_state_dict_round_trip_through_a_file_reproduces_outputs_bit_for_bit(tmp_path):
    net, x = _trained_block()
    net.eval()
    path = tmp_path / "block.npz"
    net.save(path)
    with np.load(path, allow_pickle=False) as archive:         # a plain npz of numbers: the model file layout
        assert sorted(archive.files) == sorted(["meta/format"] + [f"model/{k}" for k in net.state_dict()])
        assert str(archive["meta/format"]) == "circuitgrad model"
    autograd.manual_seed(99)
    fresh = Block().eval()
    assert not np.array_equal(fresh(x).data, net(x).data)
    assert fresh.load(path) is fresh
    np.testing.assert_array_equal(fresh(x).data, net(x).data)
    for name, value in net.state_dict().items():
        assert value.dtype == fresh.state_dict()[name].dtype


def test_a_deep_copied_model_computes_the_same_and_is_independent():
    net, x = _trained_block()
    net.eval()
    twin = copy.deepcopy(net)
    assert type(twin.scale) is nn.Parameter and len(list(twin.parameters())) == len(list(net.parameters()))
    np.testing.assert_array_equal(twin(x).data, net(x).data)
    for p in twin.parameters():
        p.data = p.data * 0.5
    assert not np.array_equal(twin(x).data, net(x).data)


def test_state_dict_holds_copies_and_load_state_dict_writes_in_place():
    net, _ = _trained_block()
    state = net.state_dict()
    weight = net.conv.weight
    state["conv.weight"] += 1.0                                  # a copy: the model is untouched
    assert not np.array_equal(state["conv.weight"], weight.data)
    before = weight.data
    net.load_state_dict(state)
    assert net.conv.weight is weight and weight.data is before  # same Parameter, same array (optimizers keep them)
    np.testing.assert_array_equal(weight.data, state["conv.weight"])
    # Values and float64 arrays are accepted (cast to the parameter's dtype)
    net.load_state_dict({k: Value(np.asarray(v, np.float64)) for k, v in state.items()})
    assert weight.dtype == np.float32


def test_load_state_dict_reports_missing_unexpected_and_mis_shaped_keys():
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    state = net.state_dict()
    missing = dict(state)
    del missing["1.running_var"]
    with pytest.raises(ValueError, match=r"missing key '1.running_var' \(the model's shape is \(2,\)\)"):
        net.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"unexpected key 'extra.weight' \(shape \(4,\)\)"):
        net.load_state_dict({**state, "extra.weight": np.ones(4)})
    with pytest.raises(ValueError, match=r"shape mismatch for '0.weight': the state dict has \(2, 4\), "
                                         r"the model has \(2, 3\)"):
        net.load_state_dict({**state, "0.weight": np.ones((2, 4))})
    # nothing was copied by the failed calls
    np.testing.assert_array_equal(net.state_dict()["0.weight"], state["0.weight"])
    # strict=False tolerates missing and unexpected keys, never a wrong shape
    result = net.load_state_dict({"0.bias": np.ones(2), "other": np.ones(1)}, strict=False)
    assert result.missing_keys == [k for k in state if k not in ("0.bias", "1.num_batches_tracked")]
    assert result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(net[0].bias.data, np.ones(2))
    with pytest.raises(ValueError, match="shape mismatch for '0.bias'"):
        net.load_state_dict({"0.bias": np.ones(3)}, strict=False)
    with pytest.raises(ValueError, match="'0.bias' holds <U1 data"):
        net.load_state_dict({**state, "0.bias": np.array(["a", "b"])})


def test_load_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"model/0.weight": np.array([object()] * 6, dtype=object).reshape(2, 3),
                      "meta/format": "circuitgrad model"})
    with pytest.raises(autograd.storage.FileFormatError, match="pickled") as info:
        nn.Sequential(nn.Linear(3, 2)).load(path)
    assert str(path) in str(info.value) and "allow_pickle" not in str(info.value)


def test_repr_is_nested_and_counts_parameters():
    net = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10))
    text = repr(net)
    assert text.splitlines() == [
        "Sequential(",
        "  (0): Linear(in_features=784, out_features=300, bias=True)",
        "  (1): ReLU()",
        "  (2): Linear(in_features=300, out_features=10, bias=True)",
        ")  [238,510 parameters]"]
    assert repr(nn.Sequential(Block())).count("parameters") == 1
    assert "Parameter(shape=(300, 784), dtype=float32)" == repr(net[0].weight)


def test_every_call_opens_a_scope_named_after_the_module():
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    out = net(np.ones((1, 2), np.float32))
    assert out.scope.path() == ["Sequential", "ReLU"]              # the relu gate, inside both
    assert out.inputs[0].scope.path() == ["Sequential", "Linear"]         # the linear gate


def test_a_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Empty does not define forward"):
        type("Empty", (nn.Module,), {})()(1)


def test_to_double_converts_parameters_and_buffers():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).double()
    assert {v.dtype for v in net.state_dict().values()} == {np.dtype(np.float64), np.dtype(np.int64)}
    assert net[1].num_batches_tracked.dtype == np.int64                        # a count stays an integer
    assert net[0].weight.dtype == np.float64
    assert net(np.ones((3, 2))).dtype == np.float64
    net.float()
    assert {v.dtype for v in net.state_dict().values()} == {np.dtype(np.float32), np.dtype(np.int64)}


def test_parameter_is_a_trainable_value():
    p = nn.Parameter(np.zeros(3, np.float32))
    assert isinstance(p, Value) and p.requires_grad and p.dtype == np.float32
    assert nn.Parameter(2.0).shape == () and isinstance(nn.Parameter(2.0).data, np.ndarray)
    assert not nn.Parameter(np.ones(2), requires_grad=False).requires_grad
