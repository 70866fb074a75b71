"""Optimizer: what every update rule shares.

Parameter groups (PyTorch's `param_groups`: a list of dicts, each with its
parameters and its own lr and hyperparameters), per-parameter state, the loop
of `step()` over the parameters, weight decay, `zero_grad()` and
`state_dict()` / `load_state_dict()`. A rule only writes `update(x, dx, state,
group)`: how one parameter array `x` moves given its gradient `dx`.

Updates work on the raw numpy arrays (`p.data`, `p.grad`), in place: they
build no graph, and a parameter keeps its array, so whatever else holds it
(a module, a test) sees the new values (`Value.copy_` writes them back).
"""
import numpy as np

from autograd import Value, checks, enable_grad, raw

from . import flat


class Optimizer:
    """Base class of the update rules: `Optimizer(params, defaults)`.

    `params` is an iterable of Values (a list, or a generator such as
    `model.parameters()`), or an iterable of dicts, one per parameter group:
    `{"params": [...], "lr": 0.1}`; a group's missing hyperparameters come
    from `defaults`. `state[p]` is the dict a rule keeps for parameter `p`
    (a momentum buffer, a step count).

    Subclasses set `checks` (hyperparameter name -> validator) and implement
    `update(x, dx, state, group)`. Weight decay is applied here, before the
    rule, as L2 regularisation added to the gradient
    (`dx += weight_decay * x`), or, for a rule with
    `decoupled_weight_decay = True` (AdamW), as `x *= 1 - lr * weight_decay`.
    """

    checks = {}                        # hyperparameter name -> check(owner, name, value)
    decoupled_weight_decay = False

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}                # Value -> dict (Values hash by identity)
        self.param_groups = []
        for group in _as_groups(params, type(self).__name__):
            self.add_param_group(group)

    # ------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a group `{"params": [...], hyperparameter: value, ...}`; the
        hyperparameters it leaves out take the optimizer's defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{name}: a parameter group is a dict with a 'params' entry, "
                            f"got {param_group!r:.80}")
        where = f"param group {len(self.param_groups)}"
        group = {**self.defaults, **param_group}
        params = group["params"]
        try:
            group["params"] = value_list([params] if isinstance(params, Value) else params, name)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{e} ({where})") from None
        self.check(group, where)
        seen = {p for g in self.param_groups for p in g["params"]}
        if any(p in seen for p in group["params"]):
            raise ValueError(f"{name}: {where} has a parameter that is already in another group")
        self.param_groups.append(group)

    def check(self, group, where="param group 0"):
        """Validate a group's hyperparameters (the class's `checks`); the error
        names the optimizer, the argument, its value and the group."""
        name = type(self).__name__
        try:
            for key, check in self.checks.items():
                check(name, key, group[key])
            self.check_combination(group)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{e} ({where})") from None

    def check_combination(self, group):
        """Checks that involve more than one hyperparameter (override)."""

    # ------------------------------------------------------------ the update
    def step(self, closure=None):
        """One update of every parameter that has a gradient (`.grad` None:
        skipped). `closure`, if given, re-evaluates the loss and calls
        backward first; its loss is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        name = type(self).__name__
        for i, p in enumerate(self.params()):           # every gradient fits before anything moves
            if p.grad is not None and np.shape(raw(p.grad)) != p.shape:
                raise ValueError(f"{name}.step: parameter {i} {_named(p)}has shape {p.shape} but its "
                                 f"gradient {np.shape(raw(p.grad))}; nothing was updated")
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                # x: the parameter's own array, updated in place (a 0-d copy for a
                # scalar); dx: a copy of the gradient, which a rule may change in place
                x = np.asarray(p.data)
                dx = np.array(raw(p.grad), dtype=x.dtype)
                decay = group.get("weight_decay", 0)
                if decay and self.decoupled_weight_decay:
                    x *= 1 - group["lr"] * decay
                elif decay:
                    dx += decay * x
                self.update(x, dx, self.state.setdefault(p, {}), group)
                p.copy_(x)                  # nothing to do for an array updated in place
        return loss

    def update(self, x, dx, state, group):
        """Move the parameter array `x` in place, given its gradient `dx`, the
        parameter's `state` dict and its `group`'s hyperparameters (override)."""
        raise NotImplementedError

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: `.grad = None` (or zeros with
        `set_to_none=False`)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad(set_to_none)

    # ------------------------------------------------------------ saving
    def params(self):
        """All parameters, group after group: position i is the `i` of the
        state dict's "state/i/..." keys."""
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """The optimizer as a flat dict of numpy arrays, for `np.savez`:

            "optimizer"          its class name (a state dict loads into the same rule only)
            "groups/<g>/params"  the positions of group g's parameters
            "groups/<g>/<name>"  group g's hyperparameter <name> (lr, momentum, ...)
            "state/<i>/<name>"   state <name> of parameter i (momentum_buffer, step, ...)

        Arrays are copies. Load with `np.load(path, allow_pickle=False)`."""
        position = {p: i for i, p in enumerate(self.params())}
        out = {"optimizer": np.array(type(self).__name__)}
        for g, group in enumerate(self.param_groups):
            out[f"groups/{g}/params"] = np.array([position[p] for p in group["params"]], dtype=np.int64)
            for key, value in group.items():
                if key != "params":
                    out[f"groups/{g}/{key}"] = flat.encode(value, f"groups/{g}/{key}")
        for p, state in self.state.items():
            for key, value in state.items():
                out[f"state/{position[p]}/{key}"] = flat.encode(value, f"state/{position[p]}/{key}")
        return out

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state saved by `state_dict()` (a dict or
        the result of `np.load`). The optimizer must be of the same kind, with
        the same groups of parameters of the same shapes; everything is checked
        before anything changes. Its own Values are kept, and so are
        hyperparameters the state dict does not mention."""
        self.param_groups[:], self.state = self.check_state_dict(state_dict)

    def check_state_dict(self, state_dict):
        """Check that `state_dict` fits this optimizer, changing nothing; returns
        the (param_groups, state) that load_state_dict would install."""
        name = type(self).__name__
        state_dict = dict(state_dict)
        kind = str(state_dict.pop("optimizer", "")) or "an unnamed optimizer"
        if kind != name:
            raise ValueError(f"{name}.load_state_dict: the state dict is {kind}'s, not {name}'s: "
                             f"an optimizer's state only loads into the same update rule")
        saved = flat.split(state_dict, ("groups", "state"), name)
        if len(saved["groups"]) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved['groups'])} "
                             f"parameter groups, this optimizer {len(self.param_groups)}")
        params = self.params()
        position = {p: i for i, p in enumerate(params)}
        groups = []
        for g, group in enumerate(self.param_groups):
            entries = saved["groups"].get(str(g), {})
            positions = entries.pop("params", None)
            if positions is None or positions.tolist() != [position[p] for p in group["params"]]:
                raise ValueError(f"{name}.load_state_dict: parameter group {g} holds "
                                 f"{len(group['params'])} parameters, the state dict's "
                                 f"{'none' if positions is None else len(positions)}")
            # saved hyperparameters replace the current ones; one the file
            # lacks (an "initial_lr" of a schedule attached later) is kept
            new = {**group, **{key: flat.decode(value) for key, value in entries.items()}}
            self.check(new, f"param group {g} of the state dict")
            groups.append(new)
        state = {}
        for i, entries in saved["state"].items():
            if not i.isdigit() or int(i) >= len(params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, but the "
                                 f"optimizer has {len(params)} parameters")
            p = params[int(i)]
            state[p] = {key: self.load_state_entry(p, key, value) for key, value in entries.items()}
        return groups, state

    def load_state_entry(self, p, key, value):
        """A saved state entry as the rule uses it: integer scalars (step
        counts) as ints, arrays as copies in the parameter's dtype and shape."""
        if value.ndim == 0 and value.dtype.kind in "iu":
            return int(value)
        if value.shape != p.shape:
            raise ValueError(f"{type(self).__name__}.load_state_dict: state '{key}' has shape "
                             f"{value.shape}, its parameter {p.shape}")
        return np.array(value, dtype=p.dtype)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for g, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v!r}" for k, v in group.items() if k != "params")
            lines.append(f"  group {g}: {len(group['params'])} parameters, {settings}")
        return "\n".join(lines + [")"])


