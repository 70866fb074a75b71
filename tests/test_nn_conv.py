"""Convolution and pooling forward passes against direct loops written from the
definitions, the output-size formula, memory layouts, and max-pool ties."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.functional as F
from autograd import Value
from nn import gates
from test_nn_gates import conv_geometry

rng = np.random.default_rng(0)


# ---------------------------------------------------------------- references, straight from the definitions
def explicit_padding(padding, kernel, dilation):
    """(top, bottom, left, right), 'same' putting the odd row/column at the bottom/right."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        th, tw = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return ph, ph, pw, pw


def loop_conv2d(x, w, b, stride, padding, dilation):
    """out[n, o, y, x] = b[o] + Σ_{c,i,j} w[o, c, i, j] · xp[n, c, y·s + i·d, x·s + j·d], one pixel at a time."""
    top, bottom, left, right = explicit_padding(padding, w.shape[2:], dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    (sh, sw), (dh, dw) = stride, dilation
    kh, kw = w.shape[2:]
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for n in range(x.shape[0]):
        for o in range(w.shape[0]):
            for y in range(ho):
                for z in range(wo):
                    window = xp[n, :, y * sh:y * sh + dh * (kh - 1) + 1:dh, z * sw:z * sw + dw * (kw - 1) + 1:dw]
                    out[n, o, y, z] = np.sum(window * w[o]) + (0 if b is None else b[o])
    return out


def loop_pool(x, kernel, stride, padding, reduce, fill):
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    ho, wo = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    out = np.zeros(x.shape[:2] + (ho, wo))
    for y in range(ho):
        for z in range(wo):
            out[:, :, y, z] = reduce(xp[:, :, y * sh:y * sh + kh, z * sw:z * sw + kw], axis=(2, 3))
    return out


# ---------------------------------------------------------------- conv2d
@st.composite
def conv_case(draw):
    kernel, stride, dilation, padding, (h, w) = draw(conv_geometry())
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 1000))
    r = np.random.default_rng(seed)
    bias = r.standard_normal(o) if draw(st.booleans()) else None
    return r.standard_normal((n, c, h, w)), r.standard_normal((o, c) + kernel), bias, stride, padding, dilation


@settings(max_examples=60)
@given(conv_case())
def test_conv2d_matches_a_direct_loop_and_the_output_size_formula(case):
    x, w, b, stride, padding, dilation = case
    out = F.conv2d(x, w, b, stride, padding, dilation)
    np.testing.assert_allclose(out, loop_conv2d(x, w, b, stride, padding, dilation), rtol=1e-10, atol=1e-10)
    # (W - F + 2P)/S + 1 per axis, F the dilated kernel; 'same' keeps the size
    top, bottom, left, right = explicit_padding(padding, w.shape[2:], dilation)
    for axis, (pad, s, d) in enumerate([(top + bottom, stride[0], dilation[0]), (left + right, stride[1], dilation[1])]):
        size, k = x.shape[2 + axis], w.shape[2 + axis]
        assert out.shape[2 + axis] == (size - (d * (k - 1) + 1) + pad) // s + 1
        if padding == "same":
            assert out.shape[2 + axis] == size
    assert out.shape[:2] == (x.shape[0], w.shape[0])


@pytest.mark.parametrize("shifted", [True, False], ids=["shifted matmuls", "im2col"])
def test_a_stride_1_convolution_matches_the_loop_by_either_path(monkeypatch, shifted):
    monkeypatch.setattr(gates.conv, "shifts_pay", lambda *shapes: shifted)

    @settings(max_examples=40)
    @given(conv_case())
    def test(case):
        x, w, b, stride, padding, dilation = case
        np.testing.assert_allclose(F.conv2d(x, w, b, 1, padding, dilation),
                                   loop_conv2d(x, w, b, (1, 1), padding, dilation), rtol=1e-10, atol=1e-10)
    test()


