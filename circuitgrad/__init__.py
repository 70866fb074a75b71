"""circuitgrad's command line (floor 3): the only place that ties autograd, nn and optim together."""
import autograd as _autograd

if not hasattr(_autograd, "__circuitgrad__"):
    raise ImportError(
        f"'autograd' resolves to {getattr(_autograd, '__file__', _autograd)!r}, which is not "
        f"circuitgrad's engine (HIPS autograd also installs as 'autograd'). Install circuitgrad in "
        f"its own virtual environment.")

__version__ = _autograd.__version__
