"""Fashion-MNIST quality targets: test accuracy and wall time of `circuitgrad train`.

    python benchmarks/fashion_mnist.py                 # every net, its default number of epochs
    python benchmarks/fashion_mnist.py --net mlp --seeds 0 1 2
    python benchmarks/fashion_mnist.py --net vgg --epochs 15

The notes' MLP (784-300-10, ReLU) should reach >= 89% test accuracy within 10
epochs, and the notes' convnet with BatchNorm after each conv >= 92.5% (the
Fashion-MNIST benchmark lists 91.6% for TensorFlow's tutorial 2-conv net and
93.4% for 2 conv + pooling + BN). The model zoo (nn.models): LeNet-5, VGG,
a small GoogLeNet and a small ResNet; the best of them should reach >= 94.0%
within 20 minutes of training on 2 cores. Needs the Debian package
dataset-fashion-mnist.
"""
import argparse
import json
import pathlib
import statistics
import tempfile

from circuitgrad.cli import main as circuitgrad

# The zoo: Nesterov momentum with weight decay, the rate annealed along a cosine over the run, random
# flips and 2-pixel crops; each net gets the epochs that fit in about 20 minutes on 2 cores.
ZOO = ["--optim", "nesterov", "--lr", "0.1", "--weight-decay", "5e-4", "--lr-schedule", "cosine", "--augment",
       "--crop-padding", "2"]
NETS = {   # the settings `circuitgrad train` is run with
    "mlp": ["--model", "mlp", "--optim", "nesterov", "--lr", "0.05", "--lr-decay", "0.3"],
    "convnet-bn": ["--model", "convnet", "--batchnorm", "--optim", "adam", "--lr", "0.001",
                   "--lr-decay", "0.3", "--augment"],
    "lenet5": ["--model", "lenet5", "--optim", "adam", "--lr", "0.001", "--lr-decay", "0.3", "--augment"],
    "vgg": ["--model", "vgg", *ZOO],
    "inception": ["--model", "inception", *ZOO],
    "resnet": ["--model", "resnet", *ZOO],
}
EPOCHS = {"mlp": 10, "convnet-bn": 10, "lenet5": 10, "vgg": 10, "inception": 6, "resnet": 16}
TARGETS = {"mlp": 0.89, "convnet-bn": 0.925, "lenet5": 0.885, "vgg": 0.94, "inception": 0.93, "resnet": 0.94}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--net", choices=list(NETS), action="append")
    parser.add_argument("--epochs", type=int, help="default: each net's own (EPOCHS)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    for net in args.net or list(NETS):
        accuracies = []
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as out:
                epochs = args.epochs or EPOCHS[net]
                code = circuitgrad(["train", "--data", "fashion-mnist", *NETS[net], "--epochs",
                                    str(epochs), "--seed", str(seed), "--out", out, "--no-progress"])
                if code:
                    raise SystemExit(code)
                summary = json.loads((pathlib.Path(out) / "summary.json").read_text())
            accuracies.append(summary["test_accuracy"])
            epochs = summary["epoch_seconds"]
            print(f"RESULT {net:10} seed {seed}: test accuracy {summary['test_accuracy']:.4f} "
                  f"(target {TARGETS[net]}), {len(epochs)} epochs, "
                  f"{statistics.median(epochs):.1f} s per epoch, {summary['total_seconds']:.0f} s in all, "
                  f"{summary['parameters']:,} parameters",
                  flush=True)
        if len(accuracies) > 1:
            print(f"RESULT {net:10} mean test accuracy {statistics.mean(accuracies):.4f} "
                  f"over seeds {args.seeds}, min {min(accuracies):.4f}")


if __name__ == "__main__":
    main()
