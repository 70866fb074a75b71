"""ModuleList, ModuleDict, Identity, and the module helpers requires_grad_ and
apply: registration, names, freezing (no gradient, no update, BatchNorm
statistics kept in eval), and their errors."""
import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim


class Tower(nn.Module):
    """Blocks in a ModuleList, heads in a ModuleDict."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2), "b": nn.Linear(4, 3)})

    def forward(self, x, head):
        for block in self.blocks:
            x = block(x).relu()
        return self.heads[head](x)


def test_module_list_and_dict_register_their_members_under_dotted_names():
    tower = Tower()
    assert list(tower.state_dict()) == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
                                        "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias"]
    assert [name for name, _ in tower.named_modules()] == ["", "blocks", "blocks.0", "blocks.1", "heads",
                                                           "heads.a", "heads.b"]
    x = np.ones((5, 4), np.float32)
    assert tower(x, "a").shape == (5, 2) and tower(x, "b").shape == (5, 3)
    tower(x, "a").sum().backward()
    assert tower.heads["a"].weight.grad is not None and tower.heads["b"].weight.grad is None


def test_module_list_behaves_as_a_list():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    layers = nn.ModuleList([a, b])
    layers.append(c)
    assert len(layers) == 3 and list(layers) == [a, b, c] and layers[-1] is c
    assert isinstance(layers[1:], nn.ModuleList) and list(layers[1:]) == [b, c]
    d = nn.ELU()
    layers.insert(1, d)                                 # the later ones are renumbered
    assert list(layers) == [a, d, b, c] and [n for n, _ in layers.named_children()] == ["0", "1", "2", "3"]
    layers[0] = nn.Identity()
    del layers[1]
    assert [type(m).__name__ for m in layers] == ["Identity", "Tanh", "Sigmoid"]
    layers.extend([nn.ReLU()])
    assert len(layers) == 4
    with pytest.raises(IndexError, match="out of range for 4 modules"):
        layers[4]
    with pytest.raises(TypeError, match="not a Module"):
        layers.append(lambda x: x)
    with pytest.raises(NotImplementedError, match="does not define forward"):
        layers(np.zeros(3))


def test_module_dict_behaves_as_a_dict_and_refuses_keys_that_would_break_it():
    heads = nn.ModuleDict()
    heads["x"] = nn.ReLU()
    heads.update([("y", nn.Tanh())])
    assert list(heads) == ["x", "y"] and "x" in heads and "z" not in heads and len(heads) == 2
    assert [k for k, _ in heads.items()] == heads.keys() and len(heads.values()) == 2
    assert isinstance(heads.pop("x"), nn.ReLU) and heads.keys() == ["y"]
    with pytest.raises(KeyError, match="no module named 'x'"):
        heads["x"]
    with pytest.raises(KeyError, match="hide the attribute"):
        heads["training"] = nn.ReLU()                   # would overwrite the mode flag
    with pytest.raises(KeyError, match="hide the attribute"):
        heads["forward"] = nn.ReLU()
    with pytest.raises(KeyError, match="without '.'"):
        heads["a.b"] = nn.ReLU()
    with pytest.raises(TypeError, match="keys must be strings"):
        heads[1] = nn.ReLU()
    with pytest.raises(TypeError, match="not a Module"):
        heads["z"] = 3
    assert heads.training is True


def test_identity_passes_its_input_through_and_ignores_arguments():
    x = autograd.Value(np.arange(3.0))
    assert nn.Identity(54, unused="argument")(x) is x
    assert list(nn.Identity().parameters()) == []


def test_apply_visits_each_subtree_before_its_parent_as_pytorch():
    net = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), nn.Linear(2, 1))
    visited = []
    assert net.apply(lambda m: visited.append(type(m).__name__)) is net
    assert visited == ["Linear", "ReLU", "Sequential", "Linear", "Sequential"]

    def zero_linear(module):
        if isinstance(module, nn.Linear):
            module.weight.data[...] = 0
    net.apply(zero_linear)
    assert all(not np.any(m.weight.data) for m in net.modules() if isinstance(m, nn.Linear))


def frozen_features_and_a_head():
    autograd.manual_seed(0)
    features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten())
    head = nn.Linear(4 * 5 * 5, 3)
    return features, head, nn.Sequential(features, head)


def test_a_frozen_module_gets_no_gradient_and_no_update_and_eval_keeps_its_statistics():
    features, head, model = frozen_features_and_a_head()
    assert features.requires_grad_(False) is features
    features.eval()
    before = features.state_dict()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 1, 5, 5)).astype(np.float32), rng.integers(0, 3, 8)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)     # decay must skip them too
    head_before = head.weight.data.copy()
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    assert all(p.grad is None and not p.requires_grad for p in features.parameters())
    for key, value in features.state_dict().items():                             # weights and running stats
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    assert not np.array_equal(head.weight.data, head_before)

    features.requires_grad_()                                                    # unfrozen: trained again
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    assert all(p.grad is not None for p in features.parameters())


def test_a_frozen_batchnorm_in_training_mode_still_moves_its_statistics():
    # requires_grad_ freezes parameters only (as PyTorch): the running statistics follow the mode
    features, _, model = frozen_features_and_a_head()
    features.requires_grad_(False)
    before = features[1].running_mean.copy()
    model(np.random.default_rng(0).standard_normal((8, 1, 5, 5)).astype(np.float32))
    assert not np.array_equal(features[1].running_mean, before)


def test_a_fully_frozen_model_builds_no_graph():
    _, _, model = frozen_features_and_a_head()
    model.requires_grad_(False)
    out = model(np.zeros((2, 1, 5, 5), np.float32))
    assert not out.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        out.sum().backward()
