"""Guided backpropagation: `nn.guided_backprop(model)`, for the notes' chapter on
visualising what a ConvNet learns.

The gradient of a class score with respect to the image (a saliency map) is
noisy: at every ReLU, negative gradients from above cancel positive ones.
Guided backpropagation (Springenberg et al., "Striving for Simplicity", 2015)
lets a ReLU pass a gradient back only where both its input and the gradient
arriving from above are positive, so only evidence *for* the score reaches the
image, and the maps show crisp features. It changes backward only: forward
values, losses and predictions are those of the plain model.
"""
import contextlib

from .layers.activation import ReLU

__all__ = ["guided_backprop"]


@contextlib.contextmanager
def guided_backprop(model):
    """`with nn.guided_backprop(model): ...`: inside the block every `nn.ReLU`
    module of `model` (the model itself included) backpropagates with
    guided backpropagation's rule, the gate `nn.gates.guided_relu`:

        forward  max(0, x)                 (unchanged)
        backward g·[x > 0]·[g > 0]         (ReLU's is g·[x > 0])

    so `x.grad` after `score.backward()` is the guided saliency map. The rule
    is fixed when the graph is built: the forward pass must run inside the
    block (its backward may run inside or after it). Only ReLU *modules* are
    switched: `F.relu` or `Value.relu()` called inside a custom forward keep
    the plain rule. Each ReLU gets back its own setting after the block, also
    when the block raises; blocks may be nested. Yields the model.

        x = Value(image[None])
        with nn.guided_backprop(model):
            model(x)[0, label].backward()
        guided = x.grad[0]

    Raises ValueError when the model has no nn.ReLU module (nothing would change)."""
    relus = [m for m in model.modules() if isinstance(m, ReLU)]
    if not relus:
        raise ValueError(f"guided_backprop: {type(model).__name__} has no nn.ReLU module to guide; "
                         f"guided backpropagation changes the backward pass of ReLU modules only")
    before = [vars(m).get("guided") for m in relus]      # None: the class default
    for m in relus:
        m.guided = True
    try:
        yield model
    finally:
        for m, setting in zip(relus, before):
            if setting is None:
                del m.guided
            else:
                m.guided = setting
