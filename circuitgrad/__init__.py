"""circuitgrad's command line: the one place that ties autograd, nn and optim together."""
# Fails loudly (ImportError naming the file) when another package named `autograd`,
# such as HIPS autograd, is found first: install circuitgrad in a virtual environment of its own.
from autograd import __circuitgrad__ as __version__    # the marker is circuitgrad's version