# ---------------------------------------------------------------- parameters
def _named(p):
    return f"({p.label!r}) " if p.label else ""


def value_list(params, owner):
    """`params` (an iterable of Values, consumed once) as a non-empty list of
    leaf Values; a clear error otherwise."""
    params = _listed(params, owner, Value, "Values")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"{owner}: params[{i}] is a {type(p).__name__}, not a Value")
        if not p.is_leaf:
            raise ValueError(f"{owner}: params[{i}] is the output of a '{p.op}' gate, not a leaf: "
                             f"only leaves (inputs, parameters) can be optimised")
    if len(set(params)) != len(params):
        raise ValueError(f"{owner}: a parameter appears more than once in params")
    return params


def _as_groups(params, owner):
    """An optimizer's `params`, Values or parameter-group dicts, as a list of groups."""
    params = _listed(params, owner, (Value, dict), "Values or of parameter-group dicts")
    if all(isinstance(p, dict) for p in params):
        return params
    if any(isinstance(p, dict) for p in params):
        raise TypeError(f"{owner}: params mixes Values and parameter-group dicts")
    return [{"params": params}]


def _listed(params, owner, single, items):
    # `params` as a non-empty list. An instance of `single` is one item, which
    # list() would take apart (an array Value) or turn into its keys (a dict).
    if isinstance(params, single):
        raise TypeError(f"{owner}: params must be an iterable of {items}; "
                        f"got a single {type(params).__name__}, pass [it]")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{owner}: params must be an iterable of {items}, "
                        f"got {type(params).__name__}") from None
    if not params:
        raise ValueError(f"{owner}: got an empty parameter list")
    return params


# ---------------------------------------------------------------- hyperparameter checks
# autograd.checks' convention, as in nn: a wrong type is a TypeError, a wrong
# value a ValueError, naming the optimizer (or schedule) and the argument. Each
# takes (owner, name, value).
def non_negative(owner, name, value):
    """value >= 0."""
    return checks.number(owner, name, value, minimum=0)


def positive(owner, name, value):
    """value > 0."""
    return checks.number(owner, name, value, above=0)


def fraction(owner, name, value):
    """0 <= value < 1 (a decay rate: 1 would never forget)."""
    return checks.number(owner, name, value, minimum=0, below=1)


def fractions(owner, name, value):
    """A pair of decay rates, each in [0, 1)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{owner}: {name} must be a pair (beta1, beta2), got {value!r}")
    return tuple(fraction(owner, f"{name}[{i}]", v) for i, v in enumerate(value))


def boolean(owner, name, value):
    """True or False."""
    return checks.boolean(owner, name, value)


def positive_int(owner, name, value):
    """An integer >= 1."""
    return checks.integer(owner, name, value, minimum=1)


def one_of(*choices):
    """A check accepting exactly the given choices."""
    return lambda owner, name, value: checks.choice(owner, name, value, choices)
