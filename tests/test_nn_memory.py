"""nn.keep_freed_memory: glibc's malloc keeps freed blocks for the next training step."""
import platform
import sys

import numpy as np
import pytest

import nn

resource = pytest.importorskip("resource")


def page_faults_of_a_repeated_allocation(megabytes=64):
    """Minor page faults of allocating and filling an array the size of one just freed."""
    np.ones(megabytes << 18, np.float32)                       # allocated and freed once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(megabytes << 18, np.float32)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(not (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"),
                    reason="mallopt is glibc's")
def test_freed_memory_is_reused_without_page_faults_and_the_default_can_be_restored():
    try:
        assert nn.keep_freed_memory(False) is True                 # glibc's defaults: memory goes back
        returned = page_faults_of_a_repeated_allocation()
        assert nn.keep_freed_memory() is True                      # as `import nn` sets it
        kept = page_faults_of_a_repeated_allocation()
        # (64 MiB returned costs from 16,384 faults down to 32 when the kernel maps 2 MiB pages)
        assert returned >= 16 and kept < returned / 4, (returned, kept)
    finally:
        nn.keep_freed_memory()
