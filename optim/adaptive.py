"""The per-parameter adaptive rules of the notes: Adagrad, RMSprop, Adam, AdamW.

The notes build them one on the other: RMSprop is Adagrad with a leaky
cache, Adam is RMSprop with momentum (a running mean of the gradient) and
bias correction. So they are one rule, `Adaptive.update`, and each optimizer
only says which moments it keeps:

    m = beta1 * m + (1 - beta1) * dx        first moment (without one: m = dx)
    v = rho * v + kappa * dx**2             second moment, the "cache"
    x += -lr * m_hat / (sqrt(v_hat) + eps)  m_hat = m / (1 - beta1**t),
                                            v_hat = v / (1 - rho**t) with bias
                                            correction (Adam), else m, v

             beta1   rho     kappa
    Adagrad  -       1       1              cache += dx**2
    RMSprop  -       alpha   1 - alpha      cache = alpha*cache + (1-alpha)*dx**2
    Adam     beta1   beta2   1 - beta2
"""
import math

import numpy as np

from .optimizer import Optimizer, fraction, fractions, non_negative


class Adaptive(Optimizer):
    """Base of Adagrad, RMSprop, Adam and AdamW: the update

        m = beta1 * m + (1 - beta1) * dx;  v = rho * v + kappa * dx**2
        x += -lr * m_hat / (sqrt(v_hat) + eps)

    with `(beta1, rho, kappa) = self.moments(group)` (beta1 None: no first
    moment, m = dx) and bias correction when `bias_correction` is set.
    The state holds "step", the second moment under `second_moment_name`
    (PyTorch's name for it) and "exp_avg" for the first.
    """

    bias_correction = False
    second_moment_name = "square_avg"

    def moments(self, group):
        """(beta1 or None, rho, kappa) of the rule for this group (override)."""
        raise NotImplementedError

    def update(self, x, dx, state, group):
        """The shared update; see the class docstring."""
        beta1, rho, kappa = self.moments(group)
        if not state:
            state["step"] = 0
            if beta1 is not None:
                state["exp_avg"] = np.zeros_like(x)
            state[self.second_moment_name] = np.zeros_like(x)
        state["step"] += 1
        t = state["step"]
        v = state[self.second_moment_name]
        v *= rho
        v += kappa * np.square(dx)
        m = dx
        if beta1 is not None:
            m = state["exp_avg"]
            m *= beta1
            m += (1 - beta1) * dx
        lr = group["lr"]
        denominator = np.asarray(np.sqrt(v))          # (an array also for a 0-d parameter)
        if self.bias_correction:
            # early on m and v are biased toward their zero start: m_hat =
            # m / (1 - beta1^t), v_hat = v / (1 - rho^t), applied as scalars
            lr = lr / (1 - beta1 ** t)
            denominator /= math.sqrt(1 - rho ** t)
        denominator += group["eps"]
        # x -= lr * m / denominator, computed in the denominator's array: the
        # rule runs on every parameter each step, temporaries cost time
        np.divide(m, denominator, out=denominator)
        denominator *= lr
        x -= denominator


class Adagrad(Adaptive):
    """Adagrad: `Adagrad(params, lr=0.01, eps=1e-10, weight_decay=0)`.

        cache += dx**2
        x += -lr * dx / (sqrt(cache) + eps)

    State "sum" (the cache) and "step". weight_decay adds lambda * x to dx.
    """

    checks = {"lr": non_negative, "eps": non_negative, "weight_decay": non_negative}
    second_moment_name = "sum"

    def __init__(self, params, lr=0.01, eps=1e-10, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, eps=eps, weight_decay=weight_decay))

    def moments(self, group):
        return None, 1.0, 1.0


class RMSprop(Adaptive):
    """RMSprop: `RMSprop(params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0)`.

        cache = alpha * cache + (1 - alpha) * dx**2
        x += -lr * dx / (sqrt(cache) + eps)

    alpha is the notes' decay_rate. State "square_avg" (the cache) and "step".
    weight_decay adds lambda * x to dx.
    """

    checks = {"lr": non_negative, "alpha": fraction, "eps": non_negative,
              "weight_decay": non_negative}

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    def moments(self, group):
        return None, group["alpha"], 1 - group["alpha"]


class Adam(Adaptive):
    """Adam: `Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)`.

        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * dx**2
        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)
        x += -lr * m_hat / (sqrt(v_hat) + eps)

    t counts the steps from 1. State "exp_avg" (m), "exp_avg_sq" (v), "step".
    weight_decay adds lambda * x to dx (L2 regularisation; see AdamW).
    """

    checks = {"lr": non_negative, "betas": fractions, "eps": non_negative,
              "weight_decay": non_negative}
    bias_correction = True
    second_moment_name = "exp_avg_sq"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def moments(self, group):
        beta1, beta2 = group["betas"]
        return beta1, beta2, 1 - beta2


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay,
    `AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)`.

        x *= 1 - lr * weight_decay                (before the Adam step)
        x += -lr * m_hat / (sqrt(v_hat) + eps)    (Adam, on the plain gradient)

    Decoupled: the decay does not pass through m and v, so every weight decays
    at the same rate whatever the size of its gradients (Loshchilov & Hutter).
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
