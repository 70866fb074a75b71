"""Preprocessing fitted on the training data only, then applied to every split
(the notes: statistics computed on test data would leak it into training)."""
import numpy as np


class _Fitted:
    """A transform with statistics learnt by `fit` on training data."""

    def fit_transform(self, x):
        """fit(x) then transform(x): for the training split."""
        return self.fit(x).transform(x)


class Standardize(_Fitted):
    """Mean subtraction and division by the standard deviation.

    `per="pixel"` (a mean image, as the notes do for images), `"channel"` (one
    mean per colour channel, axis 1 of NCHW) or `"feature"` (per column of a
    (N, D) matrix: the same as pixel). `scale=False` only subtracts the mean."""

    def __init__(self, per="pixel", scale=True, eps=1e-8):
        if per not in ("pixel", "channel", "feature"):
            raise ValueError(f"Standardize: per must be 'pixel', 'channel' or 'feature', got {per!r}")
        self.per, self.scale, self.eps = per, scale, eps
        self.mean = self.std = None

    def fit(self, x):
        """Learn the statistics of training data x; returns self."""
        axes = (0,) + tuple(range(2, x.ndim)) if self.per == "channel" else (0,)
        self.mean = x.mean(axis=axes, keepdims=True, dtype=np.float64).astype(x.dtype)
        self.std = (x.std(axis=axes, keepdims=True, dtype=np.float64) + self.eps).astype(x.dtype)
        return self

    def transform(self, x):
        """x - mean (and / std) with the statistics learnt by fit."""
        if self.mean is None:
            raise RuntimeError("Standardize.transform before fit: fit it on the training data first")
        x = x - self.mean
        return x / self.std if self.scale else x

class PCA(_Fitted):
    """Dimensionality reduction (and whitening) with the SVD of the covariance
    matrix, as in the notes:
        X -= mean;  cov = Xᵀ X / N;  U, S, _ = svd(cov)
        X_rot = X @ U[:, :k];  whitened: X_rot / sqrt(S[:k] + eps)
    Inputs are flattened to (N, D)."""

    def __init__(self, components=None, whiten=False, eps=1e-5):
        self.components, self.whiten, self.eps = components, whiten, eps
        self.mean = self.U = self.S = self.total_variance = None

    def fit(self, x):
        """Learn mean and principal axes from training data x; returns self."""
        x = x.reshape(len(x), -1).astype(np.float64)
        self.mean = x.mean(axis=0)
        centred = x - self.mean
        cov = centred.T @ centred / len(x)
        U, S, _ = np.linalg.svd(cov)
        k = self.components or x.shape[1]
        self.U, self.S, self.total_variance = U[:, :k], S[:k], S.sum()
        return self

    def transform(self, x):
        """Project (N, ...) data on the principal axes: (N, components)."""
        if self.U is None:
            raise RuntimeError("PCA.transform before fit: fit it on the training data first")
        rotated = (x.reshape(len(x), -1) - self.mean) @ self.U
        if self.whiten:
            rotated = rotated / np.sqrt(self.S + self.eps)
        return rotated.astype(x.dtype if x.dtype.kind == "f" else np.float32)

    def inverse_transform(self, z):
        """Back from (N, components) to (N, D): z @ U[:, :k]ᵀ + mean (whitened
        codes are scaled back by sqrt(S + eps) first). With k < D this is the
        best reconstruction from k numbers that is linear in the data: the
        closest point (in squared error) of the k-dimensional subspace."""
        if self.U is None:
            raise RuntimeError("PCA.inverse_transform before fit: fit it on the training data first")
        z = np.asarray(z)
        if z.ndim != 2 or z.shape[1] != self.U.shape[1]:
            raise ValueError(f"PCA.inverse_transform: codes must have shape (N, {self.U.shape[1]}), got {z.shape}")
        if self.whiten:
            z = z * np.sqrt(self.S + self.eps)
        return (z @ self.U.T + self.mean).astype(z.dtype if z.dtype.kind == "f" else np.float32)

    @property
    def explained_variance_ratio(self):
        """The fraction of the training data's variance each kept component holds."""
        return self.S / self.total_variance if self.S is not None else None
