"""The training loop: Solver, its checks and checkpoints, random search, and the
`circuitgrad train` / `evaluate` commands end to end."""
import json
import re

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim
from circuitgrad.cli import main
from nn import data


def spiral_solver(epochs=20, lr=0.01, seed=0, **options):
    autograd.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 3))
    train, val = data.spiral(100, seed=0), data.spiral(40, seed=1)
    options.setdefault("log", lambda *a: None)
    return optim.Solver(model, F.cross_entropy, optim.Adam(model.parameters(), lr=lr), train, val,
                        batch_size=30, epochs=epochs, progress=False, seed=seed, **options)


def test_spiral_reaches_95_percent_train_accuracy():
    solver = spiral_solver(epochs=40, lr=0.02)
    history = solver.fit()
    assert history["train_acc"][-1] >= 0.95
    assert len(history["loss"]) == 40 * 10 and len(history["val_acc"]) == 40
    assert history["loss"][-1] < history["loss"][0] / 5
    assert solver.best_val_acc == max(history["val_acc"])


def test_history_has_update_to_weight_ratios_and_lr():
    solver = spiral_solver(epochs=2, ratio_every=5)
    history = solver.fit()
    assert set(history["ratio"]) == {name for name, _ in solver.model.named_parameters()}
    steps, ratios = zip(*history["ratio"]["0.weight"])
    assert steps[0] == 1 and all(0 < r < 1 for r in ratios)
    assert history["lr"] == [0.01, 0.01]


def test_scheduler_is_stepped_per_epoch():
    solver = spiral_solver(epochs=3)
    solver.scheduler = optim.lr_scheduler.StepLR(solver.optimizer, step_size=1, gamma=0.5)
    history = solver.fit()
    assert history["lr"] == [0.01, 0.005, 0.0025]


