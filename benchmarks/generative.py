"""The generative models of notebooks/08_generative.ipynb at full settings: runs the
notebook (60,000 training images, 15 epochs for the autoencoders and the VAE, 20 for
the GAN) and prints its summary tables (reconstruction error against PCA, the VAE's
test ELBO, the GAN's quality measures, seconds per epoch) for the README.

    python benchmarks/generative.py                        # full settings, ~30 min on 2 cores
    python benchmarks/generative.py --quick                # the test suite's small settings
    python benchmarks/generative.py --out executed.ipynb   # keep the run, figures included

Needs Fashion-MNIST (dataset-fashion-mnist) and the `notebooks` extra (nbclient).
Set OPENBLAS_NUM_THREADS=1 on a shared machine: with several jobs on 2 cores, a
multithreaded BLAS in each of them is slower than one thread each.
"""
import argparse
import os
import pathlib
import time

import nbclient
import nbformat

from autograd.storage import atomic_write

NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "notebooks" / "08_generative.ipynb"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the test suite's small settings")
    parser.add_argument("--out", type=pathlib.Path, help="save the executed notebook here")
    args = parser.parse_args()
    if args.quick:
        os.environ["CIRCUITGRAD_QUICK"] = "1"
    else:
        os.environ.pop("CIRCUITGRAD_QUICK", None)               # the kernel inherits the environment
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=None, resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    print(f"{NOTEBOOK.name}, {'quick' if args.quick else 'full'} settings: {time.perf_counter() - start:.0f} s "
          f"(OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, load average "
          f"{os.getloadavg()[0]:.1f})\n")
    print("".join(output.get("text", "") for output in notebook.cells[-1].outputs))
    if args.out:
        with atomic_write(args.out, "w") as f:
            nbformat.write(notebook, f)


if __name__ == "__main__":
    main()
