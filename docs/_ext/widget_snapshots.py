"""Interactive cells on a static page: a snapshot, and how to run them live.

A cell with ipywidgets (`widgets.interact(...)` with sliders) needs a running
kernel to move. When myst-nb executes a lesson, nbclient keeps the widgets'
state in the executed notebook's metadata (and jupyter-cache keeps that), and what the cell drew at the sliders' starting
values is in the state of its Output widget, not among the cell's outputs. This
extension replaces each widget view on the page with a note (the controls and
their starting values, and how to run the lesson live: `make lessons` opens the
lessons in Voila) followed by that snapshot. No widget JavaScript is loaded
(conf.py sets nb_ipywidgets_js to nothing): the site works offline.
"""
import html
import json

import nbformat
from docutils import nodes
from jupyter_cache import get_cache

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def widget_models(app, docname):
    """The widget models of a lesson as executed (by model id), {} for none: from
    jupyter-cache, where myst-nb keeps every executed lesson (conf.py: nb_execution_mode
    "cache"), with the notebook metadata nbclient stored the widgets' state in."""
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    try:
        record = cache.match_cache_notebook(nbformat.read(app.env.doc2path(docname), as_version=4))
    except KeyError:               # not executed (not a notebook, or execution is off)
        return {}
    metadata = cache.get_cache_bundle(record.pk).nb.metadata
    return metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def descendants(models, model_id):
    """The model and every model inside it (children of boxes), depth first."""
    found, stack = [], [model_id]
    while stack:
        model = models.get(stack.pop())
        if model is None:
            continue
        found.append(model)
        children = model.get("state", {}).get("children", [])
        stack.extend(child.removeprefix("IPY_MODEL_") for child in reversed(children))
    return found


def controls(models):
    """"w0 = 2" for every control that has a description and a value (sliders, dropdowns, boxes)."""
    return [f"{m['state']['description']} = {m['state']['value']}" for m in models
            if m.get("state", {}).get("description") and "value" in m["state"]]


def rendered(output):
    """One output of an Output widget as docutils nodes (HTML first, as in a notebook)."""
    if output.get("output_type") == "stream":
        return [nodes.literal_block(text=output.get("text", ""), classes=["output", "stream"])]
    data = output.get("data", {})
    if "text/html" in data:
        return [nodes.raw("", "".join(data["text/html"]), format="html")]
    if "image/svg+xml" in data:
        svg = "".join(data["image/svg+xml"])
        return [nodes.raw("", svg[svg.index("<svg"):], format="html")]
    if "image/png" in data:
        return [nodes.raw("", f'<img src="data:image/png;base64,{data["image/png"]}" alt="output">',
                          format="html")]
    if "text/plain" in data:
        return [nodes.literal_block(text="".join(data["text/plain"]), classes=["output"])]
    return []


def snapshot(models, model_id):
    """A note naming the controls and saying how to run the cell live, then the drawn outputs."""
    inside = descendants(models, model_id)
    note = nodes.admonition(classes=["widget-snapshot"])
    note += nodes.title(text="Interactive cell: a snapshot")
    text = nodes.paragraph(text="In Jupyter, or live in your browser with ")
    text += nodes.literal(text="make lessons")
    text += nodes.Text(" (Voilà), this cell has controls that redraw its output: ")
    text += nodes.literal(text=", ".join(controls(inside)) or "no controls")
    text += nodes.Text(". This page shows what it draws at those starting values.")
    note += text
    shown = [node for model in inside for output in model.get("state", {}).get("outputs", [])
             for node in rendered(output)]
    return [note] + shown


def replace_widget_views(app, doctree):
    """doctree-read: every widget view of a notebook page becomes its snapshot."""
    views = [bundle for bundle in doctree.findall(nodes.container)
             if bundle.get("nb_element") == "mime_bundle"
             and any(child.get("mime_type") == WIDGET_VIEW for child in bundle.children)]
    if not views:
        return
    models = widget_models(app, app.env.docname)
    for bundle in views:
        view = next(child for child in bundle.children if child.get("mime_type") == WIDGET_VIEW)
        script = view.astext()
        model_id = json.loads(html.unescape(script[script.index(">") + 1:script.rindex("<")]))["model_id"]
        bundle.replace_self(snapshot(models, model_id))


def setup(app):
    app.connect("doctree-read", replace_widget_views)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
