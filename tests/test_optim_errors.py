"""Bad input gets a clear exception naming the argument and its value."""
import re

import numpy as np
import pytest

import optim
from autograd import Value
from optim import lr_scheduler


def p():
    return Value(np.ones(3))


def sgd():
    return optim.SGD([p()], lr=0.1)


def adam_groups():
    return optim.Adam([{"params": [p()]}, {"params": [p()], "lr": -1.0}])


def shared_parameter():
    x = p()
    return optim.SGD([{"params": [x]}, {"params": [x, p()]}], lr=0.1)


def lbfgs_two_groups():
    return optim.LBFGS([{"params": [p()]}, {"params": [p()]}])


def non_leaf():
    x = p()
    return optim.SGD([x, x * 2], lr=0.1)


CASES = {
    "negative lr": (lambda: optim.SGD([p()], lr=-0.1), ValueError, "SGD: lr must be >= 0, got -0.1"),
    "lr not a number": (lambda: optim.Adam([p()], lr="0.1"), TypeError, "Adam: lr must be a number, got str '0.1'"),
    "lr nan": (lambda: optim.SGD([p()], lr=float("nan")), ValueError, "lr must be >= 0, got nan"),
    "momentum 1": (lambda: optim.SGD([p()], lr=0.1, momentum=1.0), ValueError,
                   "SGD: momentum must be in [0, 1), got 1.0"),
    "momentum negative": (lambda: optim.SGD([p()], lr=0.1, momentum=-0.5), ValueError,
                          "momentum must be in [0, 1), got -0.5"),
    "nesterov without momentum": (lambda: optim.SGD([p()], lr=0.1, nesterov=True), ValueError,
                                  "SGD: nesterov=True needs momentum > 0, got momentum=0.0"),
    "nesterov not a bool": (lambda: optim.SGD([p()], lr=0.1, momentum=0.9, nesterov="yes"), TypeError,
                            "nesterov must be True or False, got 'yes'"),
    "beta2 1": (lambda: optim.Adam([p()], betas=(0.9, 1.0)), ValueError,
                "Adam: betas[1] must be in [0, 1), got 1.0"),
    "beta1 negative": (lambda: optim.AdamW([p()], betas=(-0.1, 0.999)), ValueError,
                       "AdamW: betas[0] must be in [0, 1), got -0.1"),
    "betas not a pair": (lambda: optim.Adam([p()], betas=0.9), TypeError,
                         "betas must be a pair (beta1, beta2), got 0.9"),
    "alpha 1": (lambda: optim.RMSprop([p()], alpha=1.0), ValueError, "RMSprop: alpha must be in [0, 1), got 1.0"),
    "negative eps": (lambda: optim.Adagrad([p()], eps=-1e-10), ValueError, "Adagrad: eps must be >= 0, got -1e-10"),
    "negative weight decay": (lambda: optim.AdamW([p()], weight_decay=-0.01), ValueError,
                              "AdamW: weight_decay must be >= 0, got -0.01"),
    "empty list": (lambda: optim.SGD([], lr=0.1), ValueError, "SGD: got an empty parameter list"),
    "empty generator": (lambda: optim.Adam(v for v in []), ValueError, "Adam: got an empty parameter list"),
    "not a Value": (lambda: optim.SGD([p(), np.ones(3)], lr=0.1), TypeError,
                    "SGD: params[1] is a ndarray, not a Value"),
    "a single Value": (lambda: optim.SGD(p(), lr=0.1), TypeError, "got a single Value, pass [it]"),
    "not iterable": (lambda: optim.SGD(3.0, lr=0.1), TypeError,
                     "params must be an iterable of Values or of parameter-group dicts, got float"),
    "non-leaf": (non_leaf, ValueError, "params[1] is the output of a 'mul' gate, not a leaf"),
    "repeated parameter": (lambda: optim.SGD([p()] * 2, lr=0.1), ValueError,
                           "a parameter appears more than once"),
    "group with bad lr": (adam_groups, ValueError, "Adam: lr must be >= 0, got -1.0 (param group 1)"),
    "group without params": (lambda: optim.SGD([{"lr": 0.1}], lr=0.1), TypeError, "a 'params' entry"),
    "parameter in two groups": (shared_parameter, ValueError,
                                "param group 1 has a parameter that is already in another group"),
    "mixed groups and Values": (lambda: optim.SGD([p(), {"params": [p()]}], lr=0.1), TypeError,
                                "params mixes Values and parameter-group dicts"),
    "LBFGS line search": (lambda: optim.LBFGS([p()], line_search="wolfe"), ValueError,
                          "LBFGS: line_search must be one of None, 'strong_wolfe', got 'wolfe'"),
    "LBFGS history": (lambda: optim.LBFGS([p()], history_size=0), ValueError,
                      "history_size must be an integer >= 1, got 0"),
    "LBFGS groups": (lbfgs_two_groups, ValueError, "LBFGS: one parameter group only"),
    "LBFGS without closure": (lambda: optim.LBFGS([p()]).step(), TypeError, "missing 1 required positional"),
    "LBFGS closure not callable": (lambda: optim.LBFGS([p()]).step(1.0), TypeError,
                                   "LBFGS.step needs a closure"),
    "StepLR step_size": (lambda: lr_scheduler.StepLR(sgd(), step_size=0), ValueError,
                         "StepLR: step_size must be an integer >= 1, got 0"),
    "ExponentialLR gamma": (lambda: lr_scheduler.ExponentialLR(sgd(), gamma=-0.5), ValueError,
                            "ExponentialLR: gamma must be > 0, got -0.5"),
    "CosineAnnealingLR T_max": (lambda: lr_scheduler.CosineAnnealingLR(sgd(), T_max=0), ValueError,
                                "CosineAnnealingLR: T_max must be an integer >= 1, got 0"),
    "CosineAnnealingLR eta_min": (lambda: lr_scheduler.CosineAnnealingLR(sgd(), T_max=3, eta_min=-1), ValueError,
                                  "CosineAnnealingLR: eta_min must be >= 0, got -1"),
    "InverseTimeLR k": (lambda: lr_scheduler.InverseTimeLR(sgd(), k=-1), ValueError,
                        "InverseTimeLR: k must be >= 0, got -1"),
    "schedule without optimizer": (lambda: lr_scheduler.StepLR([p()], step_size=2), TypeError,
                                   "StepLR: optimizer must be an optim.Optimizer, got list"),
    "plateau factor": (lambda: lr_scheduler.ReduceLROnPlateau(sgd(), factor=1.0), ValueError,
                       "ReduceLROnPlateau: factor must be in [0, 1), got 1.0"),
    "plateau mode": (lambda: lr_scheduler.ReduceLROnPlateau(sgd(), mode="mean"), ValueError,
                     "ReduceLROnPlateau: mode must be one of 'min', 'max', got 'mean'"),
    "plateau patience": (lambda: lr_scheduler.ReduceLROnPlateau(sgd(), patience=-1), ValueError,
                         "patience must be an integer >= 0, got -1"),
    "plateau min_lr": (lambda: lr_scheduler.ReduceLROnPlateau(sgd(), min_lr=[0.1, 0.2]), ValueError,
                       "min_lr has 2 entries, the optimizer 1 parameter groups"),
    "EMA decay": (lambda: optim.EMA([p()], decay=1.5), ValueError, "EMA: decay must be in [0, 1), got 1.5"),
    "EMA empty": (lambda: optim.EMA([]), ValueError, "EMA: got an empty parameter list"),
    "EMA not a Value": (lambda: optim.EMA([1.0]), TypeError, "EMA: params[0] is a float, not a Value"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_refused_clearly(name):
    make, error, message = CASES[name]
    with pytest.raises(error, match=re.escape(message)):
        make()


def test_a_group_added_later_is_checked_too():
    opt = optim.SGD([p()], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=re.escape("momentum must be in [0, 1), got 2 (param group 1)")):
        opt.add_param_group({"params": [p()], "momentum": 2})
    assert len(opt.param_groups) == 1
