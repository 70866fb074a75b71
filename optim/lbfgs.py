"""L-BFGS, the notes' second-order method for full-batch, deterministic problems.

Newton's method would step x -= H^-1 g; L-BFGS never forms the Hessian H but
builds the product H^-1 g from the last few pairs (s = step taken,
y = change of gradient) with the two-loop recursion (Nocedal & Wright,
Numerical Optimization, Algorithm 7.4). The step length comes from a line
search meeting the strong Wolfe conditions (Algorithms 3.5 and 3.6), or is lr.
"""
import math

import numpy as np

from autograd import enable_grad, raw

from .optimizer import Optimizer, non_negative, one_of, positive, positive_int


class LBFGS(Optimizer):
    """L-BFGS: `LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
    tolerance_change=1e-9, history_size=10, line_search=None)`; `step(closure)`.

    The closure re-evaluates the loss: it zeroes the gradients, computes the
    loss, calls backward and returns the loss. One `step(closure)` runs up to
    `max_iter` iterations (up to `max_eval` evaluations, default
    max_iter * 5 // 4), each:

        d = -H g              H: inverse-Hessian estimate from the last
                              history_size pairs (s = t d, y = g_new - g)
        x += t d              t: from the strong Wolfe line search
                              (line_search='strong_wolfe'), else lr (scaled by
                              min(1, 1/|g|_1) on the very first iteration)

    and stops early when max|g| <= tolerance_grad, or when the step or the
    change of loss falls below tolerance_change. Returns the loss at the start.
    The parameters are one vector: one parameter group only. The history is
    the state of the first parameter, as in PyTorch. A pair with
    y.s <= 1e-10 is not remembered (it would make H indefinite).
    """

    checks = {"lr": positive, "max_iter": positive_int, "max_eval": positive_int,
              "tolerance_grad": non_negative, "tolerance_change": non_negative,
              "history_size": positive_int, "line_search": one_of(None, "strong_wolfe")}

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=10, line_search=None):
        if max_eval is None and isinstance(max_iter, int):
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search=line_search))

    def add_param_group(self, param_group):
        """LBFGS takes exactly one group: its history is of the whole parameter vector."""
        if self.param_groups:
            raise ValueError("LBFGS: one parameter group only (its history is of the whole "
                             "parameter vector)")
        super().add_param_group(param_group)

    def load_state_entry(self, p, key, value):
        # the history is of the flat vector of all parameters, not of p
        if value.ndim == 0 and value.dtype.kind in "iu":
            return int(value)
        n = sum(q.size for q in self.params())
        if value.ndim and key != "ro" and value.shape[-1] != n:
            raise ValueError(f"LBFGS.load_state_dict: state '{key}' has shape {value.shape}, "
                             f"but the parameters have {n} elements")
        return np.array(value)

    def step(self, closure):
        """Up to max_iter L-BFGS iterations; returns what the closure
        returned on its first call (the loss before the step)."""
        if not callable(closure):
            raise TypeError("LBFGS.step needs a closure: a function that zeroes the gradients, "
                            "computes the loss, calls backward and returns the loss")
        group = self.param_groups[0]
        lr, history_size = group["lr"], group["history_size"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        vector = _Vector(group["params"])
        state = self.state.setdefault(group["params"][0], {"func_evals": 0, "n_iter": 0})

        def evaluate():
            with enable_grad():
                returned = closure()
            state["func_evals"] += 1
            return returned, vector.grad()

        first_loss, g = evaluate()
        loss, evals = float(first_loss), 1
        if np.abs(g).max() <= tolerance_grad:           # already stationary
            return first_loss
        d, t, H_diag = state.get("d"), state.get("t"), state.get("H_diag")
        S, Y, rho = state.get("old_stps"), state.get("old_dirs"), state.get("ro")
        prev_g = state.get("prev_flat_grad")
        for n_iter in range(1, group["max_iter"] + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, H_diag = -g, 1.0
                S = Y = np.empty((0, g.size), g.dtype)
                rho = np.empty(0, g.dtype)
            else:
                y, s = g - prev_g, t * d
                ys = float(y @ s)
                if ys > 1e-10:
                    S = np.concatenate([S, s[None]])[-history_size:]
                    Y = np.concatenate([Y, y[None]])[-history_size:]
                    rho = np.append(rho, 1 / ys)[-history_size:]
                    H_diag = ys / float(y @ y)      # scales H0 = H_diag I to the latest curvature
                d = two_loop(-g, S, Y, rho, H_diag)
            prev_g, prev_loss = g, loss
            t = lr * min(1.0, 1.0 / float(np.abs(g).sum())) if state["n_iter"] == 1 else lr
            gtd = float(g @ d)
            if gtd > -tolerance_change:                     # not a descent direction
                break
            if group["line_search"] == "strong_wolfe":
                x0 = vector.get()

                def phi(step):
                    vector.set(x0 + step * d)
                    f, grad = evaluate()
                    return float(f), grad, float(grad @ d)

                loss, g, t, used = strong_wolfe(phi, t, loss, g, gtd, float(np.abs(d).max()),
                                                tolerance_change)
                vector.set(x0 + t * d)
            else:
                vector.set(vector.get() + t * d)
                used = 0
                if n_iter != group["max_iter"]:
                    returned, g = evaluate()
                    loss, used = float(returned), 1
            evals += used
            if (n_iter == group["max_iter"] or evals >= group["max_eval"]
                    or np.abs(g).max() <= tolerance_grad
                    or np.abs(t * d).max() <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break
        state.update(d=d, t=t, old_stps=S, old_dirs=Y, ro=rho, H_diag=H_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return first_loss


def two_loop(q, S, Y, rho, H_diag):
    """H q for the L-BFGS inverse-Hessian estimate built from the pairs
    (S[i], Y[i]), rho[i] = 1 / (Y[i] . S[i]), on top of H0 = H_diag * I
    (Nocedal & Wright, Algorithm 7.4). The loops run over the history, not
    over elements."""
    alpha = np.empty(len(rho))
    for i in reversed(range(len(rho))):
        alpha[i] = rho[i] * (S[i] @ q)
        q = q - alpha[i] * Y[i]
    r = H_diag * q
    for i in range(len(rho)):
        beta = rho[i] * (Y[i] @ r)
        r = r + (alpha[i] - beta) * S[i]
    return r


def strong_wolfe(phi, t, f0, g0, gtd0, d_max, tolerance_change=1e-9, c1=1e-4, c2=0.9, max_evals=25):
    """A step length t along d meeting the strong Wolfe conditions

        f(x + t d) <= f(x) + c1 t g.d              (sufficient decrease)
        |g(x + t d).d| <= c2 |g.d|                 (curvature: the slope has flattened)

    Nocedal & Wright, Algorithms 3.5 (bracket a good step) and 3.6 (zoom into
    the bracket), with cubic interpolation. `phi(t)` evaluates (f, g, g.d) at
    x + t d; f0, g0 and gtd0 are f, g and g.d at t = 0 and d_max is max|d|. Returns (f, g, t,
    evaluations) of the accepted step (the best one found if the budget of
    evaluations runs out)."""
    prev = (0.0, f0, g0, gtd0)
    evals = 0
    while True:
        f, g, gtd = phi(t)
        evals += 1
        point = (t, f, g, gtd)
        # `not <=` so that an overflow (f = inf or nan) counts as too far
        if not f <= f0 + c1 * t * gtd0 or (evals > 1 and not f < prev[1]):
            lo, hi = prev, point
            break
        if abs(gtd) <= -c2 * gtd0:
            return f, g, t, evals
        if gtd >= 0:                                       # went past a minimum
            lo, hi = point, prev
            break
        if evals >= max_evals:
            return f, g, t, evals
        # still going down: look further, between just past t and 10 t
        t_next = cubic_minimum(prev, point, t + 0.01 * (t - prev[0]), 10 * t)
        prev, t = point, t_next
    # lo: the lowest f meeting sufficient decrease; a minimum lies between lo and hi
    while evals < max_evals and abs(hi[0] - lo[0]) * d_max >= tolerance_change:
        a, b = sorted((lo[0], hi[0]))
        t = cubic_minimum(lo, hi, a + 0.1 * (b - a), b - 0.1 * (b - a))   # shrink >= 10 %
        f, g, gtd = phi(t)
        evals += 1
        point = (t, f, g, gtd)
        if not f <= f0 + c1 * t * gtd0 or not f < lo[1]:
            hi = point
        else:
            if abs(gtd) <= -c2 * gtd0:
                return f, g, t, evals
            if gtd * (hi[0] - lo[0]) >= 0:
                hi = lo
            lo = point
    t, f, g, _ = lo
    return f, g, t, evals


def cubic_minimum(p1, p2, lo, hi):
    """The minimiser of the cubic through two points (t, f, _, slope) with
    those values and slopes (Nocedal & Wright, eq. 3.59), kept in [lo, hi];
    the middle of [lo, hi] when the cubic has no minimum."""
    (t1, f1, _, s1), (t2, f2, _, s2) = p1, p2
    d1 = s1 + s2 - 3 * (f1 - f2) / (t1 - t2)
    discriminant = d1 * d1 - s1 * s2
    if discriminant >= 0:                                  # False for nan too
        d2 = math.copysign(math.sqrt(discriminant), t2 - t1)
        denominator = s2 - s1 + 2 * d2
        if denominator != 0:
            t = t2 - (t2 - t1) * (s2 + d2 - d1) / denominator
            if math.isfinite(t):
                return min(max(t, lo), hi)
    return (lo + hi) / 2


class _Vector:
    """All parameters seen as one flat vector: L-BFGS works in their joint space."""

    def __init__(self, params):
        self.params = params
        self.dtype = np.result_type(*[p.dtype for p in params])
        self.bounds = np.cumsum([0] + [p.size for p in params]).tolist()

    def get(self):
        return np.concatenate([np.ravel(p.data) for p in self.params]).astype(self.dtype, copy=False)

    def set(self, x):
        for p, lo, hi in zip(self.params, self.bounds, self.bounds[1:]):
            p.copy_(x[lo:hi].reshape(p.shape))              # in place: the array stays the parameter's

    def grad(self):
        return np.concatenate([np.zeros(p.size) if p.grad is None else np.ravel(raw(p.grad))
                               for p in self.params]).astype(self.dtype, copy=False)
