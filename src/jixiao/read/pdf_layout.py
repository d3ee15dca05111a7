"""One PDF page's text layer as a reader sees it: ruled tables as grids of cells,
the other text as lines in reading order (left column, then right, on a page
set in two columns).

Everything is rebuilt from glyph positions, not from the lines MuPDF groups:
a quotation mark set in another font, or a decimal point, comes out of MuPDF
as a line of its own, and a table cell's lines are only known by the ruling
lines around them (`find_tables`, strategy "lines").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pymupdf

Box = tuple[float, float, float, float]

# Rows are lines and cells are separated by tabs (as for Word tables).
_CELL_BREAKS = re.compile("[\t\n\r\v\f]")
# The line a table's continuation may start with: 续表, 续表2, （续）, 续上表.
CONTINUED = re.compile(r"[（(]?\s*续\s*(?:上?表\s*[\w.-]{0,8})?\s*[）)]?")


@dataclass(frozen=True)
class Glyph:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    baseline: float
    size: float
    fragment: int  # the MuPDF line it came in, for telling columns apart


@dataclass
class TextLine:
    text: str
    box: Box
    glyphs: list[Glyph] = field(default_factory=list)


@dataclass
class TableCell:
    """A cell of a page's table; a merged cell's text stands in every position it covers."""

    text: str
    merged_above: bool = False
    # Room left at the end of its last line, and the width of its first word:
    # a page break cut a cell's text if the rest's first word would not fit the room.
    room: float = 0.0
    lead: float = 0.0


@dataclass
class PageTable:
    box: Box
    columns: list[float]  # each column's left edge
    rows: list[list[TableCell]]
    # For the rest of a table a page break cut: its part on the page it begins on.
    first_part: PageTable | None = None
    # Drawn with ruling lines; a table without them has edges only where its text stands.
    ruled: bool = True

    @property
    def continued(self) -> bool:
        return self.first_part is not None


@dataclass
class PageLayout:
    """A page's tables and the glyphs outside them, before lines are built."""

    width: float
    height: float
    tables: list[PageTable]
    free: list[Glyph]


def read_page(page: pymupdf.Page) -> PageLayout | None:
    """The page's glyphs, and its ruled tables with the glyphs inside them read
    as cells; None for a page without text.

    Glyphs come in the page's own (unrotated) coordinates, in which its text is
    set; find_tables answers in those of the page as shown (turned by its
    /Rotate), which are turned back.
    """
    glyphs = _glyphs(page)
    if not glyphs:
        return None
    found = page.find_tables(strategy="lines", use_layout=False)
    turn: tuple[float, ...] | None = None
    if page.rotation:
        m = page.derotation_matrix
        turn = (m.a, m.b, m.c, m.d, m.e, m.f)
    tables, free = [], glyphs
    # find_tables answers None when its analysis fails on a page: the page is then prose.
    for table in found.tables if found is not None else []:
        cells = [_turned(box, turn) for row in table.rows for box in row.cells if box]
        bbox = _turned(table.bbox, turn)
        inside = [g for g in free if _centre_in(g, bbox)]
        grid = _page_table(bbox, cells, inside)
        if not inside or len(grid.columns) < 2:
            continue  # a frame around a paragraph is no table
        free = [g for g in free if not _centre_in(g, bbox)]
        tables.append(grid)
    width, height = page.rect.width, page.rect.height
    if page.rotation in (90, 270):
        width, height = height, width
    return PageLayout(width, height, tables, free)


def _turned(box: Box, matrix: tuple[float, ...] | None) -> Box:
    """A box in the coordinates a matrix of quarter turns maps it to."""
    if matrix is None:
        x0, y0, x1, y1 = box
        return (x0, y0, x1, y1)
    a, b, c, d, e, f = matrix
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[3])):
        xs.append(a * x + c * y + e)
        ys.append(b * x + d * y + f)
    return (min(xs), min(ys), max(xs), max(ys))


def _glyphs(page: pymupdf.Page) -> list[Glyph]:
    """The page's visible characters, each once; the spaces MuPDF makes up are
    left out, and spacing is decided from the gaps instead."""
    glyphs = []
    fragment = 0
    for block in page.get_text("rawdict")["blocks"]:
        for line in block.get("lines", ()):
            fragment += 1
            for span in line["spans"]:
                size = span["size"] or 1.0
                for char in span["chars"]:
                    if not char["c"].strip():
                        continue
                    x0, y0, x1, y1 = char["bbox"]
                    baseline = char["origin"][1]
                    glyphs.append(Glyph(char["c"], x0, y0, x1, y1, baseline, size, fragment))
    return _once(glyphs)


