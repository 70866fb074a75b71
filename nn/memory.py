"""Keeping freed memory for the next training step (glibc's malloc, Linux).

A training step allocates and frees the same large arrays every time: im2col
matrices, activations, gradients (megabytes each). By default glibc hands a
freed block above a threshold straight back to the kernel (munmap, or trimming
the top of the heap), so the next step's array of the same size is fresh
memory: every 4 KiB page of it faults and is zeroed by the kernel before numpy
writes into it. On the small ResNet of benchmarks/ that is about a fifth of a
training step.

`keep_freed_memory()` raises glibc's two thresholds (M_MMAP_THRESHOLD,
M_TRIM_THRESHOLD) to 1 GiB, so that freed blocks stay in the heap and are
reused: the process keeps the memory of its largest step instead of giving it
back between steps (PyTorch's allocators keep memory the same way). `import nn`
calls it once; `keep_freed_memory(False)` restores glibc's default thresholds.
Elsewhere than glibc it does nothing and returns False.
"""
import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3          # mallopt's parameter numbers (malloc.h)
_KEPT, _DEFAULT = 1 << 30, 128 * 1024                  # 1 GiB; glibc's initial 128 KiB for both


def keep_freed_memory(keep=True):
    """Keep (True) or return (False) freed heap memory to the kernel; True if it took effect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):                    # not glibc (e.g. musl has no mallopt)
        return False
    threshold = _KEPT if keep else _DEFAULT
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold)) and bool(mallopt(_M_TRIM_THRESHOLD, threshold))
