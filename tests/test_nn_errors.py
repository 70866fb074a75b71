"""Bad input gets a clear exception naming the operation and the shapes or
values involved, at the call that caused it."""
import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Value
from autograd.testing import assert_reports


def A(*shape):
    return np.ones(shape, np.float32)


CATALOGUE = [
    # (what, call, exception, fragments the message must contain)
    ("linear sizes", lambda: F.linear(A(2, 3), A(4, 5)), ValueError, ["linear", "(2, 3)", "(4, 5)"]),
    ("linear bias", lambda: F.linear(A(2, 3), A(4, 3), A(5)), ValueError, ["linear", "bias", "(4,)", "(5,)"]),
    ("Linear layer input", lambda: nn.Linear(3, 2)(A(4, 5)), ValueError, ["linear", "(4, 5)", "(2, 3)"]),
    ("conv2d 3-D input", lambda: F.conv2d(A(3, 8, 8), A(4, 3, 3, 3)), ValueError, ["conv2d", "4-D", "(3, 8, 8)"]),
    ("conv2d channels", lambda: F.conv2d(A(1, 3, 8, 8), A(4, 2, 3, 3)), ValueError,
     ["conv2d", "3 channels", "(4, 2, 3, 3)", "expects 2"]),
    ("conv2d kernel too big", lambda: F.conv2d(A(1, 1, 2, 2), A(1, 1, 3, 3)), ValueError,
     ["conv2d", "3x3", "(1, 1, 2, 2)"]),
    ("conv2d dilated kernel too big", lambda: F.conv2d(A(1, 1, 4, 4), A(1, 1, 3, 3), dilation=2), ValueError,
     ["conv2d", "5x5", "dilation (2, 2)"]),
    ("conv2d bad padding word", lambda: F.conv2d(A(1, 1, 4, 4), A(1, 1, 3, 3), padding="full"), ValueError,
     ["conv2d", "'full'"]),
    ("conv2d same with stride", lambda: F.conv2d(A(1, 1, 4, 4), A(1, 1, 3, 3), stride=2, padding="same"),
     ValueError, ["conv2d", "'same'", "stride"]),
    ("conv2d float stride", lambda: F.conv2d(A(1, 1, 4, 4), A(1, 1, 3, 3), stride=1.5), TypeError,
     ["conv2d", "stride", "1.5"]),
    ("conv2d zero stride", lambda: F.conv2d(A(1, 1, 4, 4), A(1, 1, 3, 3), stride=0), ValueError,
     ["conv2d", "stride", ">= 1"]),
    ("conv2d negative padding", lambda: F.conv2d(A(1, 1, 4, 4), A(1, 1, 3, 3), padding=-1), ValueError,
     ["conv2d", "padding", ">= 0"]),
    ("conv2d groups", lambda: F.conv2d(A(1, 2, 4, 4), A(2, 1, 3, 3), groups=3), ValueError,
     ["conv2d", "groups=3", "2 channels"]),
    ("conv2d grouped channels", lambda: F.conv2d(A(1, 4, 4, 4), A(2, 1, 3, 3), groups=2), ValueError,
     ["conv2d", "4 channels", "expects 2", "2 groups of 1"]),
    ("Conv2d groups", lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, ["Conv2d", "groups=4", "out_channels=6"]),
    ("conv2d bias", lambda: F.conv2d(A(1, 1, 4, 4), A(2, 1, 3, 3), A(3)), ValueError, ["conv2d", "bias", "(2,)"]),
    ("Conv2d same stride at construction", lambda: nn.Conv2d(1, 1, 3, stride=2, padding="same"), ValueError,
     ["Conv2d", "'same'", "stride"]),
    ("Conv2d channels", lambda: nn.Conv2d(0, 1, 3), ValueError, ["Conv2d", "in_channels", ">= 1"]),
    ("conv_transpose2d channels", lambda: F.conv_transpose2d(A(1, 3, 4, 4), A(2, 1, 3, 3)), ValueError,
     ["conv_transpose2d", "3 channels", "(2, 1, 3, 3)"]),
    ("conv_transpose2d output_padding", lambda: F.conv_transpose2d(A(1, 1, 4, 4), A(1, 1, 3, 3), stride=2,
                                                                   output_padding=2), ValueError,
     ["conv_transpose2d", "output_padding (2, 2)", "stride (2, 2)"]),
    ("max_pool2d padding", lambda: F.max_pool2d(A(1, 1, 4, 4), 2, padding=2), ValueError,
     ["max_pool2d", "padding (2, 2)", "half the kernel (2, 2)"]),
    ("max_pool2d window too big", lambda: F.max_pool2d(A(1, 1, 2, 2), 3), ValueError,
     ["max_pool2d", "3x3", "(1, 1, 2, 2)"]),
    ("avg_pool2d 2-D input", lambda: F.avg_pool2d(A(4, 4), 2), ValueError, ["avg_pool2d", "4-D", "(4, 4)"]),
    ("batch_norm statistics size", lambda: F.batch_norm(A(4, 3), A(2), A(3)), ValueError,
     ["batch_norm", "running_mean", "(3,)", "(2,)"]),
    ("batch_norm 1-D", lambda: F.batch_norm(A(4), None, None, training=True), ValueError, ["batch_norm", "(4,)"]),
    ("BatchNorm momentum", lambda: nn.BatchNorm1d(3, momentum=None), TypeError, ["BatchNorm1d", "momentum"]),
    ("dropout p", lambda: F.dropout(A(3), 1.5), ValueError, ["dropout", "1.5"]),
    ("Dropout p", lambda: nn.Dropout(-0.1), ValueError, ["Dropout", "-0.1"]),
    ("prelu weight", lambda: F.prelu(A(2, 3), A(2)), ValueError, ["prelu", "(1,) or (3,)", "(2,)"]),
    ("softmax dim", lambda: F.softmax(A(2, 3), 2), ValueError, ["softmax", "dim 2", "(2, 3)"]),
    ("log_softmax dim", lambda: F.log_softmax(A(2, 3), -3), ValueError, ["log_softmax", "dim -3"]),
    ("cross_entropy label too big", lambda: F.cross_entropy(A(4, 3), np.array([0, 3, 1, 5])), IndexError,
     ["cross_entropy", "[0, 3)", "3 at (1,)", "5 at (3,)", "(4, 3)"]),
    ("cross_entropy negative label", lambda: F.cross_entropy(A(2, 3), np.array([-1, 0])), IndexError,
     ["cross_entropy", "-1 at (0,)"]),
    ("cross_entropy label shape", lambda: F.cross_entropy(A(4, 3), np.array([0, 1])), ValueError,
     ["cross_entropy", "(2,)", "(4, 3)", "expected shape (4,)"]),
    ("cross_entropy one-hot labels", lambda: F.cross_entropy(A(2, 3), np.eye(3)[:2]), TypeError,
     ["cross_entropy", "integer", "float64", "(2, 3)"]),
    ("cross_entropy 1-D scores", lambda: F.cross_entropy(A(3), np.array([0])), ValueError,
     ["cross_entropy", "(N, C", "(3,)"]),
    ("cross_entropy reduction", lambda: F.cross_entropy(A(2, 3), np.array([0, 1]), reduction="avg"), ValueError,
     ["cross_entropy", "reduction", "'avg'"]),
    ("multi_margin p", lambda: F.multi_margin_loss(A(2, 3), np.array([0, 1]), p=3), ValueError,
     ["multi_margin_loss", "p must be 1 or 2", "3"]),
    ("multi_margin label", lambda: F.multi_margin_loss(A(2, 3), np.array([0, 7])), IndexError,
     ["multi_margin_loss", "7 at (1,)"]),
    ("bce shapes", lambda: F.binary_cross_entropy_with_logits(A(2, 3), A(3, 2)), ValueError,
     ["binary_cross_entropy_with_logits", "(2, 3)", "(3, 2)"]),
    ("bce on probabilities shapes", lambda: F.binary_cross_entropy(A(2, 3), A(3, 2)), ValueError,
     ["binary_cross_entropy", "(2, 3)", "(3, 2)"]),
    ("bce on logits", lambda: nn.BCELoss()(A(2) * 3, A(2)), ValueError,
     ["binary_cross_entropy", "[0, 1]", "3.0", "binary_cross_entropy_with_logits"]),
    ("bce weight", lambda: F.binary_cross_entropy(A(2, 3), A(2, 3), weight=A(2)), ValueError,
     ["binary_cross_entropy", "weight (2,)", "(2, 3)"]),
    ("Unflatten size", lambda: nn.Unflatten(1, (3, 3))(A(2, 8)), ValueError, ["Unflatten", "8", "(3, 3)"]),
    ("Unflatten two -1", lambda: nn.Unflatten(1, (-1, -1)), ValueError, ["Unflatten", "one -1"]),
    ("Unflatten dim", lambda: nn.Unflatten(2, (2, 4))(A(2, 8)), ValueError, ["Unflatten", "dim 2", "(2, 8)"]),
    ("mse shapes", lambda: F.mse_loss(A(2, 3), A(3)), ValueError, ["mse_loss", "(2, 3)", "(3,)"]),
    ("l1 shapes", lambda: nn.L1Loss()(A(2), A(3)), ValueError, ["l1_loss", "(2,)", "(3,)"]),
    ("loss module reduction", lambda: nn.MSELoss(reduction="max"), ValueError, ["MSELoss", "'max'"]),
    ("Linear size type", lambda: nn.Linear(3.5, 2), TypeError, ["Linear", "in_features", "3.5"]),
    ("Flatten dims", lambda: nn.Flatten(2, 1)(Value(A(2, 3, 4))), ValueError, ["Flatten", "start_dim 2", "(2, 3, 4)"]),
]


@pytest.mark.parametrize("what, call, error, fragments", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_raises_a_clear_error(what, call, error, fragments):
    assert_reports(call, error, fragments, what)


def test_a_non_numeric_input_names_the_gate_and_the_operands():
    with pytest.raises(TypeError) as info:
        F.linear(np.array([["a", "b"]]), Value(A(2, 2)))
    assert "linear" in str(info.value)
