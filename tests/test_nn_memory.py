"""nn.keep_freed_memory: glibc's malloc keeps freed blocks for the next training step."""
import platform
import sys

import pytest

import nn


@pytest.mark.skipif(not (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"),
                    reason="mallopt is glibc's")
def test_keep_freed_memory_sets_and_restores_glibcs_thresholds():
    try:
        assert nn.keep_freed_memory(False) is True           # glibc's defaults again
        assert nn.keep_freed_memory() is True                # as `import nn` left it
    finally:
        nn.keep_freed_memory()
