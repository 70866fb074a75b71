"""What fails the build besides Sphinx's own warnings (conf.py builds with -W):

* a public module, class, function, method or property without a docstring
  (autodoc reaches every public name through api_reference.py);
* a link or a resource on a built page that points to a page, a file or an
  anchor the site does not have. Links to other sites are counted, not
  followed: the build runs offline.
"""
import html.parser
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)
NEEDS_DOCSTRING = {"module", "class", "exception", "function", "method", "property"}


def require_docstring(app, what, name, obj, options, lines):
    """autodoc-process-docstring: a public callable, class or module documented with nothing."""
    if what not in NEEDS_DOCSTRING or name.rsplit(".", 1)[-1].startswith("_"):
        return
    # a class shows its base class's docstring when it has none: only its own counts
    own = obj.__dict__.get("__doc__") if what in ("class", "exception") else "\n".join(lines)
    if not (own or "").strip():
        logger.warning(f"missing docstring: {what} {name}")


def skip_undocumented_data(app, what, name, obj, skip, options):
    """autodoc-skip-member: class attributes that are plain data and have no docstring
    (an `unary = None` default, a slot) are implementation, not API."""
    if skip or callable(obj) or isinstance(obj, property) or name.startswith("_"):
        return None
    doc = getattr(obj, "__doc__", None)
    return True if doc is None or doc is type(obj).__doc__ else None


class _Links(html.parser.HTMLParser):
    """The anchors a page defines and the links and resources it points to."""

    def __init__(self):
        super().__init__()
        self.ids, self.targets = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "link" and attrs.get("rel") == "canonical"):
                self.targets.append(attrs[key])


def broken_links(outdir):
    """(page, target) for every local link of the built site that leads nowhere, and
    the set of external links."""
    outdir = Path(outdir)
    pages = {}
    for page in outdir.rglob("*.html"):
        parsed = _Links()
        parsed.feed(page.read_text(encoding="utf-8", errors="replace"))
        pages[page.relative_to(outdir).as_posix()] = parsed
    broken, external = [], set()
    for page, parsed in pages.items():
        for target in parsed.targets:
            parts = urlsplit(target)
            if parts.scheme in ("http", "https") or target.startswith("//"):
                external.add(target)
                continue
            if parts.scheme:                       # data:, mailto:, javascript:
                continue
            path = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path))) \
                if parts.path else page
            if path.startswith("../") or not (outdir / path).exists():
                broken.append((page, target))
            elif parts.fragment and path in pages and unquote(parts.fragment) not in pages[path].ids:
                broken.append((page, target))
    return broken, external


def check_links(app, exception):
    """build-finished: fail on a broken local link."""
    if exception is not None or app.builder.format != "html":
        return
    broken, external = broken_links(app.outdir)
    for page, target in broken:
        logger.warning(f"broken link in {page}: {target}")
    logger.info(f"links: {len(external)} to other sites (not followed offline), "
                f"{len(broken)} broken on this site")
    if broken:
        raise ExtensionError(f"{len(broken)} broken links on the site (listed above)")


def setup(app):
    app.connect("autodoc-process-docstring", require_docstring)
    app.connect("autodoc-skip-member", skip_undocumented_data)
    app.connect("build-finished", check_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
