"""PDF files: the text layer page by page, its ruled tables as grids; a page
without text carries its image for OCR.

Each page is read by `pdf_layout`: ruled tables become grids (one row a line,
cells separated by tabs, as Word tables are written), the other text comes in
reading order around them. Across the pages, what a reader skips is left out:
lines repeated at the same place in the top or bottom margin of most pages
(running heads and footers) and page numbers there. A table that a page break
cut is joined into one grid: the header the next page repeats is dropped, and a
row the break split is joined again.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from jixiao.document import Cell, Grid, Loaded, Page
from jixiao.read.base import LoadError, TextBuilder
from jixiao.read.pdf_layout import (
    CONTINUED,
    PageLayout,
    PageTable,
    TableCell,
    TextLine,
    build_lines,
    order,
    read_page,
)
from jixiao.read.pdf_unruled import unruled_tables

if TYPE_CHECKING:
    import pymupdf


@cache
def mupdf() -> ModuleType:
    """pymupdf, imported with the first PDF or image: importing it costs a process
    over 100 MB, which the workers of a batch of text and Word files need not pay."""
    import pymupdf

    return pymupdf


def mupdf_errors() -> tuple[type[BaseException], ...]:
    # FileDataError is a RuntimeError, but mupdf's own errors (FzErrorFormat, ...)
    # derive from Exception only.
    return (RuntimeError, ValueError, mupdf().mupdf.FzErrorBase)


_PAGE_DPI = 200

_REEXPORT = "re-export or re-download it, or convert it to TXT"


@dataclass
class _Page:
    number: int
    layout: PageLayout | None  # None for a page without text
    image: bytes | None = None
    items: list[TextLine | PageTable] = field(default_factory=list)


def load_pdf(path: Path, data: bytes, digest: str) -> Loaded:
    with _open_pdf(path, data) as document:
        pages: list[_Page] = []
        try:
            for page in document:
                pages.append(_read(page))
        except mupdf_errors() as error:
            raise LoadError(
                path, f"a damaged PDF (page {len(pages) + 1} cannot be read)", _REEXPORT
            ) from error
    _drop_furniture([page.layout for page in pages if page.layout is not None])
    unruled_tables([page.layout for page in pages])
    for page in pages:
        if page.layout is not None:
            page.items = order(page.layout)
    _join_broken_tables(pages)
    return _write(path, digest, pages)


def _read(page: pymupdf.Page) -> _Page:
    layout = read_page(page)
    image = None if layout is not None else page.get_pixmap(dpi=_PAGE_DPI).tobytes("png")
    return _Page(page.number + 1, layout, image=image)


# --- running heads, footers and page numbers ----------------------------------

# Where running heads and footers stand: the top and bottom of the page.
_MARGIN = 0.12
_PAGE_NUMBER = re.compile(
    r"[-–—\s]*(?:"
    r"第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"
    r"|共\s*\d+\s*页\s*[,，]?\s*第\s*\d+\s*页"
    r"|(?:page\s*)?\d+(?:\s*(?:/|of)\s*\d+)?"
    r")[-–—\s]*",
    re.IGNORECASE,
)


def _drop_furniture(layouts: list[PageLayout]) -> None:
    """Take out of each page the margin lines a reader skips: a page number, or
    a line that stands at the same place on most pages (the figures in it, such
    as the page number, may change) apart from the text. A table's header
    printed again at the top of each page stands against the table's rows."""
    margins = [_margin_lines(layout) for layout in layouts]
    seen = Counter(key for lines in margins for key in {_key(line) for line in lines})
    repeated = {key for key, count in seen.items() if count >= 2 and count * 2 > len(layouts)}
    for layout, lines in zip(layouts, margins, strict=True):
        kept = [line for line in build_lines(layout.free) if _key(line) not in repeated]
        dropped = {
            id(glyph)
            for line in lines
            if (_key(line) in repeated and not _against(line, kept))
            or _PAGE_NUMBER.fullmatch(line.text)
            for glyph in line.glyphs
        }
        layout.free = [glyph for glyph in layout.free if id(glyph) not in dropped]


def _against(line: TextLine, others: list[TextLine]) -> bool:
    """Whether another line stands within an em of the line, above or below."""
    size = line.glyphs[0].size
    return any(
        max(other.box[1] - line.box[3], line.box[1] - other.box[3]) < size for other in others
    )


