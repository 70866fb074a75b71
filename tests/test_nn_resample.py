"""Adaptive average pooling and upsampling: exact values against hand-worked
examples of PyTorch's rules (the gradients are property-tested in
tests/test_nn_gates.py), the layers, and bad arguments."""
import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Value


def image(rows):
    """A (1, 1, H, W) float64 image from a nested list."""
    return np.array(rows, dtype=np.float64)[None, None]


# ---------------------------------------------------------------- adaptive average pooling
def test_global_average_pooling_is_the_mean_of_each_map():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4)).astype(np.float32)
    out = nn.AdaptiveAvgPool2d(1)(Value(x))
    assert out.shape == (2, 3, 1, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out.data[:, :, 0, 0], x.mean(axis=(2, 3)), rtol=1e-6)


def test_adaptive_windows_overlap_when_the_output_does_not_divide_the_input():
    # 5 -> 3: windows [floor(i·5/3), ceil((i+1)·5/3)) = [0, 2), [1, 4), [3, 5)
    x = image([[0.0, 1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, (1, 3)).ravel(), [0.5, 2.0, 3.5])
    # growing: 2 -> 3 repeats the middle window's average of both
    np.testing.assert_allclose(F.adaptive_avg_pool2d(image([[2.0, 4.0]]), (1, 3)).ravel(), [2.0, 3.0, 4.0])
    # None keeps an axis; when the output divides the input it is plain average pooling
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 4))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, (None, 2)), F.avg_pool2d(x, (1, 2)))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x[..., :2, :], 1), x[..., :2, :].mean(axis=(2, 3), keepdims=True))


def test_adaptive_pooling_with_the_input_size_is_the_identity_and_its_gradient_spreads_evenly():
    x = Value(np.random.default_rng(1).standard_normal((1, 2, 3, 3)))
    np.testing.assert_array_equal(F.adaptive_avg_pool2d(x, 3).data, x.data)
    out = F.adaptive_avg_pool2d(x, 1)
    out.backward(np.ones(out.shape), retain_graph=True)
    np.testing.assert_allclose(x.grad, np.full(x.shape, 1 / 9))
    out.backward(np.ones(out.shape))                      # a second backward adds the same again
    np.testing.assert_allclose(x.grad, np.full(x.shape, 2 / 9))


# ---------------------------------------------------------------- nearest
def test_nearest_doubles_each_pixel_and_its_gradient_sums_the_copies():
    x = Value(image([[1.0, 2.0], [3.0, 4.0]]))
    out = F.interpolate(x, scale_factor=2)
    np.testing.assert_array_equal(out.data[0, 0], np.repeat(np.repeat(x.data[0, 0], 2, 0), 2, 1))
    out.backward(np.arange(16.0).reshape(out.shape))
    np.testing.assert_array_equal(x.grad[0, 0], [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]])


def test_nearest_picks_input_floor_of_i_over_the_scale():
    x = image([[10.0, 20.0]])
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=(1, 1.5)).ravel(), [10, 10, 20])   # floor(i/1.5)
    np.testing.assert_array_equal(F.interpolate(x, size=(1, 5)).ravel(), [10, 10, 10, 20, 20])      # floor(i·2/5)
    np.testing.assert_array_equal(F.interpolate(image([[1.0, 2.0, 3.0, 4.0]]), scale_factor=(1, 0.5)).ravel(), [1, 3])


# ---------------------------------------------------------------- bilinear
def test_bilinear_matches_pixel_centres_without_align_corners():
    # source position (i + ½)/2 - ½ = -¼ (clamped to 0), ¼, ¾, 1¼ (clamped to the last pixel)
    out = F.interpolate(image([[0.0, 1.0]]), scale_factor=(1, 2), mode="bilinear")
    np.testing.assert_allclose(out.ravel(), [0.0, 0.25, 0.75, 1.0])
    out = F.interpolate(image([[0.0, 1.0]]), scale_factor=(1, 2), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(out.ravel(), [0.0, 1 / 3, 2 / 3, 1.0])
    # downsampling by 2 (no antialiasing, as PyTorch): position 2i + ½, the mean of a pair
    out = F.interpolate(image([[0.0, 1.0, 2.0, 3.0]]), scale_factor=(1, 0.5), mode="bilinear")
    np.testing.assert_allclose(out.ravel(), [0.5, 2.5])


def test_bilinear_in_two_dimensions_is_linear_along_each_axis():
    x = image([[0.0, 1.0], [2.0, 3.0]])                       # x[r, c] = 2r + c: bilinear keeps it exact inside
    out = F.interpolate(x, size=4, mode="bilinear", align_corners=True)
    r = c = np.linspace(0, 1, 4)
    np.testing.assert_allclose(out[0, 0], 2 * r[:, None] + c[None, :])


def test_an_output_as_large_as_the_input_is_a_copy_whatever_the_scale_factor():
    x = np.random.default_rng(2).standard_normal((1, 1, 3, 3))
    for mode in ("nearest", "bilinear"):
        np.testing.assert_array_equal(F.interpolate(x, scale_factor=1.3, mode=mode), x)    # floor(3·1.3) = 3


def test_a_single_pixel_upsamples_to_a_constant_and_float32_stays_float32():
    x = Value(np.full((1, 1, 1, 1), 7.0, np.float32))
    for mode in ("nearest", "bilinear"):
        out = F.interpolate(x, scale_factor=3, mode=mode)
        assert out.dtype == np.float32 and out.shape == (1, 1, 3, 3)
        np.testing.assert_array_equal(out.data, 7.0)
        x.zero_grad()
        out.sum().backward()
        np.testing.assert_array_equal(x.grad, [[[[9.0]]]])


def test_upsample_layer_and_its_repr():
    layer = nn.Upsample(scale_factor=2, mode="bilinear")
    assert layer(np.zeros((2, 3, 4, 5), np.float32)).shape == (2, 3, 8, 10)
    assert "scale_factor=2" in repr(layer) and "bilinear" in repr(layer)
    assert nn.Upsample(size=(3, 7))(np.zeros((1, 1, 2, 2))).shape == (1, 1, 3, 7)
    assert "output_size=1" in repr(nn.AdaptiveAvgPool2d(1))


def test_resampling_reports_bad_arguments():
    x = np.zeros((1, 1, 2, 2))
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="align_corners only applies"):
        F.interpolate(x, scale_factor=2, align_corners=False)
    with pytest.raises(ValueError, match="empty"):
        F.interpolate(x, scale_factor=0.4)
    with pytest.raises(ValueError, match="scale_factor must be > 0"):
        F.interpolate(x, scale_factor=-2)
    with pytest.raises(TypeError, match="scale_factor must be a number"):
        F.interpolate(x, scale_factor="2")
    with pytest.raises(ValueError, match="4-D"):
        F.interpolate(np.zeros((2, 2)), scale_factor=2)
    with pytest.raises(ValueError, match="output size must be an integer >= 1"):
        F.adaptive_avg_pool2d(x, 0)
    with pytest.raises(TypeError, match="output size must be an int"):
        F.adaptive_avg_pool2d(x, (2.5, 2))
    with pytest.raises(TypeError, match="int or a pair"):
        F.adaptive_avg_pool2d(x, (1, 2, 3))