# Glyphs of one character closer than this (in ems) are one glyph printed twice.
_DOUBLE = 0.15


def _once(glyphs: list[Glyph]) -> list[Glyph]:
    """The glyphs without their doubles: a shadow, or bold faked by printing the
    text again a hair to the side, is a second copy of every character."""
    kept: list[Glyph] = []
    seen: dict[str, list[Glyph]] = {}
    for glyph in glyphs:
        same = seen.setdefault(glyph.text, [])
        near = _DOUBLE * glyph.size
        if any(
            abs(glyph.x0 - other.x0) < near and abs(glyph.baseline - other.baseline) < near
            for other in same
        ):
            continue
        same.append(glyph)
        kept.append(glyph)
    return kept


def _centre_in(glyph: Glyph, box: Box) -> bool:
    x, y = (glyph.x0 + glyph.x1) / 2, (glyph.y0 + glyph.y1) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


# --- tables ------------------------------------------------------------------


def _page_table(bbox: Box, cells: list[Box], glyphs: list[Glyph]) -> PageTable:
    """The table's grid, from the edges of its cells: a merged cell's text stands
    in every position it covers."""
    columns = _edges(box[0] for box in cells)
    tops = _edges(box[1] for box in cells)
    read = {box: cell_text([g for g in glyphs if _centre_in(g, box)], box) for box in cells}
    rows = []
    for top in tops:
        row = []
        for left in columns:
            box = _owner(cells, left + _SAME, top + _SAME)
            if box is None:
                row.append(TableCell(""))
            else:
                row.append(replace(read[box], merged_above=box[1] < top - _SAME))
        rows.append(row)
    return PageTable(bbox, columns, rows)


# Edges of cells closer than this are one ruling line.
_SAME = 1.0


def _edges(values: Iterable[float]) -> list[float]:
    edges: list[float] = []
    for value in sorted(values):
        if not edges or value - edges[-1] > _SAME:
            edges.append(value)
    return edges


def _owner(boxes: Sequence[Box], x: float, y: float) -> Box | None:
    return next((b for b in boxes if b[0] <= x <= b[2] and b[1] <= y <= b[3]), None)


def cell_text(glyphs: list[Glyph], box: Box) -> TableCell:
    """A cell's text on one line. A wrapped line continues the one before it:
    CJK text runs on, Latin words are kept apart by a space (a figure wrapped
    inside a cell runs on too)."""
    lines = build_lines(glyphs)
    if not lines:
        return TableCell("")
    text = ""
    for line in lines:
        if text and _letter(text[-1]) and _letter(line.text[0]):
            text += " "
        text += line.text
    padding = max(min(line.box[0] for line in lines) - box[0], 0)
    room = box[2] - padding - lines[-1].box[2]
    return TableCell(_CELL_BREAKS.sub(" ", text), room=room, lead=_first_word(lines[0].glyphs))


def _first_word(glyphs: list[Glyph]) -> float:
    """The width of a line's first word: a CJK character, or a run of others."""
    end = glyphs[0]
    for before, glyph in pairwise(glyphs):
        if wide(before.text) or wide(glyph.text) or _gap(before, glyph):
            break
        end = glyph
    return end.x1 - glyphs[0].x0


def _letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


# --- lines -------------------------------------------------------------------


