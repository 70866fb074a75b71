"""Learning-rate schedules, saving and resuming (state dicts through .npz), EMA."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optim
from autograd import Value
from optim import lr_scheduler


def lrs(schedule, steps):
    """The lr of group 0 at t = 0, 1, ..., steps - 1."""
    out = [schedule.get_last_lr()[0]]
    for _ in range(steps - 1):
        schedule.step()
        out.append(schedule.get_last_lr()[0])
    return out


def sgd(lr=1.0):
    return optim.SGD([Value(np.ones(2))], lr=lr)


# ---------------------------------------------------------------- schedules
def test_step_lr_sequence():
    opt = sgd(1.0)
    assert lrs(lr_scheduler.StepLR(opt, step_size=3, gamma=0.5), 10) == \
        [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    assert opt.param_groups[0]["lr"] == 0.125                    # the optimizer's lr is set


def test_exponential_lr_sequence():
    assert lrs(lr_scheduler.ExponentialLR(sgd(1.0), gamma=0.5), 6) == [1, 0.5, 0.25, 0.125, 0.0625, 0.03125]
    k = 0.1                                                      # the notes' lr0 e^(-k t)
    got = lrs(lr_scheduler.ExponentialLR(sgd(0.3), gamma=math.exp(-k)), 30)
    np.testing.assert_allclose(got, 0.3 * np.exp(-k * np.arange(30)), rtol=1e-13)


def test_cosine_annealing_lr_sequence():
    """From lr0 down to eta_min over T_max steps along half a cosine (PyTorch's closed form),
    and on up again after T_max."""
    got = lrs(lr_scheduler.CosineAnnealingLR(sgd(0.1), T_max=4), 6)
    np.testing.assert_allclose(got, [0.1, 0.05 + 0.05 / math.sqrt(2), 0.05, 0.05 - 0.05 / math.sqrt(2), 0,
                                     0.05 - 0.05 / math.sqrt(2)], rtol=1e-12, atol=1e-17)
    got = lrs(lr_scheduler.CosineAnnealingLR(sgd(1.0), T_max=2, eta_min=0.2), 3)
    np.testing.assert_allclose(got, [1.0, 0.6, 0.2], rtol=1e-12)


def test_inverse_time_lr_sequence():
    assert lrs(lr_scheduler.InverseTimeLR(sgd(1.0), k=1.0), 5) == [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5]
    np.testing.assert_allclose(lrs(lr_scheduler.InverseTimeLR(sgd(0.5), k=0.25), 20),
                               0.5 / (1 + 0.25 * np.arange(20)), rtol=1e-15)


def test_schedules_scale_each_group_from_its_own_lr():
    a, b = Value(np.ones(2)), Value(np.ones(2))
    opt = optim.SGD([{"params": [a], "lr": 1.0}, {"params": [b], "lr": 0.1}], lr=0.5)
    schedule = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(4):
        schedule.step()
    assert schedule.get_last_lr() == pytest.approx([0.01, 0.001], rel=1e-14)
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.1]


def plateau_lrs(metrics, **settings):
    opt = sgd(1.0)
    schedule = lr_scheduler.ReduceLROnPlateau(opt, **settings)
    out = []
    for metric in metrics:
        schedule.step(metric)
        out.append(opt.param_groups[0]["lr"])
    assert schedule.get_last_lr() == [out[-1]]
    return out


def test_plateau_reduces_after_more_than_patience_bad_epochs():
    # 9.5, 9.2 and 9.1 are not below 10 * (1 - 0.1) = 9: the third of them is
    # the third bad epoch, more than patience=2, and the lr is halved. 8 is an
    # improvement; after it three more bad epochs halve the lr again.
    metrics = [10, 9.5, 9.2, 9.1, 8, 8, 8, 8, 7.9]
    assert plateau_lrs(metrics, factor=0.5, patience=2, threshold=0.1) == \
        [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_plateau_threshold_modes_and_max_mode():
    # abs: an improvement must beat the best by more than 0.5
    assert plateau_lrs([1, 0.6, 0.4, 0.3], factor=0.5, patience=0, threshold=0.5,
                       threshold_mode="abs") == [1, 0.5, 0.5, 0.25]
    # max: accuracy going up is good; 0.9 and 1.0 are not above 0.8 * (1 + 0.5)
    assert plateau_lrs([0.5, 0.8, 0.9, 1.0, 1.6], mode="max", factor=0.5, patience=0,
                       threshold=0.5) == [1, 1, 0.5, 0.25, 0.25]


def test_plateau_cooldown_and_min_lr():
    # patience 0: every bad epoch reduces, except during the 2 epochs of cooldown
    assert plateau_lrs([5, 6, 6, 6, 6, 6, 6], factor=0.5, patience=0, cooldown=2) == \
        [1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert plateau_lrs([5, 6, 6, 6, 6], factor=0.5, patience=0, min_lr=0.3) == \
        [1, 0.5, 0.3, 0.3, 0.3]


def test_plateau_accepts_a_value_as_metric():
    assert plateau_lrs([Value(3.0), Value(np.array([4.0]))], patience=0) == [1, 0.1]


# ---------------------------------------------------------------- saving and resuming
A = np.array([[2.0, 0.5, 1.0], [0.3, 3.0, 1.5]])


def problem(x, y):
    return (A * x ** 2).sum() + ((y - 1.0) ** 2 * (x[0, :2] + 2.0) ** 2).sum() + 0.1 * (x ** 4).sum()


OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, weight_decay=1e-3),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.9),
    "Adam": lambda ps: optim.Adam(ps, lr=0.05, betas=(0.8, 0.99)),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.05),
    "groups": lambda ps: optim.Adam([{"params": ps[:1], "lr": 0.01},
                                     {"params": ps[1:], "betas": (0.5, 0.9)}], lr=0.05),
}
SCHEDULES = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
    "InverseTimeLR": lambda o: lr_scheduler.InverseTimeLR(o, k=0.3),
    "ReduceLROnPlateau": lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5, threshold=0.05),
}


def start():
    return [Value(np.array([[1.0, -1.0, 0.5], [0.2, -0.3, 1.2]])), Value(np.array([0.5, -2.0]))]


def train(params, opt, schedule, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = problem(*params)
        loss.backward()
        opt.step()
        if isinstance(schedule, lr_scheduler.ReduceLROnPlateau):
            schedule.step(loss)
        else:
            schedule.step()


def save(path, state_dict):
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in state_dict.values())
    np.savez(path, **state_dict)
    return np.load(path, allow_pickle=False)                   # loading runs no code


@pytest.mark.parametrize("schedule_name", SCHEDULES)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_resuming_from_npz_continues_exactly(tmp_path, name, schedule_name):
    make, make_schedule = OPTIMIZERS[name], SCHEDULES[schedule_name]
    params = start()
    opt = make(params)
    schedule = make_schedule(opt)
    train(params, opt, schedule, 10)
    saved = [p.data.copy() for p in params]
    opt_file = save(tmp_path / "opt.npz", opt.state_dict())
    schedule_file = save(tmp_path / "schedule.npz", schedule.state_dict())
    train(params, opt, schedule, 15)                           # the uninterrupted run

    resumed = start()
    for p, data in zip(resumed, saved):
        p.data = data.copy()
    opt2 = make(resumed)
    schedule2 = make_schedule(opt2)
    opt2.load_state_dict(opt_file)
    schedule2.load_state_dict(schedule_file)
    train(resumed, opt2, schedule2, 15)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)
    assert schedule2.get_last_lr() == schedule.get_last_lr()
    assert not np.array_equal(saved[0], params[0].data)


def test_lbfgs_resumes_from_npz_exactly(tmp_path):
    def run(x, opt, calls):
        def closure():
            opt.zero_grad()
            loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
            loss.backward()
            return loss
        for _ in range(calls):
            opt.step(closure)

    make = lambda x: optim.LBFGS([x], max_iter=3, history_size=4, line_search="strong_wolfe")
    x = Value(np.array([-1.2, 1.0]))
    opt = make(x)
    run(x, opt, 4)
    saved, state_file = x.data.copy(), save(tmp_path / "lbfgs.npz", opt.state_dict())
    run(x, opt, 4)
    y = Value(saved)
    opt2 = make(y)
    opt2.load_state_dict(state_file)
    run(y, opt2, 4)
    np.testing.assert_array_equal(x.data, y.data)
    assert opt2.state[y]["func_evals"] == opt.state[x]["func_evals"]


def test_state_dict_is_a_flat_snapshot():
    x = Value(np.ones(3))
    opt = optim.SGD([x], lr=0.1, momentum=0.9)
    (x * x).sum().backward()
    opt.step()
    sd = opt.state_dict()
    assert sorted(sd) == ["groups/0/lr", "groups/0/momentum", "groups/0/nesterov", "groups/0/params",
                          "groups/0/weight_decay", "optimizer", "state/0/momentum_buffer"]
    assert str(sd["optimizer"]) == "SGD"
    np.testing.assert_array_equal(sd["state/0/momentum_buffer"], 2 * np.ones(3))
    opt.step()                                                  # later steps do not change the snapshot
    np.testing.assert_array_equal(sd["state/0/momentum_buffer"], 2 * np.ones(3))


def test_load_state_dict_restores_hyperparameters():
    opt = optim.Adam([Value(np.ones(2))], lr=0.5, betas=(0.5, 0.6))
    other = optim.Adam([Value(np.ones(2))])
    other.load_state_dict(opt.state_dict())
    assert other.param_groups[0]["lr"] == 0.5 and other.param_groups[0]["betas"] == (0.5, 0.6)


def test_load_state_dict_rejects_what_does_not_fit():
    x = Value(np.ones(3))
    opt = optim.SGD([x], lr=0.1, momentum=0.9)
    (x * x).sum().backward()
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="shape"):
        optim.SGD([Value(np.ones(4))], lr=0.1, momentum=0.9).load_state_dict(sd)
    with pytest.raises(ValueError, match="groups"):
        optim.SGD([{"params": [Value(np.ones(3))]}, {"params": [Value(1.0)]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="2 parameters"):
        optim.SGD([Value(np.ones(3)), Value(1.0)], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="unexpected key 'momentum'"):
        optim.SGD([Value(np.ones(3))], lr=0.1).load_state_dict({**sd, "momentum": np.array(0.5)})
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optim.SGD([Value(np.ones(3))], lr=0.1).load_state_dict({**sd, "groups/0/lr": np.array(-1.0)})
    with pytest.raises(ValueError, match="unexpected key 'step_size'"):
        lr_scheduler.ExponentialLR(opt, gamma=0.9).load_state_dict({"gamma": np.array(0.5), "step_size": np.array(3)})


def test_state_dict_refuses_what_needs_pickling():
    opt = optim.SGD([Value(np.ones(3))], lr=0.1)
    opt.param_groups[0]["note"] = {"a": 1}
    with pytest.raises(TypeError, match="groups/0/note"):
        opt.state_dict()


# ---------------------------------------------------------------- EMA
@settings(max_examples=20)
@given(st.floats(0.0, 0.999), st.integers(1, 30))
def test_ema_is_the_notes_running_average(decay, steps):
    x = Value(np.array([1.0, -2.0, 3.0]))
    s = Value(0.5)                                               # a Python-float parameter too
    ema = optim.EMA([x, s], decay=decay)
    opt = optim.SGD([x, s], lr=0.1)
    x_test, s_test = x.data.copy(), s.data
    for _ in range(steps):
        opt.zero_grad()
        ((x - 1.0) ** 2).sum().backward()
        ((s + 1.0) ** 2).backward()
        opt.step()
        ema.update()
        x_test = decay * x_test + (1 - decay) * x.data          # the notes' x_test update
        s_test = decay * s_test + (1 - decay) * s.data
    with ema.average():
        np.testing.assert_allclose(x.data, x_test, rtol=1e-12)
        assert s.data == pytest.approx(s_test, rel=1e-12) and type(s.data) is float


def test_ema_average_restores_the_parameters_even_on_error():
    data = np.array([1.0, 2.0], dtype=np.float32)
    x = Value(data)
    ema = optim.EMA(iter([x]), decay=0.5)
    x.data += 2.0                                               # as an optimizer step would
    ema.update()
    with pytest.raises(KeyError), ema.average():
        np.testing.assert_array_equal(x.data, [2.0, 3.0])        # (1+3)/2, (2+4)/2
        assert x.data.dtype == np.float32
        with pytest.raises(RuntimeError, match="swap"):
            ema.update()
        raise KeyError("evaluation failed")
    assert x.data is data and not ema.swapped
    np.testing.assert_array_equal(x.data, [3.0, 4.0])


def test_ema_swap_exchanges_and_swaps_back():
    x = Value(np.array([4.0]))
    ema = optim.EMA([x], decay=0.75)
    x.data[:] = 0.0
    ema.update()                                                # 0.75 * 4 + 0.25 * 0
    ema.swap()
    np.testing.assert_array_equal(x.data, [3.0])
    ema.swap()
    np.testing.assert_array_equal(x.data, [0.0])


def test_ema_state_dict_round_trip(tmp_path):
    x = Value(np.array([4.0, 2.0]))
    ema = optim.EMA([x], decay=0.9)
    x.data[:] = 0.0
    ema.update()
    loaded = save(tmp_path / "ema.npz", ema.state_dict())
    y = Value(np.zeros(2))
    ema2 = optim.EMA([y], decay=0.5)
    ema2.load_state_dict(loaded)
    assert ema2.decay == 0.9
    with ema2.average():
        np.testing.assert_allclose(y.data, [3.6, 1.8])
    with pytest.raises(ValueError, match="shape"):
        optim.EMA([Value(np.zeros(3))]).load_state_dict(loaded)