def test_sanity_check_overfits_a_tiny_subset_and_restores_everything():
    solver = spiral_solver()
    solver.optimizer.param_groups[0]["weight_decay"] = 0.1
    before = [p.data.copy() for p in solver.model.parameters()]
    report = solver.sanity_check(samples=20, steps=300)
    assert report["train_acc"] == 1.0 and report["loss_last"] < 0.05 < report["loss_first"]
    for p, b in zip(solver.model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
    assert solver.optimizer.param_groups[0]["weight_decay"] == 0.1
    assert solver.optimizer.state == {}


def test_a_diverging_loss_stops_training_with_its_step():
    solver = spiral_solver(epochs=5)
    calls = []

    def loss_that_blows_up(scores, labels):            # finite for 12 steps, then inf
        calls.append(1)
        return F.cross_entropy(scores, labels) * (np.inf if len(calls) > 12 else 1.0)
    solver.loss_fn = loss_that_blows_up
    with pytest.raises(optim.TrainingDiverged) as info:
        solver.fit()
    stopped, last = re.search(r"stopped at step (\d+) .*the loss is inf; the last finite loss was "
                              r"[0-9.]+ at step (\d+)", str(info.value)).groups()
    assert int(stopped) == int(last) + 1 == len(solver.history["loss"]) + 1


def test_early_stopping():
    solver = spiral_solver(epochs=50, lr=1e-9, patience=2)
    history = solver.fit()
    assert len(history["val_acc"]) == 3                  # one best epoch, then two without progress


def test_checkpoint_resume_equals_an_uninterrupted_run(tmp_path):
    full = spiral_solver(epochs=4, seed=3)
    full.fit()
    first = spiral_solver(epochs=2, seed=3)
    first.fit(restore_best=False)
    first.save_checkpoint(tmp_path / "ckpt.npz")
    resumed = spiral_solver(epochs=4, seed=99)    # another init and seed: the rest comes from the file
    resumed.load_checkpoint(tmp_path / "ckpt.npz")
    resumed.fit()
    assert resumed.epoch == 4 and len(resumed.history["val_acc"]) == 4
    assert resumed.history["loss"] == full.history["loss"]
    for a, b in zip(resumed.model.parameters(), full.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_fit_leaves_the_best_validation_parameters_in_the_model_and_in_best_npz(tmp_path):
    snapshots = []          # the parameters at the end of each epoch (the log is written then)
    solver = spiral_solver(epochs=8, lr=0.2, seed=2, best=tmp_path / "best.npz",
                           log=lambda message: snapshots.append(
                               [np.array(p.data) for p in solver.model.parameters()]))
    history = solver.fit()
    best = int(np.argmax(history["val_acc"]))                 # the first epoch with the best accuracy
    assert best != len(history["val_acc"]) - 1, "the last epoch must not be the best: the test needs it"
    for p, kept in zip(solver.model.parameters(), snapshots[best]):
        np.testing.assert_array_equal(p.data, kept)
    with np.load(tmp_path / "best.npz", allow_pickle=False) as saved:
        for (name, _), kept in zip(solver.model.named_parameters(), snapshots[best]):
            np.testing.assert_array_equal(saved[f"model/{name}"], kept)
    accuracy, _ = solver.evaluate(solver.val_data)
    assert accuracy == solver.best_val_acc == max(history["val_acc"])


def test_reduce_lr_on_plateau_is_stepped_with_the_validation_loss():
    solver = spiral_solver(epochs=5, lr=0.05)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(solver.optimizer, patience=0, factor=0.5)
    seen = []
    step = plateau.step
    plateau.step = lambda metric: (seen.append(metric), step(metric))
    solver.scheduler = plateau
    history = solver.fit()
    assert seen == history["val_loss"] and len(seen) == 5
    assert plateau.best == min(history["val_loss"])


def test_plot_writes_the_three_figures(tmp_path):
    solver = spiral_solver(epochs=2)
    solver.fit()
    figure = solver.plot(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"loss.png", "accuracy.png", "ratios.png"}
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in figure.axes)


def test_random_search_ranks_trials_by_validation_accuracy():
    def build(config):
        return spiral_solver(epochs=1, lr=config["lr"])
    results = optim.random_search(build, {"lr": (1e-4, 1e-1), "hidden": [16, 32]}, trials=4, seed=0)
    accuracies = [r["val_acc"] for r in results]
    assert accuracies == sorted(accuracies, reverse=True) and len(results) == 4
    assert all(1e-4 <= r["config"]["lr"] <= 1e-1 for r in results)
    assert "val acc" in optim.format_table(results)
    with pytest.raises(ValueError, match="lr"):
        optim.random_search(build, {"lr": (0.1, 0.01)}, trials=1)


# ---------------------------------------------------------------- the commands
def test_train_and_evaluate_on_the_spiral(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--data", "spiral", "--epochs", "8", "--lr", "0.02", "--out", str(out),
                 "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0 and "test accuracy" in printed and "confusion matrix" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test_accuracy"] > 0.8 and len(summary["val_accuracy"]) == 8
    files = {p.name for p in out.iterdir()}
    assert {"model.npz", "checkpoint.npz", "loss.png", "accuracy.png", "ratios.png", "summary.json"} == files
    assert main(["evaluate", str(out / "model.npz")]) == 0
    evaluated = capsys.readouterr().out
    assert f"accuracy {summary['test_accuracy']:.4f}" in evaluated
    assert main(["evaluate", str(out / "checkpoint.npz")]) == 0          # the last epoch's model
    assert "accuracy" in capsys.readouterr().out


def test_train_a_convnet_on_a_tiny_idx_directory(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for split, n in (("train", 60), ("t10k", 20)):
        labels = rng.integers(0, 3, n).astype(np.uint8)
        images = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
        images[np.arange(n), labels * 9 + 2, :] = 255            # a class-dependent stripe
        data.write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", images)
        data.write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", labels)
    out = tmp_path / "run"
    code = main(["train", "--data", f"mnist:{tmp_path}", "--model", "convnet", "--batchnorm",
                 "--epochs", "2", "--batch-size", "10", "--out", str(out), "--no-progress"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == "convnet" and summary["batchnorm"] and len(summary["classes"]) == 10
    assert main(["evaluate", str(out / "model.npz"), "--data", f"mnist:{tmp_path}"]) == 0


def test_commands_report_bad_input(tmp_path, capsys):
    assert main(["train", "--data", f"mnist:{tmp_path}/absent", "--out", str(tmp_path)]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["train", "--data", "spiral", "--model", "convnet", "--out", str(tmp_path)]) == 2
    assert "use --model mlp" in capsys.readouterr().err
    (tmp_path / "x.npz").write_bytes(b"not a zip")
    assert main(["evaluate", str(tmp_path / "x.npz")]) == 2
