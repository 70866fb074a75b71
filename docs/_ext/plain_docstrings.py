"""circuitgrad's docstrings are plain text, read as they are in the source or in
`help()`: prose with `code` in backticks, formulas in Unicode (|x|, a*b, x_i),
bullets, and indented blocks (examples, aligned tables of formulas). reStructuredText
would read much of that as markup (|x| as a substitution, *...* as emphasis,
kaiming_normal_ as a link target, an indented line as a quotation). This turns
each docstring, as autodoc hands it over, into reStructuredText that shows the
same text: `code` becomes an inline literal, indented blocks become literal
blocks, lists stay lists, and every other markup character is escaped.
"""
import re

ITEM = re.compile(r"^([*\-•] |\d+[.)] )")      # a bullet or a numbered item, at the margin
CODE = re.compile(r"`([^`]+)`")


def escaped(text):
    """Prose with no markup but `code` spans, as reStructuredText showing the same characters."""
    pieces = []
    for i, piece in enumerate(CODE.split(text)):
        if i % 2:                                  # inside backticks: an inline literal
            pieces.append(f"\\ ``{piece.strip()}``\\ " if piece.strip() else "\\`\\`")
        else:
            pieces.append(re.sub(r"([\\*|_`\[\]<>:])", r"\\\1", piece))
    return "".join(pieces)


def indent_of(line):
    return len(line) - len(line.lstrip())


def blocks(lines):
    """The docstring split at blank lines, as lists of lines."""
    block = []
    for line in lines + [""]:
        if line.strip():
            block.append(line.rstrip())
        elif block:
            yield block
            block = []


def runs(block):
    """A block as runs of lines: a list (items with their indented continuations) is one
    run; otherwise each stretch of indented or of unindented lines is one."""
    if ITEM.match(block[0]):
        return [block]
    found = []
    for line in block:
        if found and (indent_of(line) > 0) == (indent_of(found[-1][-1]) > 0):
            found[-1].append(line)
        else:
            found.append([line])
    return found


def to_rst(lines):
    """The lines of a plain-text docstring as reStructuredText lines."""
    out, literal = [], []

    def flush_literal():
        if literal:
            out.extend(["::", ""] + ["    " + line for line in literal] + [""])
            literal.clear()

    for block in blocks(lines):
        for run in runs(block):
            if indent_of(run[0]) > 0:              # indented: an example or a table, kept as it is
                if literal:
                    literal.append("")             # indented blocks in a row: one literal block
                literal.extend(run)
            elif ITEM.match(run[0]):               # a list: items, their continuation lines indented
                flush_literal()
                for line in run:
                    item = ITEM.match(line) if indent_of(line) == 0 else None
                    if item:
                        marker = "* " if item.group(1)[0] in "*-•" else item.group(1)
                        out.append(marker + escaped(line[len(item.group(1)):]))
                    else:
                        out.append(" " * len(marker) + escaped(line.strip()))
                out.append("")
            else:
                flush_literal()
                out.extend(escaped(line) for line in run)
                out.append("")
    flush_literal()
    return out


def convert(app, what, name, obj, options, lines):
    """autodoc-process-docstring: plain text in, reStructuredText out (in place)."""
    lines[:] = to_rst(list(lines))


def setup(app):
    # before checks.py's handler (priority 500) so that both see the same lines
    app.connect("autodoc-process-docstring", convert, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