def _key(line: TextLine) -> tuple[int, str]:
    """What finds a margin line on other pages: its height, its text with digits as #."""
    return round(line.box[3] / 3), re.sub(r"\d", "#", line.text)


def _margin_lines(layout: PageLayout) -> list[TextLine]:
    top, bottom = layout.height * _MARGIN, layout.height * (1 - _MARGIN)
    return build_lines(g for g in layout.free if g.y1 <= top or g.y0 >= bottom)


# --- tables a page break cut ---------------------------------------------------

# The edges of one table's columns on two pages differ by rounding only.
_SAME_EDGE = 2.0
# Or, for a table without ruling lines, by the width of a character.
_ONE_EM = 10.0


def _join_broken_tables(pages: list[_Page]) -> None:
    """Join a table that ends a page to the table that starts the next one when
    both stand between the same edges and the columns of one are among those of
    the other (rows on one page may merge columns the other page splits): the
    next page's repeat of the header is dropped, and a row the break split is
    one row again, and a 续表 line above the rest of the table is dropped. The
    joined rows stay on the page they are printed on."""
    for before, after in pairwise(pages):
        marks = _continued_marks(after.items)
        if not before.items or len(after.items) <= marks:
            continue
        first, second = before.items[-1], after.items[marks]
        if not (isinstance(first, PageTable) and isinstance(second, PageTable)):
            continue
        if second.continued:  # read as one table already, over the break
            del after.items[:marks]
            continue
        columns = _shared_columns(first, second)
        if columns is None and not (first.ruled or second.ruled):
            columns = _aligned_columns(first, second)
        if columns is None:
            continue
        del after.items[:marks]
        head = first.first_part or first
        for part in (head, first, second):
            _spread(part, columns)
        rows = _without_repeated_header(head.rows, second.rows)
        if rows and _split_row(first.rows[-1], rows[0]):
            joined = [_join_cells(a, b) for a, b in zip(first.rows[-1], rows[0], strict=True)]
            first.rows[-1] = joined
            rows = rows[1:]
            for column, cell in enumerate(joined):
                _merged_down(rows, column, cell.text)
        elif rows:
            rows[0] = _merges_going_on(first.rows[-1], rows)
        if not rows:  # the page repeats the header only
            after.items.remove(second)
            continue
        second.rows = rows
        second.first_part = head


def _continued_marks(items: list[TextLine | PageTable]) -> int:
    """How many lines at the top of a page say that the table goes on."""
    count = 0
    for item in items:
        if not isinstance(item, TextLine) or not CONTINUED.fullmatch(item.text.strip()):
            break
        count += 1
    return count


def _shared_columns(first: PageTable, second: PageTable) -> list[float] | None:
    """The column edges of both tables, if they are one table's: the same outer
    edges, and the columns of one among those of the other."""
    if (
        abs(first.box[0] - second.box[0]) > _SAME_EDGE
        or abs(first.box[2] - second.box[2]) > _SAME_EDGE
    ):
        return None
    fewer, more = sorted((first.columns, second.columns), key=len)
    if not all(any(abs(a - b) <= _SAME_EDGE for b in more) for a in fewer):
        return None
    return more


def _aligned_columns(first: PageTable, second: PageTable) -> list[float] | None:
    """The columns of two tables without ruling lines, if they are one table's:
    as many, each starting where the other's does, give or take an em (a
    column's edge is where the longest of its cells on that page starts)."""
    if len(first.columns) != len(second.columns):
        return None
    if any(abs(a - b) > _ONE_EM for a, b in zip(first.columns, second.columns, strict=True)):
        return None
    return first.columns


def _spread(table: PageTable, columns: list[float]) -> None:
    """Rewrite the table on finer columns: a cell spanning several of them is
    repeated in each, as a merged cell is."""
    if len(columns) == len(table.columns):
        return
    owner = [
        max(c for c, edge in enumerate(table.columns) if edge <= column + _SAME_EDGE)
        for column in columns
    ]
    table.rows = [[row[c] for c in owner] for row in table.rows]
    table.columns = columns


def _texts(row: list[TableCell]) -> list[str]:
    return [cell.text for cell in row]


def _without_repeated_header(
    rows: list[list[TableCell]], continued: list[list[TableCell]]
) -> list[list[TableCell]]:
    """The continuation's rows without the leading rows that repeat the table's own."""
    count = 0
    while (
        count < min(len(rows), len(continued)) - 1
        and _texts(continued[count]) == _texts(rows[count])
        and any(_texts(rows[count]))
    ):
        count += 1
    return continued[count:]