def test_shifted_matmuls_take_the_few_channel_convolutions_and_agree_with_im2col(monkeypatch):
    """16 channels at 28x28, batch 4, float32 (the zoo's ResNet's first stage): shifted matmuls
    forward and for d/dx, with bias, padding and dilation; the same numbers as im2col's."""
    x = rng.standard_normal((4, 16, 28, 28)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    b, g = rng.standard_normal(16).astype(np.float32), rng.standard_normal((4, 16, 28, 28)).astype(np.float32)
    assert gates.conv.shifts_pay(16, 16, (30, 30), (28, 28)) and not gates.conv.shifts_pay(1, 16, (30, 30), (28, 28))
    results = []
    for shifted in (True, False):
        monkeypatch.setattr(gates.conv, "shifts_pay", lambda *shapes: shifted)
        for padding, dilation in ((1, 1), (2, 2)):
            xv, wv, bv = Value(x), Value(w), Value(b)
            out = F.conv2d(xv, wv, bv, padding=padding, dilation=dilation)
            out.backward(g)
            assert out.data.transpose(0, 2, 3, 1).flags.c_contiguous and out.dtype == np.float32
            results.append([out.data, xv.grad, wv.grad, bv.grad])
    for by_shifts, by_im2col in zip(results[:2], results[2:]):
        for u, v in zip(by_shifts, by_im2col):
            np.testing.assert_allclose(u, v, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("shifted", [True, False], ids=["shifted matmuls", "im2col"])
@pytest.mark.parametrize("stride", [1, 2])
def test_no_uninitialised_memory_reaches_a_convolution_or_its_gradients(monkeypatch, stride, shifted):
    """The gates fill their np.empty buffers before reading them (the rim rows past the last
    window included: d/dw multiplies them by zeros, and NaN·0 is NaN): with every new buffer
    full of NaN, the results are still finite."""
    monkeypatch.setattr(gates.conv, "shifts_pay", lambda *shapes: shifted)
    empty = np.empty
    monkeypatch.setattr(np, "empty", lambda *args, **kwargs: np.full_like(empty(*args, **kwargs), np.nan))
    x, w, b = Value(rng.standard_normal((2, 8, 6, 5))), Value(rng.standard_normal((8, 8, 3, 2))), Value(np.ones(8))
    out = F.conv2d(x, w, b, stride=stride, padding=1, dilation=(1, 2))
    out.backward(np.ones(out.shape))
    for a in (out.data, x.grad, w.grad, b.grad):
        assert np.isfinite(a).all()


def test_same_padding_with_an_even_kernel_pads_the_extra_row_and_column_at_the_bottom_right():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 0, 0] = 1.0                          # a single 1 at the top-left corner
    w = np.ones((1, 1, 2, 2))
    out = F.conv2d(x, w, padding="same")
    # padding (0 top, 1 bottom, 0 left, 1 right): only the window at (0, 0) sees the corner
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 0, 0] = 1.0
    np.testing.assert_array_equal(out, expected)


def test_a_1x1_convolution_is_a_matrix_product_over_channels():
    x, w, b = rng.standard_normal((2, 5, 4, 3)), rng.standard_normal((7, 5, 1, 1)), rng.standard_normal(7)
    expected = np.einsum("nchw,oc->nohw", x, w[:, :, 0, 0]) + b[:, None, None]
    np.testing.assert_allclose(F.conv2d(x, w, b), expected, rtol=1e-12)


