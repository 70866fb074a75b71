"""The API reference of a package, generated from its docstrings by autodoc.

    ```{api-reference} nn
    ```

One section per public module of the package (the package itself first, then
every module below it whose dotted name has no part starting with "_"), with
the module's docstring and its public names: those in its `__all__`, or, without
one, the classes and functions it defines whose names do not start with "_".
A name is documented once, in the first module that offers it (so `nn.Linear`,
not `nn.layers.linear.Linear`). Nothing lists modules or names here: a module
or a name added to the package is on the page at the next build. Gates (the
values of the gate tables) are on the gate table page instead. checks.py makes
a public name without a docstring fail the build.
"""
import importlib
import inspect
import pkgutil

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from autograd import Gate


def public_modules(package):
    """The package and its public modules, each package before what it holds."""
    root = importlib.import_module(package)
    found = [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")
             if not any(part.startswith("_") for part in m.name.split("."))]
    return [package] + sorted(found)


def public_names(module):
    """What a module offers: its `__all__`, or the classes and functions defined in it."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name, obj in vars(module).items()
                 if not name.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
                 and getattr(obj, "__module__", None) == module.__name__]
    return [name for name in names
            if not inspect.ismodule(getattr(module, name)) and not isinstance(getattr(module, name), Gate)]


def directive_for(qualified, obj):
    """The autodoc directive lines documenting one public name."""
    if inspect.isclass(obj):
        return [f".. autoclass:: {qualified}", "   :members:", "   :undoc-members:", ""]
    if callable(obj):
        return [f".. autofunction:: {qualified}", ""]
    return [f".. autodata:: {qualified}", "   :no-value:", ""]


class ApiReference(SphinxDirective):
    """`{api-reference} package`: a section per public module, with autodoc entries."""

    required_arguments = 1

    def run(self):
        documented, sections = set(), []
        for module_name in public_modules(self.arguments[0]):
            module = importlib.import_module(module_name)
            # :no-index:: a module may share its name with a function it exports (autograd.draw)
            lines = [f".. automodule:: {module_name}", "   :no-index:", ""]
            for name in public_names(module):
                obj = getattr(module, name)
                if id(obj) in documented:
                    continue
                documented.add(id(obj))
                lines += directive_for(f"{module_name}.{name}", obj)
            content = StringList(lines, source=f"<api-reference {module_name}>")
            if module_name == self.arguments[0]:       # the package itself: under the page's title
                container = nodes.container()
                self.state.nested_parse(content, self.content_offset, container)
                sections.extend(container.children)
                continue
            section = nodes.section(ids=[nodes.make_id(f"module-section-{module_name}")])
            section += nodes.title("", "", nodes.literal(text=module_name))
            self.state.nested_parse(content, self.content_offset, section)
            sections.append(section)
        return sections


def setup(app):
    app.add_directive("api-reference", ApiReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