def build_lines(glyphs: Iterable[Glyph]) -> list[TextLine]:
    """Glyphs into lines, by baseline, each line left to right; a gap wider than
    a space becomes spaces in proportion, so that columns set apart by spacing
    stay apart in the text."""
    lines: list[list[Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: (g.baseline, g.x0)):
        if lines and abs(glyph.baseline - lines[-1][0].baseline) <= 0.4 * glyph.size:
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    return [_line(sorted(line, key=lambda g: g.x0)) for line in lines]


def _line(glyphs: list[Glyph]) -> TextLine:
    text = glyphs[0].text
    for before, glyph in pairwise(glyphs):
        text += _gap(before, glyph) + glyph.text
    box = (
        min(g.x0 for g in glyphs),
        min(g.y0 for g in glyphs),
        max(g.x1 for g in glyphs),
        max(g.y1 for g in glyphs),
    )
    return TextLine(text, box, glyphs)


def _gap(before: Glyph, after: Glyph) -> str:
    """The spaces a gap between two glyphs reads as. A narrow gap next to a CJK
    character is the typesetter's spacing between scripts (``2023 年``), not a space."""
    size = max(before.size, after.size)
    gap = after.x0 - before.x1
    cjk = wide(before.text) or wide(after.text)
    if gap < (0.9 if cjk else 0.2) * size:
        return ""
    # A space is about half an em wide; two or more mark a column gap.
    return " " * max(1, round(gap / (0.5 * size)))


def wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


# --- reading order -----------------------------------------------------------


@dataclass
class _Piece:
    """A stretch of text MuPDF set as one line, or a table: what columns are found from."""

    box: Box
    glyphs: list[Glyph] = field(default_factory=list)
    table: PageTable | None = None


def order(layout: PageLayout) -> list[TextLine | PageTable]:
    """The page's lines and tables in reading order: top to bottom, and on a page
    set in two columns, the left column before the right one between the lines
    that span both."""
    pieces = _pieces(layout)
    gutter = _gutter(pieces, layout.width)
    if gutter is None:
        return _top_down(pieces)
    items: list[TextLine | PageTable] = []
    left: list[_Piece] = []
    right: list[_Piece] = []
    for piece in sorted(pieces, key=lambda p: p.box[1]):
        if piece.box[2] <= gutter:
            left.append(piece)
        elif piece.box[0] >= gutter:
            right.append(piece)
        else:  # spans both columns: the columns above it end here
            items += _top_down(left) + _top_down(right) + _top_down([piece])
            left, right = [], []
    return items + _top_down(left) + _top_down(right)


def _pieces(layout: PageLayout) -> list[_Piece]:
    by_fragment: dict[int, list[Glyph]] = {}
    for glyph in layout.free:
        by_fragment.setdefault(glyph.fragment, []).append(glyph)
    pieces = [_Piece(glyph_box(glyphs), glyphs) for glyphs in by_fragment.values()]
    return pieces + [_Piece(table.box, table=table) for table in layout.tables]


def glyph_box(glyphs: Sequence[Glyph]) -> Box:
    return (
        min(g.x0 for g in glyphs),
        min(g.y0 for g in glyphs),
        max(g.x1 for g in glyphs),
        max(g.y1 for g in glyphs),
    )


def _top_down(pieces: list[_Piece]) -> list[TextLine | PageTable]:
    """Tables and the lines built from the other pieces' glyphs, by height on the page."""
    glyphs = [g for piece in pieces if piece.table is None for g in piece.glyphs]
    tables = [piece.table for piece in pieces if piece.table is not None]
    items: list[TextLine | PageTable] = [*build_lines(glyphs), *tables]
    return sorted(items, key=lambda item: item.box[1])


# A page is read as two columns only when each side has this many lines of its
# own, most of them filling their column: a signature block or a date set to the
# right of a single column is not a column.
_COLUMN_LINES = 3
_FULL_LINE = 0.6


def _gutter(pieces: list[_Piece], width: float) -> float | None:
    """The x of the gap between two columns, or None for a page in one column."""
    if len(pieces) < 2 * _COLUMN_LINES:
        return None
    left_edge = min(p.box[0] for p in pieces)
    right_edge = max(p.box[2] for p in pieces)
    best: tuple[int, float] | None = None
    for step in range(30, 71):
        x = left_edge + (right_edge - left_edge) * step / 100
        crossing = sum(1 for p in pieces if p.box[0] < x < p.box[2])
        if best is None or crossing < best[0]:
            best = (crossing, x)
    if best is None:
        return None
    gutter = _gap_middle(pieces, best[1])
    left = [p for p in pieces if p.box[2] <= gutter and p.table is None]
    right = [p for p in pieces if p.box[0] >= gutter and p.table is None]
    if not (_fills(left, left_edge, gutter) and _fills(right, gutter, right_edge)):
        return None
    # Side by side: some line of each column stands level with one of the other.
    if not any(_level(a.box, b.box) for a in left for b in right):
        return None
    return gutter


def _gap_middle(pieces: list[_Piece], x: float) -> float:
    """The middle of the empty band around x between the pieces left and right of it."""
    lefts = [p.box[2] for p in pieces if p.box[2] <= x]
    rights = [p.box[0] for p in pieces if p.box[0] >= x]
    if not lefts or not rights:
        return x
    return (max(lefts) + min(rights)) / 2


def _fills(pieces: list[_Piece], start: float, end: float) -> bool:
    if len(pieces) < _COLUMN_LINES:
        return False
    full = sum(1 for p in pieces if p.box[2] - p.box[0] >= _FULL_LINE * (end - start))
    return full * 2 >= len(pieces)


def _level(a: Box, b: Box) -> bool:
    return min(a[3], b[3]) - max(a[1], b[1]) > 0.5 * min(a[3] - a[1], b[3] - b[1])
