"""The command line, run as a user runs it: the real `circuitgrad` entry point in a
subprocess. A user's mistake is one line on stderr and exit status 2, never a
traceback; a run is never overwritten by accident; an interrupted run resumes
exactly where it was."""
import json
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import autograd
import optim
from circuitgrad import runs
from circuitgrad.cli import main
from nn import data

ENTRY_POINT = pathlib.Path(sys.executable).parent / "circuitgrad"


def circuitgrad(*args, cwd=None):
    """(exit status, stdout, stderr) of the installed `circuitgrad` command."""
    command = [str(ENTRY_POINT)] if ENTRY_POINT.exists() else [sys.executable, "-m", "circuitgrad"]
    done = subprocess.run(command + [str(a) for a in args], capture_output=True, text=True, cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def one_line_error(status, stderr, *fragments):
    assert status == 2, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    for fragment in fragments:
        assert fragment in stderr, (fragment, stderr)


@pytest.fixture(scope="module")
def spiral_run(tmp_path_factory):
    """A finished run on the spiral (one epoch)."""
    out = tmp_path_factory.mktemp("runs") / "spiral"
    status, _, stderr = circuitgrad("train", "--data", "spiral", "--epochs", 1, "--out", out, "--no-progress")
    assert status == 0, stderr
    return out


def tiny_mnist(directory, side=28, n=40, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for split in ("train", "t10k"):
        labels = rng.integers(0, classes, n).astype(np.uint8)
        data.write_idx(directory / f"{split}-images-idx3-ubyte.gz", (rng.random((n, side, side)) * 255).astype(np.uint8))
        data.write_idx(directory / f"{split}-labels-idx1-ubyte.gz", labels)
    return directory


MISTAKES = [   # (what, arguments (with {tmp} and {run}), fragments of the one line)
    ("an unknown subcommand", ["fly"], ["invalid choice", "'fly'"]),
    ("epochs 0", ["train", "--data", "spiral", "--epochs", "0", "--out", "{tmp}/a"], ["--epochs", ">= 1"]),
    ("a validation fraction of 1.5", ["train", "--data", "spiral", "--val-fraction", "1.5", "--out", "{tmp}/a"],
     ["--val-fraction", "< 1"]),
    ("a validation fraction of 0", ["train", "--data", "spiral", "--val-fraction", "0", "--out", "{tmp}/a"],
     ["--val-fraction", "> 0"]),
    ("a learning rate that is not a number", ["train", "--lr", "fast", "--out", "{tmp}/a"], ["--lr", "'fast'"]),
    ("a limit too small for one batch", ["train", "--data", "spiral", "--limit", "50", "--out", "{tmp}/a"],
     ["fewer than one batch of 100", "--limit"]),
    ("an unknown dataset", ["train", "--data", "imagenet", "--out", "{tmp}/a"], ["imagenet"]),
    ("a missing data directory", ["train", "--data", "mnist:{tmp}/absent", "--out", "{tmp}/a"], ["absent"]),
    ("--out a file", ["train", "--data", "spiral", "--out", "{tmp}/file.txt"], ["file.txt", "not a directory"]),
    ("--out inside a file", ["train", "--data", "spiral", "--out", "{tmp}/file.txt/run"], ["file.txt"]),
    ("a directory that holds a run", ["train", "--data", "spiral", "--out", "{run}"],
     ["already holds a run", "--overwrite", "--resume"]),
    ("--overwrite with --resume", ["train", "--overwrite", "--resume", "--out", "{run}"], ["not allowed with"]),
    ("--resume with nothing to resume", ["train", "--resume", "--out", "{tmp}"], ["no checkpoint.npz"]),
    ("evaluate a text file", ["evaluate", "{tmp}/file.txt"], ["file.txt", "zip archive"]),
    ("evaluate a missing file", ["evaluate", "{tmp}/absent.npz"], ["absent.npz"]),
    ("evaluate on other classes", ["evaluate", "{run}/model.npz", "--data", "moons"], ["classes", "arm 0"]),
    ("draw a square root of -1", ["draw", "x**0.5", "x=-1"], ["complex"]),
    ("draw an overflow", ["draw", "x*10**400", "x=1"], ["too large for a float"]),
    ("draw into a missing directory", ["draw", "x*y", "x=1", "y=2", "-o", "{tmp}/absent/c.svg"],
     ["no directory", "absent"]),
    ("draw an unknown format", ["draw", "x*y", "x=1", "y=2", "-o", "{tmp}/c.unknown"], ["unknown"]),
    ("draw code", ["draw", "__import__('os').system('ls')", "x=1"], ["only the functions"]),
    ("draw a name without a value", ["draw", "x*y", "x=1"], ["no value given for 'y'"]),
    ("draw a value that is not a number", ["draw", "x*2", "x=abc"], ["not a number"]),
    ("export a text file", ["export", "{tmp}/file.txt", "-o", "{tmp}/m.onnx"], ["file.txt", "zip archive"]),
    ("export a missing file", ["export", "{tmp}/absent.npz", "-o", "{tmp}/m.onnx"], ["absent.npz"]),
    ("export into a missing directory", ["export", "{run}/model.npz", "-o", "{tmp}/absent/m.onnx"],
     ["no directory", "absent"]),
    ("export without -o", ["export", "{run}/model.npz"], ["-o/--output"]),
    ("export to an unknown opset", ["export", "{run}/model.npz", "-o", "{tmp}/m.onnx", "--opset", "9"], ["--opset"]),
]


@pytest.mark.parametrize("what, arguments, fragments", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_mistake_is_one_line_and_exit_status_2(tmp_path, spiral_run, what, arguments, fragments):
    (tmp_path / "file.txt").write_text("not a model\n")
    args = [a.format(tmp=tmp_path, run=spiral_run) for a in arguments]
    status, _, stderr = circuitgrad(*args)
    one_line_error(status, stderr, *fragments)


def test_evaluate_refuses_samples_of_another_shape(tmp_path):
    status, _, stderr = circuitgrad("train", "--data", f"mnist:{tiny_mnist(tmp_path / 'big')}", "--epochs", 1,
                                    "--batch-size", 8, "--out", tmp_path / "run", "--no-progress")
    assert status == 0, stderr
    status, _, stderr = circuitgrad("evaluate", tmp_path / "run" / "model.npz", "--data",
                                    f"mnist:{tiny_mnist(tmp_path / 'small', side=14)}")
    one_line_error(status, stderr, "(1, 14, 14)", "(1, 28, 28)")


def test_a_long_sum_is_drawn_without_recursion():
    status, stdout, stderr = circuitgrad("draw", "+".join(["x"] * 1500), "x=2")
    assert status == 0, stderr
    assert "f = " in stdout and "= 3000" in stdout and "df/dx = 1500" in stdout


def test_a_diverging_run_exits_non_zero_with_the_step_and_the_last_finite_loss(tmp_path):
    status, _, stderr = circuitgrad("train", "--data", "spiral", "--optim", "sgd", "--lr", "1e30", "--epochs", 2,
                                    "--out", tmp_path / "run", "--no-progress")
    assert status == 1 and "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert "stopped at step" in stderr and "last finite loss" in stderr and "--detect-anomaly" in stderr


def test_overwrite_replaces_a_run(tmp_path):
    out = tmp_path / "run"
    assert circuitgrad("train", "--data", "spiral", "--epochs", 1, "--out", out, "--no-progress")[0] == 0
    first = (out / "model.npz").read_bytes()
    status, _, stderr = circuitgrad("train", "--data", "spiral", "--epochs", 1, "--seed", 1, "--out", out,
                                    "--overwrite", "--no-progress")
    assert status == 0, stderr
    assert (out / "model.npz").read_bytes() != first
    assert json.loads((out / "summary.json").read_text())["seed"] == 1


def test_the_cosine_schedule_anneals_the_rate_over_the_epochs(tmp_path, capsys):
    assert main(["train", "--data", "spiral", "--epochs", "4", "--lr", "0.02", "--lr-schedule", "cosine",
                 "--no-progress", "--out", str(tmp_path / "run")]) == 0
    logged = [line.rsplit("lr ", 1)[1] for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")]
    assert logged == [f"{0.01 * (1 + math.cos(math.pi * t / 4)):.3g}" for t in range(4)]     # 0.02 ... 0.00293
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["lr_schedule"] == "cosine"


@pytest.mark.parametrize("schedule", ["cosine", "step"])
def test_resuming_with_more_epochs_refits_the_schedule_to_them_and_says_so(tmp_path, capsys, schedule):
    """--resume --epochs 6 on a run of 3: the rate goes on as in a new run of 6 epochs (kept as
    saved, a cosine would climb back up to the initial rate over the added epochs). Fewer epochs
    than the run has trained are a mistake, and leave the run as it was."""
    out = str(tmp_path / "run")
    arguments = ["train", "--data", "spiral", "--lr", "0.02", "--lr-decay", "0.5", "--lr-schedule", schedule,
                 "--no-progress", "--out", out]
    assert main(arguments[:1] + ["--epochs", "3"] + arguments[1:]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", "--epochs", "6", "--no-progress", "--out", out]) == 0
    printed = capsys.readouterr().out
    logged = [float(line.rsplit("lr ", 1)[1]) for line in printed.splitlines() if line.startswith("epoch ")]
    if schedule == "cosine":
        assert "the cosine schedule now anneals over 6 epochs" in printed and "(was 3)" in printed
        expected = [0.01 * (1 + math.cos(math.pi * t / 6)) for t in (3, 4, 5)]
    else:
        assert "the step schedule now decays every 2 epochs" in printed and "(was 1)" in printed
        expected = [0.02 * 0.5 ** (t // 2) for t in (3, 4, 5)]
    np.testing.assert_allclose(logged, expected, rtol=5e-3)
    capsys.readouterr()
    assert main(["train", "--resume", "--no-progress", "--out", out]) == 0      # its own length now: no note
    assert "schedule now" not in capsys.readouterr().out
    checkpoint = (tmp_path / "run" / "checkpoint.npz").read_bytes()
    assert main(["train", "--resume", "--epochs", "5", "--no-progress", "--out", out]) == 2   # fewer than trained
    error = capsys.readouterr().err
    assert "--epochs 5" in error and "trained 6 epochs already" in error and len(error.strip().splitlines()) == 1
    assert (tmp_path / "run" / "checkpoint.npz").read_bytes() == checkpoint                 # the run untouched


@pytest.mark.parametrize("schedule", ["step", "cosine"])
def test_an_interrupted_run_resumes_exactly_where_it_was(tmp_path, monkeypatch, capsys, schedule):
    arguments = ["train", "--data", "spiral", "--epochs", "4", "--lr", "0.02", "--lr-schedule", schedule,
                 "--no-progress"]
    assert main(arguments + ["--out", str(tmp_path / "whole")]) == 0
    whole = json.loads((tmp_path / "whole" / "summary.json").read_text())

    calls = []
    step = optim.Solver.train_step

    def interrupted_in_epoch_3(self, x, y):                 # Ctrl-C in the middle of epoch 3
        calls.append(1)
        if len(calls) == 2 * 8 + 3:
            raise KeyboardInterrupt
        return step(self, x, y)
    monkeypatch.setattr(optim.Solver, "train_step", interrupted_in_epoch_3)
    capsys.readouterr()
    assert main(arguments + ["--out", str(tmp_path / "cut")]) == 130
    message = capsys.readouterr().err
    assert "interrupted in epoch 3 of 4" in message and "as of epoch 2" in message
    assert f"circuitgrad train --resume --out {tmp_path / 'cut'}" in message
    monkeypatch.undo()
    assert main(["train", "--resume", "--no-progress", "--out", str(tmp_path / "cut")]) == 0
    assert "resumed after epoch 2 of 4" in capsys.readouterr().out
    resumed = json.loads((tmp_path / "cut" / "summary.json").read_text())
    for key in ("val_accuracy", "train_accuracy", "test_accuracy", "best_val_accuracy", "confusion_matrix"):
        assert resumed[key] == whole[key], key
    with np.load(tmp_path / "whole" / "model.npz") as a, np.load(tmp_path / "cut" / "model.npz") as b:
        for name in a.files:
            if name.startswith("model/"):
                np.testing.assert_array_equal(a[name], b[name])


# ---------------------------------------------------------------- language models
TINY = ["--epochs", 2, "--steps-per-epoch", 6, "--hidden", 16, "--seq-len", 12, "--batch-size", 4,
        "--eval-chars", 600, "--no-progress"]


def tiny_text(directory):
    """Five small Python-like files."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(5):
        (directory / f"m{i}.py").write_text("".join(f"def f{j}(x):\n    return x * {i + j}\n\n" for j in range(25)))
    return directory


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    """A finished language run (an LSTM) on tiny text: (run directory, stdout)."""
    root = tmp_path_factory.mktemp("text")
    status, stdout, stderr = circuitgrad("train", "--data", f"text:{tiny_text(root / 'corpus')}", "--model", "lstm",
                                         *TINY, "--out", root / "run")
    assert status == 0, stderr
    return root / "run", stdout


def test_a_language_run_reports_bits_per_character_and_the_ngram_baselines(text_run):
    out, stdout = text_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["task"] == "language" and summary["model"] == "lstm" and summary["epochs"] == 2
    assert len(summary["val_bpc"]) == len(summary["test_bpc_per_epoch"]) == 2
    assert [g["order"] for g in summary["ngram"]] == [1, 2, 3, 4, 5]
    best = min(summary["ngram"], key=lambda g: g["validation_bpc"])
    assert summary["best_ngram"] == best and best["order"] > 1
    assert summary["clip"] == 5.0 and summary["steps"] == 12
    assert "epoch 2/2" in stdout and "n-gram baselines" in stdout and f"test {best['test_bpc']:.3f}" in stdout
    assert (out / "model.npz").exists() and (out / "checkpoint.npz").exists()
    # an untrained guess is log2(V); the run's bits per character are below it, and evaluate agrees
    status, stdout, stderr = circuitgrad("evaluate", out / "model.npz")
    assert status == 0, stderr
    assert f"{summary['test_bpc']:.4f} bits per character" in stdout and "uniform guess" in stdout


def test_sample_prints_the_prompt_and_its_continuation(text_run):
    out, _ = text_run
    status, first, stderr = circuitgrad("sample", out / "model.npz", "--prompt", "def ", "--length", 50,
                                        "--temperature", 0.8, "--seed", 0)
    assert status == 0, stderr
    assert first.startswith("def ") and len(first) == len("def ") + 50 + 1          # + print's newline
    assert circuitgrad("sample", out / "checkpoint.npz", "--prompt", "def ", "--length", 50, "--temperature", 0.8,
                       "--seed", 0)[1] == first
    assert circuitgrad("sample", out / "model.npz", "--prompt", "def ", "--length", 50, "--seed", 1)[1] != first


def test_a_transformer_run_and_its_sample(tmp_path):
    status, _, stderr = circuitgrad("train", "--data", f"text:{tiny_text(tmp_path / 'corpus')}", "--model",
                                    "transformer", "--layers", 2, *TINY, "--out", tmp_path / "run")
    assert status == 0, stderr
    status, stdout, stderr = circuitgrad("sample", tmp_path / "run" / "model.npz", "--length", 30, "--seed", 0)
    assert status == 0 and len(stdout) == 31, stderr


def test_a_language_run_resumes_exactly(tmp_path):
    corpus = f"text:{tiny_text(tmp_path / 'corpus')}"
    arguments = ["train", "--data", corpus, "--model", "gru", *TINY]
    assert circuitgrad(*arguments, "--out", tmp_path / "whole")[0] == 0
    assert circuitgrad(*arguments[:-len(TINY)], *TINY[2:], "--epochs", 1, "--out", tmp_path / "cut")[0] == 0
    status, stdout, stderr = circuitgrad("train", "--resume", "--epochs", 2, "--no-progress", "--out", tmp_path / "cut")
    assert status == 0, stderr
    assert "resumed after epoch 1 of 2" in stdout
    whole, cut = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("whole", "cut"))
    for key in ("val_bpc", "test_bpc_per_epoch", "train_loss", "sample"):
        assert cut[key] == whole[key], key
    with np.load(tmp_path / "whole" / "model.npz") as a, np.load(tmp_path / "cut" / "model.npz") as b:
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])


LANGUAGE_MISTAKES = [   # (what, arguments (with {tmp}, {text}, {run} and {image}), fragments of the one line)
    ("a missing text path", ["train", "--data", "text:{tmp}/absent", "--out", "{tmp}/a"], ["absent", "no such file"]),
    ("an empty text directory", ["train", "--data", "text:{tmp}/empty", "--out", "{tmp}/a"], ["no text"]),
    ("an image model on text", ["train", "--data", "text:{text}", "--model", "resnet", "--out", "{tmp}/a"],
     ["image classifier", "lstm"]),
    ("an image option on text", ["train", "--data", "text:{text}", "--batchnorm", "--out", "{tmp}/a"],
     ["--batchnorm", "image data"]),
    ("a language model on images", ["train", "--data", "spiral", "--model", "lstm", "--out", "{tmp}/a"],
     ["language model", "text:PATH"]),
    ("a text option on images", ["train", "--data", "spiral", "--seq-len", "8", "--out", "{tmp}/a"],
     ["--seq-len", "text data"]),
    ("windows too long for the text", ["train", "--data", "text:{text}", "--seq-len", "100000", "--out", "{tmp}/a"],
     ["no window", "--seq-len"]),
    ("a negative clip", ["train", "--data", "text:{text}", "--clip", "-1", "--out", "{tmp}/a"], ["--clip", ">= 0"]),
    ("sample an image run", ["sample", "{image}/model.npz"], ["not a language model", "mlp on spiral"]),
    ("sample at temperature 0", ["sample", "{run}/model.npz", "--temperature", "0"], ["--temperature", "> 0"]),
    ("sample a negative length", ["sample", "{run}/model.npz", "--length", "-5"], ["--length", ">= 0"]),
    ("sample a text file", ["sample", "{tmp}/file.txt"], ["file.txt", "zip archive"]),
    ("evaluate a language model on images", ["evaluate", "{run}/model.npz", "--data", "spiral"],
     ["language model", "spiral"]),
]


@pytest.mark.parametrize("what, arguments, fragments", LANGUAGE_MISTAKES, ids=[m[0] for m in LANGUAGE_MISTAKES])
def test_a_language_mistake_is_one_line_and_exit_status_2(tmp_path, text_run, spiral_run, what, arguments,
                                                            fragments):
    (tmp_path / "file.txt").write_text("not a model\n")
    (tmp_path / "empty").mkdir()
    text = tiny_text(tmp_path / "corpus")
    args = [a.format(tmp=tmp_path, text=text, run=text_run[0], image=spiral_run) for a in arguments]
    status, _, stderr = circuitgrad(*args, "--no-progress") if args[0] == "train" else circuitgrad(*args)
    one_line_error(status, stderr, *fragments)


def test_export_writes_a_run_as_onnx_that_onnxruntime_runs_as_circuitgrad_does(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    status, _, stderr = circuitgrad("train", "--data", f"mnist:{tiny_mnist(tmp_path / 'data', side=12)}",
                                    "--model", "convnet", "--batchnorm", "--epochs", 1, "--batch-size", 8,
                                    "--out", tmp_path / "run", "--no-progress")
    assert status == 0, stderr
    status, stdout, stderr = circuitgrad("export", tmp_path / "run" / "model.npz", "-o", tmp_path / "m.onnx")
    assert status == 0 and "Traceback" not in stderr, stderr
    assert "wrote" in stdout and "(batch, 1, 12, 12)" in stdout, stdout
    net, _, standardize = runs.load(tmp_path / "run" / "model.npz")
    x = np.random.default_rng(1).random((5, 1, 12, 12)).astype(np.float32)     # raw samples, any batch size
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (scores,) = session.run(None, {"input": x})
    with autograd.no_grad():
        want = net.eval()(standardize.transform(x)).data
    assert np.abs(scores - want).max() <= 1e-5 * np.abs(want).max()


def test_an_interrupted_language_run_says_how_to_resume(tmp_path, monkeypatch, capsys):
    from circuitgrad import language
    calls = []
    step = language.Run.train_step

    def interrupted_in_epoch_2(self, window, state):        # Ctrl-C in the middle of epoch 2
        calls.append(1)
        if len(calls) == 6 + 3:
            raise KeyboardInterrupt
        return step(self, window, state)
    monkeypatch.setattr(language.Run, "train_step", interrupted_in_epoch_2)
    out = tmp_path / "cut"
    arguments = ["train", "--data", f"text:{tiny_text(tmp_path / 'corpus')}", *map(str, TINY), "--out", str(out)]
    assert main(arguments) == 130
    message = capsys.readouterr().err
    assert "interrupted in epoch 2 of 2" in message and "as of epoch 1" in message
    assert f"circuitgrad train --resume --out {out}" in message
    monkeypatch.undo()
    assert main(["train", "--resume", "--no-progress", "--out", str(out)]) == 0
    assert "resumed after epoch 1 of 2" in capsys.readouterr().out
    assert len(json.loads((out / "summary.json").read_text())["val_bpc"]) == 2
