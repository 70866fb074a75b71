"""nn.data: readers on small files written in the real formats, loaders,
preprocessing fitted on training data only, augmentation."""
import gzip

import numpy as np
import pytest

from nn import data
from nn.data import DataError


def write_mnist_dir(directory, n_train=12, n_test=5, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    suffix = ".gz" if gz else ""
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        data.write_idx(directory / f"{split}-images-idx3-ubyte{suffix}", images)
        data.write_idx(directory / f"{split}-labels-idx1-ubyte{suffix}", labels)
        arrays[split] = images, labels
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_idx_directory_round_trip(tmp_path, gz):
    arrays = write_mnist_dir(tmp_path, gz=gz)
    splits = data.mnist(tmp_path)
    train, test = splits["train"], splits["test"]
    assert train.x.shape == (12, 1, 28, 28) and train.x.dtype == np.float32
    np.testing.assert_allclose(train.x[:, 0] * 255, arrays["train"][0], atol=1e-4)
    np.testing.assert_array_equal(test.y, arrays["t10k"][1])
    assert train.y.dtype == np.int64 and len(test) == 5


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_types(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if np.dtype(dtype).kind == "u":
        a = np.abs(a).astype(dtype)
    data.write_idx(tmp_path / "a.idx", a)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.idx"), a)


# Each IDX type, written by hand as the format's specification lays it out: two
# zero bytes, the type code, the number of dimensions, each dimension as a
# big-endian uint32, then the values big-endian in C order. Not written by
# write_idx, so a wrong entry in the type table cannot cancel itself out.
HAND_WRITTEN_IDX = [
    (b"\x00\x00\x08\x02" b"\x00\x00\x00\x02" b"\x00\x00\x00\x02" b"\x00\x01\xfe\xff",
     np.array([[0, 1], [254, 255]], np.uint8)),
    (b"\x00\x00\x09\x01" b"\x00\x00\x00\x03" b"\x80\xff\x7f",
     np.array([-128, -1, 127], np.int8)),
    (b"\x00\x00\x0b\x01" b"\x00\x00\x00\x02" b"\x01\x02\xff\xfe",
     np.array([258, -2], np.int16)),
    (b"\x00\x00\x0c\x01" b"\x00\x00\x00\x02" b"\x00\x01\x00\x00\xff\xff\xff\xff",
     np.array([65536, -1], np.int32)),
    (b"\x00\x00\x0d\x01" b"\x00\x00\x00\x02" b"\x3f\x80\x00\x00\xc0\x20\x00\x00",
     np.array([1.0, -2.5], np.float32)),
    (b"\x00\x00\x0e\x01" b"\x00\x00\x00\x01" b"\x40\x09\x21\xfb\x54\x44\x2d\x18",
     np.array([np.pi], np.float64)),
]


@pytest.mark.parametrize("raw, expected", HAND_WRITTEN_IDX, ids=["ubyte", "byte", "short", "int", "float", "double"])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_reader_against_hand_written_big_endian_bytes(tmp_path, raw, expected, gz):
    path = tmp_path / ("file.idx.gz" if gz else "file.idx")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    got = data.read_idx(path)
    assert got.dtype == expected.dtype and got.dtype.isnative
    np.testing.assert_array_equal(got, expected)
    data.write_idx(tmp_path / "again.idx", expected)               # and the writer writes the same bytes
    assert (tmp_path / "again.idx").read_bytes() == raw


def test_corrupt_idx_files_are_named(tmp_path):
    good = tmp_path / "good-images-idx3-ubyte"
    data.write_idx(good, np.zeros((3, 28, 28), np.uint8))
    raw = good.read_bytes()
    cases = {"truncated": raw[:-10], "bad-magic": b"\x01\x02" + raw[2:], "empty": b"",
             "trailing": raw + b"\x00", "header-cut": raw[:9]}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(DataError, match=name):
            data.read_idx(path)
    (tmp_path / "bad.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="bad.gz.*gzip"):
        data.read_idx(tmp_path / "bad.gz")
    with pytest.raises(DataError, match="no such file"):
        data.read_idx(tmp_path / "missing")


def test_mnist_directory_errors(tmp_path):
    with pytest.raises(DataError, match="not a directory"):
        data.mnist(tmp_path / "nowhere")
    write_mnist_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing t10k-labels-idx1-ubyte"):
        data.mnist(tmp_path)
    data.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))   # 4 labels, 5 images
    with pytest.raises(DataError, match=r"\(5, 28, 28\).*\(4,\)"):
        data.mnist(tmp_path)


def test_missing_fashion_mnist_says_how_to_install(tmp_path):
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        data.fashion_mnist(tmp_path / "absent")
    with pytest.raises(DataError, match="unknown dataset"):
        data.load("imagenet")


def write_cifar_batch(path, n, rng):
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 256, (n, 3 * 32 * 32), dtype=np.uint8)
    np.concatenate([labels[:, None], images], axis=1).tofile(path)
    return images.reshape(n, 3, 32, 32), labels


