"""The look every figure shares: colours, font, numbers, HTML-like labels and legends.

Graphviz's HTML-like labels (`label=<...>`) let a node hold a table of cells; the
helpers here build them from text that is always escaped first (`escape`), so a Value
labelled `<b>` or `\\N` shows exactly that.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence

from .rendering import TimedDigraph

FONT = "Helvetica,Arial,sans-serif"

# Fills of the value boxes and units, by kind
FILL_INPUT = "#dbeafe"  # light blue: a leaf that is not a parameter
FILL_PARAM = "#fde68a"  # amber: a parameter
FILL_ROOT = "#bbf7d0"  # green: the root (J)
FILL_VALUE = "#ffffff"  # white: made by an op
FILL_OP = "#f5f5f5"  # the op circles
FILL_CLOSED = "#d4d4d4"  # a unit or gate the gradient cannot pass

# Lines and text
POSITIVE = "#1d4ed8"  # blue: a positive weight
NEGATIVE = "#dc2626"  # red: a negative weight
ZERO = "#9ca3af"  # grey: a zero weight
OPEN_GATE = "#15803d"  # green
CLOSED_GATE = "#6b7280"  # grey
CURRENT = "#ea580c"  # orange: the node backward is at, in backward_frames
WRONG = "#dc2626"  # red: a gradient a wrong backward gets wrong, in lab.compare
QUIET = "#555555"  # secondary text: local derivatives, titles

#: A legend entry: (swatch markup, text). The swatch is a filled cell or coloured text.
LegendItem = tuple[str, str]


def new_digraph(name: str, rankdir: str) -> TimedDigraph:
    """An empty Digraph with the shared font, which Jupyter shows with dot's timeout."""
    graph = TimedDigraph(name=name)
    graph.attr("graph", rankdir=rankdir, fontname=FONT)
    graph.attr("node", fontname=FONT)
    graph.attr("edge", fontname=FONT)
    return graph


def number(x: float) -> str:
    """x to 4 significant digits; -0.0 shows as 0."""
    if x == 0.0:
        return "0"
    return f"{x:.4g}"


def escape(text: str) -> str:
    """text for inside an HTML-like label, shown literally.

    Control characters become visible escapes (a newline shows as \\n); spaces of any
    width stay spaces. Backslashes are doubled because dot still reads \\N, \\G, \\n...
    inside HTML-like labels; then & < > " become entities. { } | need nothing here: they
    are special only in record labels.
    """
    visible = "".join(
        ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else repr(ch)[1:-1]
        for ch in text
    )  # spaces are text: a figure space (U+2007) keeps a number's width, as a digit
    return html.escape(visible.replace("\\", "\\\\"), quote=True)


def html_label(markup: str) -> str:
    """markup (already escaped) wrapped as an HTML-like label, which graphviz passes as is."""
    return f"<{markup}>"


def fill_swatch(colour: str, dashed: bool = False) -> str:
    """A legend swatch: a small box filled with colour (a dashed outline when asked)."""
    style = ' style="dashed"' if dashed else ""
    return f'<td bgcolor="{colour}" border="1" width="18"{style}> </td>'


def line_swatch(colour: str, dashed: bool = False) -> str:
    """A legend swatch: a short line in colour, dashed or solid, drawn as a cell's bottom
    border (a line, where dashes typed as text read as a minus sign or a dash)."""
    style = ' style="dashed"' if dashed else ""
    return (
        f'<td sides="b" border="2" color="{colour}"{style} width="24" height="8" '
        'fixedsize="true"></td>'
    )


#: Room between two entries of a legend row, in points: with any font, they cannot run
#: together.
LEGEND_GAP = 14


def legend(items: Sequence[LegendItem], per_row: int = 3) -> str:
    """The legend as an HTML-like label: `per_row` entries a row, each swatch then text."""
    rows = []
    gap = f'<td width="{LEGEND_GAP}"></td>'
    for start in range(0, len(items), per_row):
        cells = gap.join(
            f'{swatch}<td align="left">{escape(text)}</td>'
            for swatch, text in items[start : start + per_row]
        )
        rows.append(f"<tr>{cells}</tr>")
    return html_label(
        '<table border="0" cellspacing="2" cellpadding="2">' + "".join(rows) + "</table>"
    )
