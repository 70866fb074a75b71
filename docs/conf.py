"""Sphinx configuration of circuitgrad's site (`make docs`; see README, "The lessons as a website").

Sphinx with myst-nb (executes every lesson in notebooks/ and caches it with
jupyter-cache), autodoc (the API reference from the docstrings), sphinx-argparse
(the command line from its parser) and small extensions of our own in _ext/: the
gate table, the API pages, plain-text docstrings, snapshots of interactive cells,
a lesson cache that follows the library's code, and the checks that fail the
build. The build runs with -W: every warning is an error.
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))              # this checkout's packages, also when not installed
sys.path.insert(0, str(HERE / "_ext"))

import autograd  # noqa: E402  (after the path is set)

QUICK = os.environ.get("CIRCUITGRAD_QUICK") == "1"

project = "circuitgrad"
author = "the circuitgrad authors"
copyright = "circuitgrad's authors, MIT licence"
release = version = autograd.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinxarg.ext",
    "plain_docstrings",
    "api_reference",
    "gate_table",
    "widget_snapshots",
    "lesson_cache",
    "checks",
]

root_doc = "index"
exclude_patterns = ["_build", "_ext", "tests", "Thumbs.db", ".DS_Store"]
nitpicky = True                     # a cross-reference that resolves to nothing is a warning (an error)
default_role = "code"               # `x` in a docstring is code, as in the README
smartquotes = False                 # formulas and code keep their straight quotes (a', "mean")

# ---------------------------------------------------------------- the lessons (myst-nb)
nb_execution_mode = "cache"         # jupyter-cache: a lesson runs again when it or the library changed
nb_execution_raise_on_error = True  # a failing lesson fails the build
nb_execution_show_tb = True
nb_execution_in_temp = True         # whatever a lesson writes goes to a temporary directory
nb_execution_timeout = 900 if QUICK else 7200
nb_merge_streams = True
nb_ipywidgets_js = {}               # no widget JavaScript from a CDN: widget_snapshots.py shows snapshots
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# ---------------------------------------------------------------- the API reference (autodoc)
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"exclude-members": "__init__, __new__"}

# ---------------------------------------------------------------- the pages
html_theme = "furo"
html_title = f"circuitgrad {release}"
html_static_path = ["_static"]
html_css_files = ["circuitgrad.css"]
html_show_sourcelink = False
html_copy_source = False
html_favicon = "_static/favicon.svg"
