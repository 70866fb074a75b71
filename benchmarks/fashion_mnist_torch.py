"""The zoo's ResNet in PyTorch CPU, trained as `benchmarks/fashion_mnist.py --net resnet` trains it:
the same split (54,000 / 6,000, seed 0), standardisation and augmentation (circuitgrad's own numpy
functions), the same recipe (Nesterov 0.9, lr 0.1, weight decay 5e-4, cosine over the epochs, batches of
100), the parameters with the best validation accuracy tested. It answers: what does the fastest CPU
framework reach with this net in the same minutes? And with a deeper one (--blocks 2: ResNet-14, as
`resnet(blocks=2)` builds it) and label smoothing (which circuitgrad's cross_entropy does not have)?

    python benchmarks/fashion_mnist_torch.py --epochs 26        # about 20 minutes on 2 cores
    python benchmarks/fashion_mnist_torch.py --epochs 13 --blocks 2 --label-smoothing 0.1   # about 17

Needs PyTorch (`pip install torch==2.13.0`, a CPU build) beside circuitgrad (`pip install -e .`, for the
data and the augmentation) in one environment: a peer for comparison, never a dependency.
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn as tnn

from nn import data
from nn.data.augment import Augment


def resnet(blocks=1):
    """nn.models.classifiers.resnet(blocks=blocks) written with torch.nn (blocks=1: the same 308,074
    parameters)."""
    class Block(tnn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(c_in, c_out, 3, stride, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(c_out)
            self.conv2 = tnn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
            self.bn2 = tnn.BatchNorm2d(c_out)
            self.shortcut = (tnn.Sequential(tnn.Conv2d(c_in, c_out, 1, stride, bias=False), tnn.BatchNorm2d(c_out))
                             if stride != 1 or c_in != c_out else tnn.Identity())

        def forward(self, x):
            h = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            return F.relu(h + self.shortcut(x))

    stem = tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1, bias=False), tnn.BatchNorm2d(32), tnn.ReLU())
    stages = [block for c_in, c_out, stride in ((32, 32, 1), (32, 64, 2), (64, 128, 2))
              for block in (Block(c_in, c_out, stride), *(Block(c_out, c_out, 1) for _ in range(blocks - 1)))]
    return tnn.Sequential(stem, tnn.MaxPool2d(2), *stages, tnn.AdaptiveAvgPool2d(1), tnn.Flatten(),
                          tnn.Linear(128, 10))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(torch.from_numpy(np.ascontiguousarray(x[i:i + 500]))).argmax(1)
                               for i in range(0, len(x), 500)])
    return float((predicted.numpy() == y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=26)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--blocks", type=int, default=1, help="basic blocks per stage (default 1: the zoo's)")
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    splits = data.load("fashion-mnist", seed=args.seed)
    full, test = splits["train"], splits["test"]
    n_val = int(len(full) * 0.1)
    train_set, val_set = data.random_split(full, [len(full) - n_val, n_val], seed=args.seed)
    (x_train, y_train), (x_val, y_val) = train_set[:], val_set[:]
    standardize = data.Standardize(per="channel").fit(x_train)
    x_train, x_val, x_test = (standardize.transform(x) for x in (x_train, x_val, test.x))

    model, augment, rng = resnet(args.blocks), Augment(flip=True, crop_padding=2), np.random.default_rng(args.seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    best, best_state, seconds = -1.0, None, []
    for epoch in range(args.epochs):
        model.train()
        start, order = time.perf_counter(), rng.permutation(len(x_train))
        for i in range(len(order) // 100):
            batch = order[i * 100:(i + 1) * 100]
            x = torch.from_numpy(np.ascontiguousarray(augment(x_train[batch], rng)))
            loss = F.cross_entropy(model(x), torch.from_numpy(y_train[batch].astype(np.int64)),
                                   label_smoothing=args.label_smoothing)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
        schedule.step()
        val = accuracy(model, x_val, y_val)
        if val > best:
            best, best_state = val, {k: v.clone() for k, v in model.state_dict().items()}
        print(f"epoch {epoch + 1}/{args.epochs}: {seconds[-1]:.1f} s, val acc {val:.4f}", flush=True)
    model.load_state_dict(best_state)
    print(json.dumps({"test_accuracy": accuracy(model, x_test, test.y), "best_val_accuracy": best,
                      "median_epoch_seconds": statistics.median(seconds), "training_seconds": sum(seconds)}))


if __name__ == "__main__":
    main()
