"""The training curves the notes babysit a run with: loss, accuracies and
update/weight ratios of a Solver's history, drawn with matplotlib (the
`train` extra)."""
import pathlib

import numpy as np

from autograd import storage


def plot_history(history, directory=None):
    """Loss per step, train/val accuracy per epoch and update/weight ratios
    (with the notes' 1e-3 mark) of a Solver's `history`. Returns the
    matplotlib Figure; with `directory`, also writes loss.png, accuracy.png
    and ratios.png there (each atomically)."""
    import matplotlib.pyplot as plt
    fig, (ax_loss, ax_acc, ax_ratio) = plt.subplots(1, 3, figsize=(15, 4))
    ax_loss.plot(history["loss"], lw=0.8)
    ax_loss.set(title="training loss", xlabel="step", ylabel="loss")
    epochs = np.arange(1, len(history["train_acc"]) + 1)
    ax_acc.plot(epochs, history["train_acc"], "o-", label="train")
    if history["val_acc"]:
        ax_acc.plot(epochs, history["val_acc"], "o-", label="validation")
    ax_acc.set(title="accuracy", xlabel="epoch", ylabel="accuracy")
    ax_acc.legend()
    for name, points in history["ratio"].items():
        steps, ratios = zip(*points)
        ax_ratio.semilogy(steps, ratios, label=name, lw=0.8)
    ax_ratio.axhline(1e-3, color="k", ls="--", lw=0.8, label="1e-3")
    ax_ratio.set(title="update / weight ratio", xlabel="step", ylabel="‖Δw‖ / ‖w‖")
    ax_ratio.legend(fontsize=7)
    fig.tight_layout()
    if directory is not None:
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for ax, name in ((ax_loss, "loss"), (ax_acc, "accuracy"), (ax_ratio, "ratios")):
            extent = ax.get_tightbbox(fig.canvas.get_renderer()).transformed(fig.dpi_scale_trans.inverted())
            with storage.atomic_write(directory / f"{name}.png") as f:
                fig.savefig(f, format="png", bbox_inches=extent.expanded(1.05, 1.1))
    return fig
