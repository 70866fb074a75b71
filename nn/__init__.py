"""circuitgrad's neural-network layer (floor 2): modules, layers, losses, init.

Names and semantics follow torch.nn: NCHW images, float32 parameters.

    import nn
    import nn.functional as F

    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 16 * 16, 10))
    loss = F.cross_entropy(model(images), labels)
    loss.backward()

Layout: module.py (Module, Parameter, Sequential, ModuleList, ModuleDict),
layers/ (the Modules), functional.py (the same as functions, with PyTorch's signatures), gates/
(the fused gates underneath: forward and local gradient side by side),
init.py (weight initialisation), data/ (datasets, loaders, preprocessing,
augmentation), guided.py (guided_backprop: guided backpropagation for visualisations),
models/ (the notes' networks), memory.py (keep_freed_memory: the allocator keeps
freed arrays' memory for the next step).
"""
import autograd as _autograd

if not hasattr(_autograd, "__circuitgrad__"):
    raise ImportError(
        f"'autograd' resolves to {getattr(_autograd, '__file__', _autograd)!r}, which is not "
        f"circuitgrad's engine (HIPS autograd also installs as 'autograd'). Install circuitgrad in "
        f"its own virtual environment.")

# (after the check: a wrong `autograd` must fail with the message above, not inside these imports)
from . import data, functional, gates, init  # noqa: E402
from .layers import *  # noqa: E402,F401,F403
from .layers import __all__ as _layers  # noqa: E402
from .module import IncompatibleKeys, Module, ModuleDict, ModuleList, Parameter, Sequential  # noqa: E402
from .guided import guided_backprop  # noqa: E402
from .memory import keep_freed_memory  # noqa: E402

keep_freed_memory()          # large arrays are reused from one training step to the next (see memory.py)

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "IncompatibleKeys", "functional",
           "init", "gates", "data", "guided_backprop", "keep_freed_memory"] + _layers