def _split_row(last: list[TableCell], next_row: list[TableCell]) -> bool:
    """Whether the next page's first row is the rest of the last row of the page
    before: a row too tall for the page goes on over the break, so its text
    there goes on cells whose last line had no room for its first word."""
    written = [c for c, cell in enumerate(next_row) if cell.text and not cell.merged_above]
    return bool(written) and all(
        last[c].text and last[c].room < next_row[c].lead + _SAME_EDGE for c in written
    )


def _merges_going_on(last: list[TableCell], rows: list[list[TableCell]]) -> list[TableCell]:
    """The first row after the break, where a cell merged down over the break
    shows empty (the page before printed its text; a table without ruling
    lines marks it merged from above): its text is the cell's."""
    first = list(rows[0])
    for column, cell in enumerate(first):
        below = len(rows) > 1 and rows[1][column].merged_above
        if not cell.text and (cell.merged_above or below) and last[column].text:
            first[column] = TableCell(last[column].text, merged_above=True)
            _merged_down(rows[1:], column, last[column].text)
    return first


def _merged_down(rows: list[list[TableCell]], column: int, text: str) -> None:
    """Give the cells a merge covers below a cell in `column` that cell's text."""
    for row in rows:
        if not row[column].merged_above:
            return
        row[column] = TableCell(text, merged_above=True)


def _join_cells(top: TableCell, rest: TableCell) -> TableCell:
    if not rest.text:
        return top
    words = (top.text[-1] + rest.text[0]).isascii() and (top.text[-1] + rest.text[0]).isalpha()
    text = top.text + (" " if words else "") + rest.text
    return replace(rest, text=text, merged_above=top.merged_above, lead=top.lead)


# --- the text and its grids ----------------------------------------------------


def _write(path: Path, digest: str, pages: list[_Page]) -> Loaded:
    """The pages' text: a line of the page a line, a table's rows a line each
    with tab-separated cells; each page's span, and each table's grid.

    The text is the pages' texts joined by line ends, as OCR rebuilds it: a
    table a page break cut is one grid, each page's span holding the rows
    printed on it, and the line end after the last row before the break is the
    one between the pages.
    """
    out = TextBuilder()
    spans: list[Page] = []
    grids: list[Grid] = []
    recent: list[str] = []  # the lines since the last table, whose last ones caption the next
    for page in pages:
        if page.layout is None:
            spans.append(Page(page.number, out.length, out.length, image=page.image))
            continue
        if not page.items:  # only a running head or a page number
            spans.append(Page(page.number, out.length, out.length))
            continue
        first = page.items[0]
        if isinstance(first, PageTable) and first.continued and grids:
            spans[-1].end -= 1
        elif out.length:
            out.add("\n")
        start = out.length
        for item in page.items:
            if isinstance(item, TextLine):
                out.add(item.text + "\n")
                if item.text.strip():
                    recent.append(item.text.strip())
            elif item.continued and grids:
                grids[-1].rows += _add_rows(out, item.rows)
                grids[-1].end = out.length - 1
            elif item.rows:
                rows = _add_rows(out, item.rows)
                caption = "\n".join(recent[-2:])
                grids.append(Grid(rows, rows[0][0].start, out.length - 1, True, caption))
                recent = []
        spans.append(Page(page.number, start, out.length))
    return Loaded(path=path, format="pdf", text=out.text(), sha256=digest, pages=spans, grids=grids)


def _add_rows(out: TextBuilder, rows: list[list[TableCell]]) -> list[list[Cell]]:
    """Write rows one a line, cells separated by tabs; the cells with their offsets."""
    written = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            if index:
                out.add("\t")
            cells.append(Cell(cell.text, *out.add(cell.text), merged_above=cell.merged_above))
        out.add("\n")
        written.append(cells)
    return written


def _open_pdf(path: Path, data: bytes) -> pymupdf.Document:
    try:
        document = mupdf().open(stream=data, filetype="pdf")
    except mupdf_errors() as error:
        raise LoadError(path, "not a valid PDF (damaged, or not a PDF)", _REEXPORT) from error
    if document.needs_pass:
        document.close()
        raise LoadError(
            path,
            "the PDF is password-protected",
            "remove the password (save or print it as an unprotected PDF) and try again",
        )
    if document.page_count == 0:
        document.close()
        raise LoadError(path, "the PDF has no pages", _REEXPORT)
    return document