@pytest.mark.parametrize("channels", [1, 3, 16])
def test_conv2d_gives_the_same_result_for_any_memory_layout_of_its_input(channels):
    """Channels-last memory (what conv2d returns), cropped views and plain NCHW
    arrays take different copies inside; the numbers must not differ."""
    x = rng.standard_normal((2, channels, 9, 7)).astype(np.float32)
    w = rng.standard_normal((4, channels, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    expected = F.conv2d(x, w, b, padding=1)
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    bigger = np.zeros((2, channels, 11, 9), np.float32)
    bigger[:, :, 1:10, 1:8] = x
    cropped = bigger[:, :, 1:10, 1:8]
    for layout in (channels_last, cropped, x[:, :, ::-1, :][:, :, ::-1, :]):
        np.testing.assert_allclose(F.conv2d(layout, w, b, padding=1), expected, rtol=1e-5, atol=1e-5)


def test_conv2d_output_is_channels_last_in_memory_and_float32_stays_float32():
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    w = Value(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    out = F.conv2d(x, w, padding="same")
    assert out.dtype == np.float32 and out.shape == (2, 4, 8, 8)
    assert out.data.transpose(0, 2, 3, 1).flags.c_contiguous       # NCHW view of NHWC memory
    out.sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.flags.c_contiguous


# ---------------------------------------------------------------- conv_transpose2d
@settings(max_examples=40)
@given(st.data())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(data):
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)>: the transposed convolution
    is exactly the backward pass of the convolution with respect to its input
    (output_padding chosen to give back x's size, as the formula allows)."""
    draw = data.draw
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 4))
                 for d, k, p in zip(dilation, kernel, padding))
    r = np.random.default_rng(draw(st.integers(0, 1000)))
    c, o = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x, w = r.standard_normal((2, c) + size), r.standard_normal((o, c) + kernel)
    y = r.standard_normal(F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation).shape)
    extra = tuple(n - ((m - 1) * s - 2 * p + d * (k - 1) + 1)
                  for n, m, s, p, d, k in zip(size, y.shape[2:], stride, padding, dilation, kernel))
    back = F.conv_transpose2d(y, w, stride=stride, padding=padding, output_padding=extra, dilation=dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation) * y),
                               np.sum(x * back), rtol=1e-9, atol=1e-9)


def test_conv_transpose2d_output_size():
    # (H - 1)·s - 2p + d·(k - 1) + output_padding + 1
    x, w = np.ones((1, 2, 5, 4)), np.ones((2, 3, 3, 2))
    out = F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    assert out.shape == (1, 3, (5 - 1) * 2 - 2 + 2 + 1 + 1, (4 - 1) * 2 - 2 + 1 + 1 + 1)


def test_conv_transpose2d_upsamples_a_single_pixel_into_the_kernel():
    x = np.zeros((1, 1, 2, 2))
    x[0, 0, 1, 0] = 2.0
    w = np.arange(9.0).reshape(1, 1, 3, 3)
    out = F.conv_transpose2d(x, w, stride=2)
    expected = np.zeros((1, 1, 5, 5))
    expected[0, 0, 2:5, 0:3] = 2.0 * w[0, 0]         # the pixel at (1, 0) stamps the kernel at (2, 0)
    np.testing.assert_array_equal(out, expected)


