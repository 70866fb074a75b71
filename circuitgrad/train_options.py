"""The options of `circuitgrad train` and `evaluate` (kept apart from train.py so
that the command line starts without importing nn and optim)."""

OPTIMIZERS = {   # --optim name -> (optim class, default learning rate, settings)
    "sgd": ("SGD", 0.05, {}),
    "momentum": ("SGD", 0.01, {"momentum": 0.9}),
    "nesterov": ("SGD", 0.01, {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", 0.01, {}),
    "rmsprop": ("RMSprop", 1e-3, {}),
    "adam": ("Adam", 1e-3, {}),
}


def add_arguments(train, evaluate):
    """Define the options of the two subcommands on their argparse parsers."""
    train.add_argument("--data", default="fashion-mnist",
                       help="fashion-mnist | mnist:DIR | cifar10:DIR | spiral | moons")
    train.add_argument("--model", default="mlp", choices=["mlp", "convnet", "lenet5", "vgg", "inception", "resnet"])
    train.add_argument("--batchnorm", action="store_true", help="convnet: BatchNorm after each conv")
    train.add_argument("--optim", default="adam", choices=list(OPTIMIZERS))
    train.add_argument("--lr", type=float, help="learning rate (default: per optimizer)")
    train.add_argument("--weight-decay", type=float, default=0.0, help="L2 regularisation strength")
    train.add_argument("--lr-decay", type=float, default=0.3,
                       help="multiply the learning rate by this every third of the epochs (1: no decay)")
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=100)
    train.add_argument("--val-fraction", type=float, default=0.1)
    train.add_argument("--augment", action="store_true", help="random horizontal flips of training images")
    train.add_argument("--crop-padding", type=int, default=0,
                       help="random crops of training images padded by this many pixels (0: none)")
    train.add_argument("--limit", type=int, help="use only this many training samples (a quick run)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="runs/latest", help="directory for model.npz, plots, summary.json")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    evaluate.add_argument("model", help="a model.npz written by circuitgrad train")
    evaluate.add_argument("--data", help="dataset to evaluate on (default: the one it was trained on)")
