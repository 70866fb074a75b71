"""SGD: vanilla, momentum and Nesterov momentum (CS231n, "Neural Networks 3")."""
from .optimizer import Optimizer, boolean, fraction, non_negative


class SGD(Optimizer):
    """Stochastic gradient descent: `SGD(params, lr, momentum=0, nesterov=False, weight_decay=0)`.

    Vanilla (momentum 0), the notes' `x += -lr * dx`.

    Momentum mu, in PyTorch's form (state "momentum_buffer"):

        b = mu * b + dx
        x += -lr * b                         (Nesterov: x += -lr * (dx + mu * b))

    The notes write momentum with the velocity v = -lr * b:
    `v = mu * v - lr * dx; x += v`, and Nesterov momentum in its "lookahead"
    form `v_prev = v; v = mu * v - lr * dx; x += -mu * v_prev + (1 + mu) * v`.
    At a constant lr the two forms are the same update; they differ only when
    lr changes during a run: PyTorch's form applies a new lr at once to the
    whole remembered velocity, the notes' only to the gradients that arrive
    after the change.

    weight_decay lambda adds the L2 regulariser's gradient: dx += lambda * x.
    """

    checks = {"lr": non_negative, "momentum": fraction, "nesterov": boolean,
              "weight_decay": non_negative}

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov,
                                      weight_decay=weight_decay))

    def check_combination(self, group):
        if group["nesterov"] and not group["momentum"] > 0:
            raise ValueError(f"SGD: nesterov=True needs momentum > 0, got momentum={group['momentum']!r}")

    def update(self, x, dx, state, group):
        """b = mu * b + dx; x -= lr * b (or lr * (dx + mu * b) with Nesterov)."""
        mu = group["momentum"]
        if mu:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = dx.copy()      # b = mu * 0 + dx
            else:
                b *= mu
                b += dx
            dx = dx + mu * b if group["nesterov"] else b
        x -= group["lr"] * dx
