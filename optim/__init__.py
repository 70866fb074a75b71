"""circuitgrad's optimisers, built on autograd (and not on nn): update rules, schedules, averaging.

Every rule of the CS231n notes ("Neural Networks 3") under PyTorch's name and
update formula, on any iterable of Values (optim does not need nn):

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

optimizer.py (the base: groups, state, step, saving), sgd.py (SGD, momentum,
Nesterov), adaptive.py (Adagrad, RMSprop, Adam, AdamW: one shared rule),
lbfgs.py (L-BFGS with a strong Wolfe line search), lr_scheduler.py
(StepLR, ExponentialLR, InverseTimeLR, CosineAnnealingLR, ReduceLROnPlateau), ema.py (EMA),
solver.py (the training loop: Solver), plots.py (its curves), search.py
(random search of hyperparameters).
"""
# Fails loudly (ImportError naming the file) when another package named `autograd`,
# such as HIPS autograd, is found first: install circuitgrad in a virtual environment of its own.
from autograd import __circuitgrad__  # noqa: F401, E402

from . import lr_scheduler
from .adaptive import Adagrad, Adam, AdamW, Adaptive, RMSprop
from .ema import EMA
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .sgd import SGD
from .plots import plot_history
from .search import format_table, random_search
from .solver import Solver, TrainingDiverged

__all__ = ["Optimizer", "SGD", "Adaptive", "Adagrad", "RMSprop", "Adam", "AdamW", "LBFGS", "EMA",
           "lr_scheduler", "Solver", "TrainingDiverged", "plot_history", "random_search", "format_table"]
