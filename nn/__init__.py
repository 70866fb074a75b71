"""circuitgrad's neural networks, built on autograd: modules, layers, losses, init, data, models.

Names and semantics follow torch.nn: NCHW images, float32 parameters.

    import nn
    import nn.functional as F

    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 16 * 16, 10))
    loss = F.cross_entropy(model(images), labels)
    loss.backward()

Layout: module.py (Module, Parameter), containers.py (Sequential, ModuleList,
ModuleDict), layers/ (the Modules), functional.py (the same as functions, with
PyTorch's signatures), checks.py (argument checks), gates/
(the fused gates underneath: forward and local gradient side by side),
init.py (weight initialisation), data/ (datasets, loaders, preprocessing,
augmentation), guided.py (guided_backprop: guided backpropagation for visualisations),
models/ (the notes' networks), utils.py (gradient clipping), memory.py (keep_freed_memory: the allocator keeps
freed arrays' memory for the next step).
"""
# Fails loudly (ImportError naming the file) when another package named `autograd`,
# such as HIPS autograd, is found first: install circuitgrad in a virtual environment of its own.
from autograd import __circuitgrad__  # noqa: F401, E402

# (after the check: a wrong `autograd` must fail with the message above, not inside these imports)
from . import data, functional, gates, init, utils  # noqa: E402
from .layers import *  # noqa: E402,F401,F403
from .layers import __all__ as _layers  # noqa: E402
from .containers import ModuleDict, ModuleList, Sequential  # noqa: E402
from .module import IncompatibleKeys, Module, Parameter  # noqa: E402
from .guided import guided_backprop  # noqa: E402
from .memory import keep_freed_memory  # noqa: E402
from . import onnx  # noqa: E402  (imports the onnx package only when asked to export or load)

keep_freed_memory()          # large arrays are reused from one training step to the next (see memory.py)

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "IncompatibleKeys", "functional",
           "init", "gates", "data", "guided_backprop", "keep_freed_memory", "utils", "onnx"] + _layers