def test_cifar10_binary(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    parts = [write_cifar_batch(folder / f"data_batch_{i}.bin", 4, rng) for i in range(1, 6)]
    test_images, test_labels = write_cifar_batch(folder / "test_batch.bin", 3, rng)
    splits = data.load(f"cifar10:{tmp_path}")
    assert splits["train"].x.shape == (20, 3, 32, 32)
    np.testing.assert_allclose(splits["train"].x[:4] * 255, parts[0][0], atol=1e-4)
    np.testing.assert_array_equal(splits["test"].y, test_labels)
    (folder / "test_batch.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match="test_batch.bin.*records"):
        data.cifar10(tmp_path)


def test_toy_sets():
    s = data.spiral(50, classes=3)
    assert s.x.shape == (150, 2) and set(s.y) == {0, 1, 2}
    assert np.abs(s.x).max() <= 1.0 + 1e-6
    np.testing.assert_array_equal(data.spiral(50, seed=3).x, data.spiral(50, seed=3).x)
    m = data.moons(101)
    assert m.x.shape == (101, 2) and np.bincount(m.y).tolist() == [50, 51]


def test_loader_batches_every_sample_once_per_epoch():
    ds = data.ArrayDataset(np.arange(10)[:, None].astype(np.float32), np.arange(10))
    batches = list(data.DataLoader(ds, batch_size=4))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert [len(y) for _, y in data.DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]
    assert len(data.DataLoader(ds, 4)) == 3 and len(data.DataLoader(ds, 4, drop_last=True)) == 2
    loader = data.DataLoader(ds, batch_size=3, shuffle=True, seed=0)
    first = np.concatenate([y for _, y in loader])
    second = np.concatenate([y for _, y in loader])
    assert sorted(first) == list(range(10)) and not np.array_equal(first, second)
    again = np.concatenate([y for _, y in data.DataLoader(ds, batch_size=3, shuffle=True, seed=0)])
    np.testing.assert_array_equal(first, again)                 # the same seed, the same order
    x, y = next(iter(data.DataLoader(ds, 5, shuffle=True, seed=1)))
    np.testing.assert_array_equal(x[:, 0], y)                   # samples stay with their labels
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(ds, 0)


def test_random_split():
    ds = data.ArrayDataset(np.zeros((10, 1)), np.arange(10))
    a, b = data.random_split(ds, [7, 3], seed=0)
    assert len(a) == 7 and len(b) == 3
    assert sorted(np.concatenate([a[:][1], b[:][1]])) == list(range(10))
    c, d = data.random_split(ds, [0.8, 0.2], seed=0)
    assert (len(c), len(d)) == (8, 2)
    with pytest.raises(ValueError, match="do not add up"):
        data.random_split(ds, [5, 6])


def test_standardize_is_fitted_on_training_data_only():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, (500, 3, 4, 4)).astype(np.float32)
    test = rng.normal(-1.0, 5.0, (100, 3, 4, 4)).astype(np.float32)
    s = data.Standardize(per="channel").fit(train)
    t = s.transform(train)
    assert np.allclose(t.mean(axis=(0, 2, 3)), 0, atol=1e-4) and np.allclose(t.std(axis=(0, 2, 3)), 1, atol=1e-3)
    np.testing.assert_allclose(s.transform(test), (test - s.mean) / s.std)   # train statistics
    assert s.mean.shape == (1, 3, 1, 1) and s.transform(test).dtype == np.float32
    p = data.Standardize(per="pixel", scale=False).fit(train)
    assert p.mean.shape == (1, 3, 4, 4)
    with pytest.raises(RuntimeError, match="before fit"):
        data.Standardize().transform(test)


def test_pca_reduces_and_whitens():
    rng = np.random.default_rng(0)
    basis = rng.standard_normal((2, 6))
    x = rng.standard_normal((400, 2)) @ basis + 0.01 * rng.standard_normal((400, 6))
    pca = data.PCA(components=2).fit(x)
    assert pca.explained_variance_ratio.sum() > 0.99               # two directions hold the data
    assert data.PCA(components=1).fit(x).explained_variance_ratio.sum() < 0.99
    reduced = pca.transform(x)
    assert reduced.shape == (400, 2)
    white = data.PCA(components=2, whiten=True).fit(x).transform(x)
    np.testing.assert_allclose(np.cov(white, rowvar=False, bias=True), np.eye(2), atol=1e-3)


def test_pca_inverse_transform_reconstructs_from_the_kept_components():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 2)) @ rng.standard_normal((2, 5)) + 3.0       # data on a plane, off the origin
    for whiten in (False, True):
        pca = data.PCA(components=2, whiten=whiten).fit(x)
        np.testing.assert_allclose(pca.inverse_transform(pca.transform(x)), x, atol=1e-8)
    # one component: the projection on the first axis, by hand: mean + ((x - mean)·u) u
    pca = data.PCA(components=1).fit(x)
    u, mean = pca.U[:, 0], x.mean(axis=0)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(x)), mean + np.outer((x - mean) @ u, u), atol=1e-10)
    # fewer components never reconstruct better; images come back flat, (N, D)
    images = rng.random((50, 1, 4, 4)).astype(np.float32)
    errors = [np.mean((data.PCA(k).fit(images).inverse_transform(data.PCA(k).fit(images).transform(images))
                       - images.reshape(50, 16)) ** 2) for k in (1, 4, 16)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-10
    with pytest.raises(ValueError, match=r"PCA.inverse_transform: codes must have shape \(N, 4\)"):
        data.PCA(4).fit(images).inverse_transform(np.zeros((3, 5)))
    with pytest.raises(RuntimeError, match="inverse_transform before fit"):
        data.PCA(2).inverse_transform(np.zeros((3, 2)))


def test_augmentation_shapes_and_statistics():
    rng = np.random.default_rng(0)
    x = rng.random((400, 3, 8, 8)).astype(np.float32)
    flipped = data.random_flip(x, np.random.default_rng(1))
    mirrored = np.all(flipped == x[..., ::-1], axis=(1, 2, 3))
    kept = np.all(flipped == x, axis=(1, 2, 3))
    assert np.all(mirrored | kept) and 0.4 < mirrored.mean() < 0.6
    cropped = data.random_crop(x, np.random.default_rng(2), padding=2)
    assert cropped.shape == x.shape and cropped.dtype == x.dtype
    assert np.mean(cropped == 0) > 0.05                          # some padding came in
    centred = data.random_crop(x[:1], np.random.default_rng(3), padding=0)
    np.testing.assert_array_equal(centred, x[:1])
    jittered = data.color_jitter(x, np.random.default_rng(4), brightness=0.1, contrast=0.0)
    shift = (jittered - x).mean(axis=(1, 2, 3))
    assert np.all(np.abs(shift) <= 0.1 + 1e-6) and shift.std() > 0.02
    out = data.Augment(flip=True, crop_padding=1, brightness=0.1, contrast=0.1)(x, rng)
    assert out.shape == x.shape and out.dtype == np.float32


def test_loader_applies_a_transform():
    ds = data.ArrayDataset(np.ones((6, 1, 2, 2), np.float32), np.zeros(6))
    loader = data.DataLoader(ds, 3, transform=lambda x, rng: x * 2)
    assert all((x == 2).all() for x, _ in loader)


def test_gzip_of_the_debian_package_layout(tmp_path):
    write_mnist_dir(tmp_path, gz=True)
    raw = gzip.decompress((tmp_path / "train-labels-idx1-ubyte.gz").read_bytes())
    assert raw[:4] == b"\x00\x00\x08\x01"                        # the magic of a 1-D uint8 IDX
    assert len(data.fashion_mnist(tmp_path)["train"].classes) == 10