# ---------------------------------------------------------------- pooling
@st.composite
def pool_case(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    size = tuple(max(1, k - 2 * p) + draw(st.integers(0, 4)) for k, p in zip(kernel, padding))
    x = np.random.default_rng(draw(st.integers(0, 1000))).standard_normal((2, 2) + size).round(1)   # ties too
    return x, kernel, stride, padding


@settings(max_examples=60)
@given(pool_case())
def test_pools_match_direct_loops(case):
    x, kernel, stride, padding = case
    np.testing.assert_array_equal(F.max_pool2d(x, kernel, stride, padding), loop_pool(x, kernel, stride, padding, np.max, -np.inf))
    np.testing.assert_allclose(F.avg_pool2d(x, kernel, stride, padding),
                               loop_pool(x, kernel, stride, padding, np.sum, 0.0) / (kernel[0] * kernel[1]), rtol=1e-12)
    counts = loop_pool(np.ones_like(x), kernel, stride, padding, np.sum, 0.0)
    np.testing.assert_allclose(F.avg_pool2d(x, kernel, stride, padding, count_include_pad=False),
                               loop_pool(x, kernel, stride, padding, np.sum, 0.0) / counts, rtol=1e-12)


def loop_max_pool_grad(x, g, kernel, stride, padding):
    """Each window's g to its first maximum in row-major order, window by window."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    dxp = np.zeros_like(xp)
    for n, c, y, z in np.ndindex(g.shape):
        window = xp[n, c, y * sh:y * sh + kh, z * sw:z * sw + kw]
        i, j = np.unravel_index(np.argmax(window), window.shape)      # argmax: the first maximum
        dxp[n, c, y * sh + i, z * sw + j] += g[n, c, y, z]
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]


@settings(max_examples=60)
@given(pool_case())
def test_max_pool_routes_each_window_to_its_first_maximum_with_ties(case):
    """The gradient of max pooling with tied maxima, against the window-by-window rule:
    a 3x3 (or 2x3) window is pooled along W, then along H (separably), and the two
    routings back must still pick the window's first maximum in row-major order."""
    x, kernel, stride, padding = case
    x = np.round(x)                                                  # values -3..3: many ties
    v = Value(x)
    out = F.max_pool2d(v, kernel, stride, padding)
    g = np.random.default_rng(int(x.size)).integers(1, 9, out.shape).astype(float)
    out.backward(g)
    np.testing.assert_array_equal(v.grad, loop_max_pool_grad(x, g, kernel, stride, padding))


def test_max_pool_ties_send_the_whole_gradient_to_the_first_maximum_in_row_major_order():
    """The documented rule (PyTorch's): in a window with tied maxima, the first
    one scanning the top row left to right, then the next row, gets all of g."""
    x = Value(np.array([[[[1.0, 5.0, 5.0, 0.0],
                          [5.0, 5.0, 0.0, 0.0],
                          [2.0, 2.0, 3.0, 3.0],
                          [2.0, 2.0, 3.0, 3.0]]]]))
    out = F.max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, [[[[5.0, 5.0], [2.0, 3.0]]]])
    out.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[0.0, 10.0, 20.0, 0.0],
                                             [0.0, 0.0, 0.0, 0.0],
                                             [30.0, 0.0, 40.0, 0.0],
                                             [0.0, 0.0, 0.0, 0.0]]]])


def test_max_pool_ties_in_overlapping_windows_follow_the_same_rule_per_window():
    x = Value(np.ones((1, 1, 3, 3)))
    F.max_pool2d(x, 2, stride=1).sum().backward()
    # four windows, each routes its 1 to its own top-left element
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_pool_switches_route_to_the_maximum():
    x = Value(np.array([[[[1.0, 2.0], [4.0, 3.0]]]]))
    F.max_pool2d(x, 2).backward(np.array([[[[7.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[0.0, 0.0], [7.0, 0.0]]]])


@pytest.mark.parametrize("shifted", [True, False], ids=["shifted matmuls", "im2col"])
@pytest.mark.parametrize("stride", [1, 2])
def test_an_empty_batch_goes_through_both_convolutions(stride, shifted, monkeypatch):
    """N = 0, as PyTorch: empty outputs of the right shape, zero weight and bias gradients."""
    monkeypatch.setattr(gates.conv, "shifts_pay", lambda *shapes: shifted)
    w, b, b_t = Value(np.ones((4, 3, 3, 3))), Value(np.ones(4)), Value(np.ones(3))
    x, x_t = Value(np.ones((0, 3, 5, 5))), Value(np.ones((0, 4, 3, 3)))
    out = F.conv2d(x, w, b, stride=stride, padding=1)
    out_t = F.conv_transpose2d(x_t, w, b_t, stride=stride)
    assert out.shape == (0, 4, 5 // stride + stride - 1, 5 // stride + stride - 1)
    assert out_t.shape == (0, 3, 2 * stride + 3, 2 * stride + 3)
    (out.sum() + out_t.sum()).backward()
    assert x.grad.shape == x.shape and x_t.grad.shape == x_t.shape
    for p in (w, b, b_t):
        assert p.grad.shape == p.shape and not p.grad.any()
