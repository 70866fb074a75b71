"""Test-suite settings (for tests/ and the notebooks, which pytest runs via nbmake).

Hypothesis runs with the `ci` profile by default: derandomized (the same
examples on every run and machine), no deadline (a slow machine is not a
failure), and no example database (nothing written into the checkout). Set
HYPOTHESIS_PROFILE=explore to draw fresh random examples while developing.

Every test starts from the same random state (autograd's generator seeded
with 0, the fixture below): a layer's random initialisation cannot make a
test pass or fail by chance, or depend on which tests ran before it.

Notebooks read CIRCUITGRAD_QUICK: the suite runs them with small settings
(few epochs, small data); a person running them gets the full size.
"""
import os
import tempfile

os.environ.setdefault("CIRCUITGRAD_QUICK", "1")      # inherited by the notebook kernels
# Hypothesis also caches other things on disk (constants collected from the
# source): keep them out of the checkout too.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), "circuitgrad-hypothesis"))

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402  (after the storage directory is set)

import autograd  # noqa: E402

settings.register_profile(
    "ci", deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile(
    "explore", deadline=None, database=None, max_examples=500,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _seeded():
    """Each test begins with autograd's generator in the same state."""
    autograd.manual_seed(0)
