"""circuitgrad's docstrings are plain text, read as they are in the source or in
`help()`: prose with `code` in backticks, formulas in Unicode (|x|, a*b, x_i),
bullets, and indented blocks (examples, aligned tables of formulas). reStructuredText
would read much of that as markup (|x| as a substitution, *...* as emphasis,
kaiming_normal_ as a link target, an indented line as a quotation). This turns
each docstring, as autodoc hands it over, into reStructuredText that shows the
same text: `code` becomes an inline literal, indented blocks become literal
blocks, bullets stay bullets, and every other markup character is escaped.
"""
import re

BULLET = re.compile(r"^([*\-•] )")
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


def to_rst(lines):
    """The lines of a plain-text docstring as reStructuredText lines."""
    out, literal = [], []

    def flush_literal():
        if literal:
            while literal and not literal[-1].strip():
                literal.pop()
            out.extend(["::", ""] + ["    " + line for line in literal] + [""])
            literal.clear()

    for block in blocks(lines):
        if indent_of(block[0]) > 0:                # indented: an example or a table, kept as it is
            if literal:
                literal.append("")
            literal.extend(block)
            continue
        flush_literal()
        if BULLET.match(block[0]):                 # bullets, their continuation lines indented
            for line in block:
                if indent_of(line) == 0 and BULLET.match(line):
                    marker = BULLET.match(line).group(1)
                    out.append("* " + escaped(line[len(marker):]))
                else:
                    out.append("  " + escaped(line.strip()))
            out.append("")
            continue
        split = next((i for i, line in enumerate(block) if indent_of(line) > 0), len(block))
        prose = block[:split]
        out.extend(escaped(line) for line in prose)
        out.append("")
        literal.extend(block[split:])               # prose ending in an indented example
    flush_literal()
    return out


def convert(app, what, name, obj, options, lines):
    """autodoc-process-docstring: plain text in, reStructuredText out (in place)."""
    lines[:] = to_rst(list(lines))


def setup(app):
    # before checks.py's handler (priority 500) so that both see the same lines
    app.connect("autodoc-process-docstring", convert, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
