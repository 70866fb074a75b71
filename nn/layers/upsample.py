"""Upsample: resizing images by nearest-neighbour or bilinear interpolation."""
from .. import functional as F
from ..module import Module


class Upsample(Module):
    """Resize NCHW images: `Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None)`.

    Give the output size or the scale factor (output floor(H·s) x floor(W·s)).
    mode 'nearest' copies the nearest input pixel; 'bilinear' interpolates
    linearly along H and W (align_corners=False, the default, matches pixel
    centres; True matches the corner pixels). See nn.functional.interpolate."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        shown = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        corners = f", align_corners={self.align_corners}" if self.align_corners is not None else ""
        return f"{shown}, mode={self.mode!r}{corners}"
