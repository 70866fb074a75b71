"""The cache of executed lessons follows the code, not only the notebooks.

jupyter-cache (myst-nb's nb_execution_mode "cache") runs a lesson again when
the notebook's code cells change. A lesson's outputs also depend on the
library it imports: after a change to autograd, nn or optim, a cached lesson
would show what the old code drew, and a lesson the change breaks would not
fail the build. So the cache keeps a fingerprint of the packages' sources and
is emptied when it differs (a fresh clone, as CI has, starts empty anyway).
"""
import hashlib
import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
PACKAGES = ("autograd", "nn", "optim", "circuitgrad")
STAMP = "circuitgrad-sources.sha256"


def fingerprint(root):
    """A hash of every Python source of the packages under root."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        for path in sorted((Path(root) / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def follow_code(cache, root):
    """Empty the cache directory when it was filled by other sources; returns True if it did."""
    cache, stamp = Path(cache), Path(cache) / STAMP
    current = fingerprint(root)
    emptied = cache.exists() and (not stamp.is_file() or stamp.read_text() != current)
    if emptied:
        shutil.rmtree(cache)
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current)
    return emptied


def on_builder_inited(app):
    # where myst-nb keeps its cache when nb_execution_cache_path is not set (conf.py leaves it)
    cache = app.config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache"
    if follow_code(cache, Path(app.srcdir).parent):
        logger.info("lesson cache: the library's sources changed, every lesson runs again")


def setup(app):
    app.connect("builder-inited", on_builder_inited, priority=400)     # before myst-nb looks at it
    return {"parallel_read_safe": True, "parallel_write_safe": True}
