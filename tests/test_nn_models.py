"""The model zoo (nn.models.classifiers): shapes, sizes, names, the residual
block's skip wire and the inception module's branches checked against central
differences, a short overfitting run, and `circuitgrad train --model ...`."""
import json

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim
from autograd import Value
from circuitgrad import runs
from circuitgrad.cli import main
from nn import data
from nn.models import classifiers


@pytest.mark.parametrize("name", ["mlp", "convnet", "lenet5", "vgg", "inception", "resnet"])
def test_every_model_classifies_28x28_grayscale_images(name):
    autograd.manual_seed(0)
    model = classifiers.MODELS[name]((1, 28, 28), 10)
    out = model(np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32))
    assert out.shape == (2, 10) and out.dtype == np.float32
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_lenet5_has_the_papers_61706_parameters_and_named_stages():
    model = classifiers.lenet5()
    assert sum(p.size for p in model.parameters()) == 61706
    assert list(model.state_dict())[:2] == ["features.0.weight", "features.0.bias"]
    assert model.classifier[1].in_features == 16 * 5 * 5


def test_model_names_follow_torchvision():
    keys = classifiers.resnet().state_dict()
    assert {"stem.0.weight", "layer1.0.conv1.weight", "layer2.0.shortcut.0.weight", "layer3.0.bn2.running_var",
            "fc.weight"} <= set(keys)
    assert "layer1.0.shortcut.weight" not in keys               # an identity shortcut has no weights
    assert {"inception3a.branch5.1.0.weight", "inception4b.branch_pool.1.1.running_mean"} <= set(
        classifiers.inception().state_dict())
    assert len(classifiers.resnet(blocks=3).layer3) == 3


def test_models_refuse_samples_that_are_not_images():
    for name in ("convnet", "lenet5", "vgg", "inception", "resnet"):
        with pytest.raises(ValueError, match="use --model mlp"):
            classifiers.MODELS[name]((2,), 3)


def test_the_skip_wire_carries_x_and_its_gradient_past_the_residual_branch():
    autograd.manual_seed(0)
    block = classifiers.BasicBlock(3, 3)
    block.bn2.weight.data[...] = 0                  # F(x) = bn2(...) = bn2.bias = 0: out = relu(0 + x)
    x = Value(np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32))
    out = block(x)
    np.testing.assert_array_equal(out.data, np.maximum(x.data, 0))
    out.backward(np.ones(out.shape, np.float32))
    np.testing.assert_array_equal(x.grad, (x.data > 0).astype(np.float32))   # only through the skip


@pytest.mark.parametrize("stride", [1, 2])
def test_a_residual_block_passes_a_gradient_check(stride):
    autograd.manual_seed(0)
    block = classifiers.BasicBlock(2, 3, stride).double()
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 4))
    assert isinstance(block.shortcut, nn.Sequential)            # the 1x1 projection
    assert autograd.gradcheck(block, [x], raise_exception=True)


def test_an_inception_module_stacks_its_four_branches_and_passes_a_gradient_check():
    autograd.manual_seed(0)
    module = classifiers.Inception(3, 2, 2, 3, 1, 2, 1).double()
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 5))
    out = module(x)
    assert out.shape == (2, 2 + 3 + 2 + 1, 5, 5) and module.out_channels == 8
    np.testing.assert_allclose(out.data[:, :2], module.branch1(x).data)            # the first slice: the 1x1 branch
    np.testing.assert_allclose(out.data[:, 7:], module.branch_pool(x).data)        # the last: the pool branch
    assert autograd.gradcheck(module, [x], raise_exception=True)


def test_a_small_resnet_overfits_a_few_images():
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 1, 12, 12)).astype(np.float32), rng.integers(0, 4, 16)
    model = classifiers.resnet((1, 12, 12), 4, widths=(4, 8, 8), blocks=1)
    opt = optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    model.eval()
    assert np.mean(np.argmax(model(x).data, axis=1) == y) == 1.0


def test_the_command_line_builds_every_zoo_model_by_name():
    for name in classifiers.MODELS:
        model = runs.build_model(name, (1, 28, 28), 10)
        assert model(np.zeros((1, 1, 28, 28), np.float32)).shape == (1, 10)
    assert any(isinstance(m, nn.BatchNorm2d) for m in runs.build_model("convnet", (1, 28, 28), 10, True).modules())
    with pytest.raises(ValueError, match="unknown model 'alexnet'"):
        runs.build_model("alexnet", (1, 28, 28), 10)


def test_circuitgrad_trains_and_evaluates_a_zoo_model(tmp_path, capsys, name="lenet5"):
    rng = np.random.default_rng(0)
    for split, n in (("train", 40), ("t10k", 10)):
        labels = rng.integers(0, 3, n).astype(np.uint8)
        images = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
        images[np.arange(n), labels * 9 + 2, :] = 255
        data.write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", images)
        data.write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", labels)
    out = tmp_path / "run"
    assert main(["train", "--data", f"mnist:{tmp_path}", "--model", name, "--epochs", "1", "--batch-size", "8",
                 "--out", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == name and summary["parameters"] == sum(
        p.size for p in classifiers.MODELS[name]((1, 28, 28), 10).parameters())
    assert main(["evaluate", str(out / "model.npz"), "--data", f"mnist:{tmp_path}"]) == 0
    assert f"accuracy {summary['test_accuracy']:.4f}" in capsys.readouterr().out


def test_a_depthwise_convolution_convolves_each_channel_with_its_own_filter():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5, 5))
    layer = nn.Conv2d(3, 6, 3, padding=1, groups=3).double()       # two filters per input channel
    assert layer.weight.shape == (6, 1, 3, 3) and "groups=3" in repr(layer)
    out = layer(x).data
    for c in range(3):
        alone = F.conv2d(x[:, c:c + 1], layer.weight.data[2 * c:2 * c + 2], layer.bias.data[2 * c:2 * c + 2], padding=1)
        np.testing.assert_allclose(out[:, 2 * c:2 * c + 2], alone, atol=1e-12)
    layer(x).sum().backward()
    assert layer.weight.grad.shape == (6, 1, 3, 3)
