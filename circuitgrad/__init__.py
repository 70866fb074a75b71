"""circuitgrad's command line: the one place that ties autograd, nn and optim together."""
# Fails loudly (ImportError naming the file) when another package named `autograd`,
# such as HIPS autograd, is found first: install circuitgrad in a virtual environment of its own.
from autograd import __circuitgrad__ as __version__    # the marker is circuitgrad's version


class Failure(Exception):
    """A subcommand ends here: `message` is printed as one line on stderr and
    the command exits with `status` (2: the user's mistake; 1: a run that
    failed, such as a diverging loss; 130: interrupted)."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status
